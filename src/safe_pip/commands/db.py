"""The ``safe-pip db update`` and ``safe-pip db status`` commands."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import TextIO

from safe_pip import exit_codes
from safe_pip.advisories.database import (
    SOURCE_ENV_VAR,
    AdvisoryDatabase,
    DatabaseStatus,
    SourceStatus,
)
from safe_pip.advisories.update import DEFAULT_SOURCE, default_sources, update_database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``db update`` and ``db status`` to an ``add_subparsers()`` object."""
    db_parser = subparsers.add_parser("db", help="manage the local advisory database")
    db_commands = db_parser.add_subparsers(dest="db_command", metavar="COMMAND", required=True)

    update = db_commands.add_parser(
        "update",
        help="download/rebuild the advisory database",
        description=(
            "Build the local advisory database from OSV data. SOURCE may be an http(s) URL, "
            "an OSV zip archive, a directory of OSV .json files or one .json file. "
            f"Default: ${SOURCE_ENV_VAR}, else the advisory-sources config list, else "
            f"{DEFAULT_SOURCE}. A SOURCE ending in .tsv is a list of popular projects "
            "('#' header lines with its source and date, then rank<TAB>name lines) for the "
            "typosquat check: it replaces the list shipped with safe-pip."
        ),
    )
    update.add_argument(
        "--source",
        dest="sources",
        action="append",
        default=[],
        metavar="URL_OR_PATH",
        help="where to read advisories from; repeat for several sources (merged, each record "
        "tagged with its source; the same id from two sources counts once, newest modified)",
    )
    update.set_defaults(func=run_update)

    status = db_commands.add_parser("status", help="show what the advisory database holds")
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(func=run_status)


def run_update(args: argparse.Namespace) -> int:
    started = time.monotonic()
    lists = [source for source in args.sources if source.lower().endswith(".tsv")]
    if lists:
        from pathlib import Path

        from safe_pip.pipeline.typosquat import install_popular_list

        for source in lists:
            popular = install_popular_list(Path(source))
            print(f"popular-projects list updated: {len(popular.names)} names ({popular.source})")
        if len(lists) == len(args.sources):
            return exit_codes.OK
    progress = DownloadProgress(sys.stderr)
    sources = [s for s in args.sources if s not in lists] or default_sources(_configured_sources())
    try:
        status = update_database(sources, progress=progress)
    finally:
        progress.finish()
    elapsed = time.monotonic() - started
    print(
        f"advisory database updated: {status.record_count} records "
        f"({status.skipped_count} skipped as malformed) from {status.source} in {elapsed:.1f}s"
    )
    return exit_codes.OK


def _configured_sources() -> tuple[str, ...]:
    from pathlib import Path

    from safe_pip.pipeline.config import load_policy

    return load_policy(Path.cwd()).advisory_sources


def run_status(args: argparse.Namespace) -> int:
    with AdvisoryDatabase.open() as database:
        status = database.status()
    if args.format == "json":
        print(json.dumps(status_to_json(status), indent=2))
    else:
        print(render_status(status))
    return exit_codes.OK


def status_to_json(status: DatabaseStatus) -> dict[str, object]:
    return {
        "path": str(status.path),
        "source": status.source,
        "updated_at": status.updated_at.isoformat(),
        "age_seconds": int(status.age.total_seconds()),
        "record_count": status.record_count,
        "withdrawn_count": status.withdrawn_count,
        "skipped_count": status.skipped_count,
        "sources": [_source_to_json(source) for source in status.sources],
    }


def _source_to_json(source: SourceStatus) -> dict[str, object]:
    return {
        "location": source.location,
        "fetched_at": source.fetched_at.isoformat(),
        "fetched_age_seconds": int(source.age.total_seconds()),
        "newest_modified": source.newest_modified.isoformat() if source.newest_modified else None,
        "record_count": source.record_count,
        "malicious_count": source.malicious_count,
        "withdrawn_count": source.withdrawn_count,
        "skipped_count": source.skipped_count,
    }


def render_status(status: DatabaseStatus) -> str:
    updated = status.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [
        f"advisory database: {status.path}",
        f"records:           {status.record_count} ({status.withdrawn_count} withdrawn, "
        f"{status.skipped_count} skipped as malformed)",
        f"last update:       {updated} ({describe_age(status.age)} ago)",
    ]
    for source in status.sources:
        lines.extend(_source_lines(source))
    return "\n".join(lines)


def _source_lines(source: SourceStatus) -> list[str]:
    fetched = source.fetched_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    newest = (
        f"{source.newest_modified:%Y-%m-%d %H:%M:%S} UTC "
        f"({describe_age(datetime.now(timezone.utc) - source.newest_modified)} ago)"
        if source.newest_modified
        else "unknown"
    )
    return [
        f"source:            {source.location}",
        f"  records:         {source.record_count} ({source.malicious_count} malicious, "
        f"{source.withdrawn_count} withdrawn, {source.skipped_count} skipped as malformed)",
        f"  fetched:         {fetched} ({describe_age(source.age)} ago)",
        f"  newest modified: {newest}",
    ]


def describe_age(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


class DownloadProgress:
    """Download progress on stderr: a live line on a terminal, a line every 10 s otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._interval = 0.1 if self._live else 10.0
        self._last_shown = time.monotonic()
        self._shown = False

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last_shown < self._interval and not (self._live and done == total):
            return
        self._last_shown = now
        text = f"downloading advisories: {_megabytes(done)}"
        if total:
            text += f" of {_megabytes(total)} ({100 * done // total}%)"
        if self._live:
            self._stream.write("\r" + text.ljust(60))
        else:
            self._stream.write(text + "\n")
        self._stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._live and self._shown:
            self._stream.write("\n")
            self._stream.flush()


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"
