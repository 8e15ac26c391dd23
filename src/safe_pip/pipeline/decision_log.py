"""The decision log: one JSON line per guarded run, in the user's data dir, for ``safe-pip log``.

A run collects what it learns as it goes -- the target environment (:func:`note_target`), each
checked plan with its decisions (:func:`note_verdict`, from ``check_plan``) -- and the CLI
writes one line when the run ends (:func:`finish`), with the exit code and the error, if
any. Runs that never reached a check (``safe-pip list``, ``db status``) write nothing.

Line format (``"schema": 1``): ``time`` (UTC, ISO 8601), ``command`` (argv), ``target``,
``verdict`` (``allowed`` | ``blocked`` | ``not checked``), ``exit_code``, ``error``, ``plan``
(``name``, ``version``, ``source``, ``filename``, ``sha256``), ``findings`` (as in the JSON
report: ``models.finding_to_json``) and ``decisions``
(``id``, ``name``, ``version``, ``action``, ``reason``). Every string passes through
:mod:`safe_pip.redaction`, so no URL credential is written.

The file is capped at :data:`MAX_BYTES`: when a line takes it over, it becomes
``decisions.jsonl.1`` (replacing the older one), so the log never holds more than about twice
the cap. Writing is one append and never fails a run: a problem is one warning line.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from safe_pip.models import Decision, Verdict

SCHEMA = 1
MAX_BYTES = 1_000_000
ROTATED_SUFFIX = ".1"


class _Run:
    """What this process noted of its run (a plain class: noted before the installer
    starts: see ``tests/test_start_path.py``)."""

    def __init__(self) -> None:
        self.target: str | None = None
        # the user's command when it is not this process's argv
        self.command: list[str] | None = None
        self.verdicts: list[Verdict] = []
        self.checking = False  # a check began (so even a failed one is a guarded run)


_run = _Run()


def reset() -> None:
    """Forget what this process noted so far (a long-lived caller between runs; tests)."""
    global _run
    _run = _Run()


def note_target(python: str) -> None:
    """The environment this run installs into or audits."""
    _run.target = python


def note_command(argv: list[str]) -> None:
    """The command the user typed, when this process is not it (the pip hook's checker)."""
    _run.command = list(argv)


def note_origin(origin: object) -> None:
    """The optional ``origin`` of a plan (the pip hook: its interpreter and pip's command
    line) goes to the log instead of this checker's own."""
    if not isinstance(origin, dict):
        return
    python, command = origin.get("python"), origin.get("command")
    if isinstance(python, str):
        note_target(python)
    if isinstance(command, list) and all(isinstance(part, str) for part in command):
        note_command(command)


def note_check_started() -> None:
    _run.checking = True


def note_verdict(verdict: Verdict) -> None:
    _run.checking = True
    _run.verdicts.append(verdict)


def prepare() -> None:
    """Import what writing the line needs (its directory comes from platformdirs), while
    the installer runs: the line is written after it, when the user waits."""
    from safe_pip import paths

    with contextlib.suppress(Exception):
        paths.decision_log_path()


def finish(exit_code: int, error: str | None = None) -> None:
    """Append this run's line, if it was a guarded run; never raises."""
    global _run
    run, _run = _run, _Run()
    if not run.checking:
        return
    try:
        append(entry(run, run.command or sys.argv, exit_code, error))
    except (OSError, ValueError, TypeError) as exc:
        from safe_pip.console import warn

        warn(f"decision log not written: {exc}")


def entry(run: _Run, argv: list[str], exit_code: int, error: str | None) -> dict[str, object]:
    from datetime import datetime, timezone

    from safe_pip.redaction import redact_document

    plan = [item for verdict in run.verdicts for item in verdict.plan]
    decisions = [d for verdict in run.verdicts for d in verdict.decisions]
    if not run.verdicts:
        verdict = "not checked"
    else:
        verdict = "blocked" if any(v.blocked for v in run.verdicts) else "allowed"
    document = {
        "schema": SCHEMA,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": [_program(argv[0]), *argv[1:]] if argv else [],
        "target": run.target,
        "verdict": verdict,
        "exit_code": exit_code,
        "error": error,
        "plan": [
            {
                "name": item.name,
                "version": item.version,
                "source": item.source.value,
                "filename": item.filename,
                "sha256": item.sha256,
            }
            for item in plan
        ],
        **decisions_json(decisions),
    }
    return cast("dict[str, object]", redact_document(document))


def decisions_json(decisions: Sequence[Decision]) -> dict[str, object]:
    """A line's ``findings`` and ``decisions`` (also the devpi plugin's refusal lines)."""
    from safe_pip.models import finding_to_json

    return {
        "findings": [finding_to_json(d.finding) for d in decisions],
        "decisions": [
            {
                "id": d.finding.id,
                "name": d.finding.name,
                "version": d.finding.version,
                "action": d.action.value,
                "reason": d.reason,
            }
            for d in decisions
        ],
    }


def _program(path: str) -> str:
    """``safe-pip``, ``safe-uv``, ``pip``: the name the user typed (``python -m safe_pip``
    runs ``__main__.py``)."""
    name = os.path.basename(path)
    return "safe-pip" if name == "__main__.py" else name


def append(document: dict[str, object], path: Path | None = None) -> None:
    """Append one line to the log at ``path`` (default: the user's), rotating past the cap."""
    import json

    from safe_pip import paths

    path = path or paths.decision_log_path()
    line = (json.dumps(document, separators=(",", ":")) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)
        size = os.fstat(descriptor).st_size
    finally:
        os.close(descriptor)
    if size > MAX_BYTES:
        _rotate(path)


def _rotate(path: Path) -> None:
    """Move a full log aside (under a lock: two runs must not both rotate)."""
    import filelock

    with filelock.FileLock(str(path) + ".lock", timeout=5):
        if path.exists() and path.stat().st_size > MAX_BYTES:
            os.replace(path, path.with_name(path.name + ROTATED_SUFFIX))


def read_recent(count: int, path: Path | None = None) -> list[dict[str, object]]:
    """The last ``count`` readable lines, oldest first (the rotated file too, if needed)."""
    from safe_pip import paths

    path = path or paths.decision_log_path()
    entries: list[dict[str, object]] = []
    for source in (path, path.with_name(path.name + ROTATED_SUFFIX)):
        entries = _read(source) + entries
        if len(entries) >= count:
            break
    return entries[-count:] if count > 0 else []


def _read(path: Path) -> list[dict[str, object]]:
    from safe_pip import limits

    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            document = limits.load_json(line, max_bytes=limits.PLAN_MAX_BYTES)
        except ValueError:
            continue  # a line cut short by a crash or a full disk, or not one of ours
        if isinstance(document, dict):
            entries.append(document)
    return entries
