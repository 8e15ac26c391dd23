"""The SQLite advisory database: its schema, writing a new one, and looking packages up.

``db_update`` builds a complete new file with ``write_database`` and swaps it in with
``os.replace``, so a reader always sees a whole database. Lookups read one indexed table
(``affected.name``) and evaluate the version ranges in Python (``version_match``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from packaging.utils import canonicalize_name

from safe_pip import paths
from safe_pip.advisories.osv import MALICIOUS_PREFIX, Advisory
from safe_pip.advisories.version_match import RangeEvent, first_fixed, is_affected
from safe_pip.errors import DatabaseError

SCHEMA_VERSION = 2  # 2 added advisories.url; a version 1 database is still read
_READABLE_SCHEMA_VERSIONS = (1, SCHEMA_VERSION)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    aliases TEXT NOT NULL,      -- JSON list of strings
    summary TEXT NOT NULL,
    severity REAL,
    malicious INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL,
    url TEXT NOT NULL DEFAULT ''
);
CREATE TABLE affected (
    name TEXT NOT NULL,         -- PEP 503-normalized
    advisory_id TEXT NOT NULL REFERENCES advisories(id),
    ranges TEXT NOT NULL,       -- JSON: [[[kind, version], ...], ...] ECOSYSTEM ranges
    versions TEXT NOT NULL      -- normalized versions, each one between two newlines
);
CREATE INDEX affected_by_name ON affected(name);
"""

_LOOKUP = """
SELECT a.id, a.aliases, a.summary, a.severity, a.malicious, f.ranges, f.versions, {url}
FROM affected AS f JOIN advisories AS a ON a.id = f.advisory_id
WHERE f.name = ? AND a.withdrawn = 0
"""
_LOOKUP_BY_SCHEMA = {1: _LOOKUP.format(url="''"), SCHEMA_VERSION: _LOOKUP.format(url="a.url")}

# Which id names a merged match: malicious-package ids first, then the PyPI advisory
# database, then GitHub's, then anything else.
_ID_PREFERENCE = (MALICIOUS_PREFIX, "PYSEC-", "GHSA-")


@dataclass(frozen=True)
class AdvisoryMatch:
    """One vulnerability (all aliases merged) that affects a looked-up package version."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    fixed_in: str | None
    severity: float | None
    malicious: bool
    url: str = ""  # where a person reads the advisory ("" in a database built before URLs)


@dataclass(frozen=True)
class DatabaseStatus:
    source: str
    updated_at: datetime  # timezone-aware, UTC
    record_count: int  # advisories stored (withdrawn ones included, they never match)
    skipped_count: int  # records skipped as malformed
    path: Path
    withdrawn_count: int = 0

    @property
    def age(self) -> timedelta:
        return datetime.now(timezone.utc) - self.updated_at


SOURCE_ENV_VAR = "SAFE_PIP_DB_SOURCE"
# How to get a database, online or not; every "no usable database" error ends with it.
OFFLINE_HINT = (
    "without network access, build it from an OSV export: "
    f"`safe-pip db update --source PATH_OR_URL` or {SOURCE_ENV_VAR}=PATH_OR_URL"
)
UPDATE_HINT = f"run `safe-pip db update` ({OFFLINE_HINT})"


class AdvisoryDatabase:
    """Read-only access to the advisory database; use ``AdvisoryDatabase.open()``."""

    def __init__(
        self, connection: sqlite3.Connection, status: DatabaseStatus, lookup: str | None = None
    ) -> None:
        self._connection = connection
        self._status = status
        self._lookup = lookup or _LOOKUP_BY_SCHEMA[SCHEMA_VERSION]

    @classmethod
    def open(cls, path: Path | None = None) -> AdvisoryDatabase:
        """Open the database read-only; ``DatabaseError`` if it is missing or unusable."""
        db_path = path if path is not None else paths.advisory_db_path()
        if not db_path.is_file():
            raise DatabaseError(f"no advisory database at {db_path}; {UPDATE_HINT}")
        corrupt = DatabaseError(
            f"advisory database at {db_path} is corrupt or from another version; {UPDATE_HINT}"
        )
        try:
            connection = sqlite3.connect(
                f"{db_path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open advisory database at {db_path}: {exc}") from exc
        try:
            schema = connection.execute("PRAGMA user_version").fetchone()[0]
            if schema not in _READABLE_SCHEMA_VERSIONS:
                raise corrupt
            lookup = _LOOKUP_BY_SCHEMA[schema]
            connection.execute(lookup + " LIMIT 0", ("",)).fetchall()  # tables exist
            status = _read_status(connection, db_path)
        except (sqlite3.Error, KeyError, ValueError) as exc:
            connection.close()
            raise corrupt from exc
        except DatabaseError:
            connection.close()
            raise
        return cls(connection, status, lookup)

    def matches(self, name: str, version: str) -> list[AdvisoryMatch]:
        """Every non-withdrawn vulnerability affecting ``name==version``, aliases merged."""
        try:
            rows = self._connection.execute(self._lookup, (canonicalize_name(name),)).fetchall()
            hits = _collect_hits(rows)
        except (sqlite3.Error, ValueError, TypeError) as exc:
            raise DatabaseError(
                f"cannot read advisory database {self._status.path} ({exc}); {UPDATE_HINT}"
            ) from exc
        affected = [hit for hit in hits.values() if is_affected(version, hit.ranges, hit.versions)]
        return sorted(
            (_merge(group, version) for group in _alias_groups(affected)),
            key=lambda match: (not match.malicious, _id_rank(match.id), match.id),
        )

    def status(self) -> DatabaseStatus:
        return self._status

    def knows(self, advisory_id: str) -> bool:
        """Whether any record (withdrawn ones too) has ``advisory_id`` as its id or an alias."""
        try:
            row = self._connection.execute(
                "SELECT 1 FROM advisories WHERE id = ? COLLATE NOCASE"
                " OR instr(lower(aliases), ?) > 0 LIMIT 1",
                (advisory_id, json.dumps(advisory_id.lower())),
            ).fetchone()
        except sqlite3.Error as exc:
            raise DatabaseError(
                f"cannot read advisory database {self._status.path} ({exc}); "
                "run `safe-pip db update`"
            ) from exc
        return row is not None

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> AdvisoryDatabase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def write_database(
    path: Path,
    advisories: Iterable[Advisory],
    *,
    source: str,
    skipped_count: int,
    updated_at: datetime,
) -> DatabaseStatus:
    """Create a complete database in ``path`` (a new, empty or absent file) and fsync it."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.executescript(_SCHEMA)
        record_count = withdrawn_count = 0
        for advisory in advisories:
            record_count += 1
            withdrawn_count += advisory.withdrawn
            connection.execute(
                "INSERT INTO advisories VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    advisory.id,
                    json.dumps(list(advisory.aliases)),
                    advisory.summary,
                    advisory.severity,
                    int(advisory.malicious),
                    int(advisory.withdrawn),
                    advisory.url,
                ),
            )
            connection.executemany(
                "INSERT INTO affected VALUES (?, ?, ?, ?)",
                [
                    (
                        package.name,
                        advisory.id,
                        json.dumps([[[e.kind, e.version] for e in r] for r in package.ranges]),
                        _encode_versions(package.versions),
                    )
                    for package in advisory.affected
                ],
            )
        status = DatabaseStatus(
            source=source,
            updated_at=updated_at.astimezone(timezone.utc),
            record_count=record_count,
            skipped_count=skipped_count,
            path=path,
            withdrawn_count=withdrawn_count,
        )
        connection.executemany("INSERT INTO meta VALUES (?, ?)", _status_to_meta(status).items())
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.commit()
    finally:
        connection.close()
    with open(path, "rb+") as written:
        os.fsync(written.fileno())
    return status


def _status_to_meta(status: DatabaseStatus) -> dict[str, str]:
    return {
        "schema_version": str(SCHEMA_VERSION),
        "source": status.source,
        "updated_at": status.updated_at.isoformat(),
        "record_count": str(status.record_count),
        "skipped_count": str(status.skipped_count),
        "withdrawn_count": str(status.withdrawn_count),
    }


def _read_status(connection: sqlite3.Connection, path: Path) -> DatabaseStatus:
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    updated_at = datetime.fromisoformat(meta["updated_at"])
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=timezone.utc)
    return DatabaseStatus(
        source=meta["source"],
        updated_at=updated_at,
        record_count=int(meta["record_count"]),
        skipped_count=int(meta["skipped_count"]),
        path=path,
        withdrawn_count=int(meta.get("withdrawn_count", "0")),
    )


def _encode_versions(versions: Iterable[str]) -> str:
    return "".join(f"\n{version}" for version in versions) + "\n"


class _ListedVersions:
    """The ``versions`` of an advisory, searched in their stored text form (no decoding)."""

    def __init__(self) -> None:
        self._listings: list[str] = []

    def add_listing(self, encoded: str) -> None:
        self._listings.append(encoded)

    def add_all(self, other: _ListedVersions) -> None:
        self._listings.extend(other._listings)

    def __contains__(self, version: object) -> bool:
        needle = f"\n{version}\n"
        return any(needle in listing for listing in self._listings)


def _collect_hits(rows: Iterable[Sequence[Any]]) -> dict[str, _Hit]:
    """One ``_Hit`` per advisory from the lookup rows (an advisory may list a name twice)."""
    hits: dict[str, _Hit] = {}
    for advisory_id, aliases, summary, severity, malicious, ranges, versions, url in rows:
        hit = hits.get(advisory_id)
        if hit is None:
            hit = hits[advisory_id] = _Hit(
                advisory_id, tuple(json.loads(aliases)), summary, severity, bool(malicious), url
            )
        hit.ranges.extend(_decode_ranges(ranges))
        hit.versions.add_listing(versions)
    return hits


def _decode_ranges(text: str) -> list[list[RangeEvent]]:
    return [[RangeEvent(kind, version) for kind, version in events] for events in json.loads(text)]


class _Hit:
    """One advisory record affecting the looked-up version, before alias merging."""

    def __init__(
        self,
        advisory_id: str,
        aliases: tuple[str, ...],
        summary: str,
        severity: float | None,
        malicious: bool,
        url: str,
    ) -> None:
        self.id = advisory_id
        self.url = url
        self.aliases = aliases
        self.summary = summary
        self.severity = severity
        self.malicious = malicious
        self.ranges: list[list[RangeEvent]] = []
        self.versions = _ListedVersions()


def _alias_groups(hits: Sequence[_Hit]) -> list[list[_Hit]]:
    """Group records describing the same vulnerability (shared id or alias), transitively."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for hit in hits:
        for alias in hit.aliases:
            parent[root(alias)] = root(hit.id)
    groups: dict[str, list[_Hit]] = {}
    for hit in hits:
        groups.setdefault(root(hit.id), []).append(hit)
    return list(groups.values())


def _merge(group: Sequence[_Hit], version: str) -> AdvisoryMatch:
    primary = min(group, key=lambda hit: (_id_rank(hit.id), hit.id))
    identifiers = {hit.id for hit in group} | {alias for hit in group for alias in hit.aliases}
    severities = [hit.severity for hit in group if hit.severity is not None]
    return AdvisoryMatch(
        id=primary.id,
        aliases=tuple(sorted(identifiers - {primary.id})),
        summary=primary.summary or next((hit.summary for hit in group if hit.summary), ""),
        fixed_in=_first_fixed_for_all(version, group),
        severity=max(severities) if severities else None,
        malicious=any(hit.malicious for hit in group),
        url=primary.url or next((hit.url for hit in group if hit.url), ""),
    )


def _id_rank(advisory_id: str) -> int:
    for rank, prefix in enumerate(_ID_PREFERENCE):
        if advisory_id.startswith(prefix):
            return rank
    return len(_ID_PREFERENCE)


def _first_fixed_for_all(version: str, group: Sequence[_Hit]) -> str | None:
    """The first version above ``version`` that no record of the group calls affected: a
    fix one copy of an advisory names is no fix while another copy says it is affected."""
    ranges = [events for hit in group for events in hit.ranges]
    versions = _ListedVersions()
    for hit in group:
        versions.add_all(hit.versions)
    return first_fixed(version, ranges, versions)
