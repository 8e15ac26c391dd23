"""The SQLite advisory database: its schema, writing a new one, and looking packages up.

``update`` writes a complete new file with a ``DatabaseWriter`` (from scratch, or on a copy
of the current one for an incremental refresh) and swaps it in with ``os.replace``, so a
reader always sees a whole database. Every record is tagged with the source it came from;
when two sources carry the same id, lookups use the copy with the newest ``modified``.
Lookups read one indexed table (``affected.name``) and evaluate the version ranges in
Python (``version_match``).
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
from packaging.version import Version

from safe_pip import paths
from safe_pip.advisories import integrity
from safe_pip.advisories.osv import MALICIOUS_PREFIX, Advisory
from safe_pip.advisories.version_match import (
    PreparedRange,
    RangeEvent,
    affected_spans,
    first_fixed,
    is_affected,
    normalize_version,
    parse_version,
    prepare_range,
)
from safe_pip.errors import DatabaseError
from safe_pip.times import parse_timestamp

SCHEMA_VERSION = 3  # 2 added advisories.url, 3 sources (per-source records and freshness)
# Older databases are still read (no URLs in 1, one untagged source) until the next update.
_READABLE_SCHEMA_VERSIONS = (1, 2, SCHEMA_VERSION)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
    location TEXT PRIMARY KEY,  -- URL or absolute path, as given to `db update`
    position INTEGER NOT NULL,  -- order given
    fetched_at TEXT NOT NULL,   -- last time it was read or confirmed unchanged (UTC ISO)
    newest_modified TEXT,       -- newest OSV `modified` among its records (timestamp_text)
    record_count INTEGER NOT NULL,
    malicious_count INTEGER NOT NULL,
    withdrawn_count INTEGER NOT NULL,
    skipped_count INTEGER NOT NULL,
    etag TEXT,                  -- validators of the last fetch (conditional requests)
    last_modified TEXT
);
CREATE TABLE advisories (
    source TEXT NOT NULL,       -- sources.location it came from
    id TEXT NOT NULL,
    aliases TEXT NOT NULL,      -- JSON list of strings
    summary TEXT NOT NULL,
    severity REAL,
    malicious INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL,
    modified TEXT,              -- timestamp_text of the record's `modified`
    url TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (source, id)
);
CREATE TABLE affected (
    name TEXT NOT NULL,         -- PEP 503-normalized
    source TEXT NOT NULL,
    advisory_id TEXT NOT NULL,
    ranges TEXT NOT NULL,       -- JSON: [[[kind, version], ...], ...] ECOSYSTEM ranges
    versions TEXT NOT NULL      -- normalized versions, each one between two newlines
);
CREATE INDEX affected_by_name ON affected(name);
CREATE INDEX affected_by_record ON affected(advisory_id);
"""

# Every copy of every record naming the package; ``_collect_hits`` keeps the newest copy
# of each id (two sources may both carry it) before withdrawn records are dropped.
_LOOKUP = """
SELECT a.id, a.modified, a.source, a.withdrawn, a.aliases, a.summary, a.severity,
       a.malicious, f.ranges, f.versions, a.url
FROM affected AS f JOIN advisories AS a ON a.source = f.source AND a.id = f.advisory_id
WHERE f.name = ?
"""
# Databases written before sources existed: one untagged source, no ``modified``.
_LEGACY_LOOKUP = """
SELECT a.id, '', '', a.withdrawn, a.aliases, a.summary, a.severity, a.malicious,
       f.ranges, f.versions, {url}
FROM affected AS f JOIN advisories AS a ON a.id = f.advisory_id
WHERE f.name = ?
"""
_LOOKUP_BY_SCHEMA = {
    1: _LEGACY_LOOKUP.format(url="''"),
    2: _LEGACY_LOOKUP.format(url="a.url"),
    SCHEMA_VERSION: _LOOKUP,
}

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
class SourceStatus:
    """What the database holds from one source and how fresh it is."""

    location: str
    fetched_at: datetime  # last read or confirmed unchanged; timezone-aware UTC
    newest_modified: datetime | None  # newest OSV ``modified`` among its records
    record_count: int
    malicious_count: int
    withdrawn_count: int
    skipped_count: int
    etag: str | None = None
    last_modified: str | None = None

    @property
    def age(self) -> timedelta:
        return datetime.now(timezone.utc) - self.fetched_at


@dataclass(frozen=True)
class DatabaseStatus:
    source: str  # the sources' locations, comma-separated
    updated_at: datetime  # the oldest source fetch: the data is as fresh as its stalest part
    record_count: int  # advisories stored (withdrawn ones included, they never match)
    skipped_count: int  # records skipped as malformed
    path: Path
    withdrawn_count: int = 0
    sources: tuple[SourceStatus, ...] = ()
    schema: int = SCHEMA_VERSION  # an older one is read, and rebuilt by the next refresh

    @property
    def age(self) -> timedelta:
        return datetime.now(timezone.utc) - self.updated_at

    @property
    def data_age(self) -> timedelta:
        """How old the data is: since it was last fetched, or since the newest record any
        source holds was modified, whichever is longer (a snapshot read today is as old as
        its newest record)."""
        newest = [s.newest_modified for s in self.sources if s.newest_modified is not None]
        if not newest:
            return self.age
        return max(self.age, datetime.now(timezone.utc) - max(newest))

    @property
    def malware_age(self) -> timedelta:
        """How old the newest malicious-package data is (any source that carries some,
        else any source): what ``max-malware-age`` limits."""
        return self.malware_age_at(datetime.now(timezone.utc))

    def malware_age_at(self, now: datetime) -> timedelta:
        """``malware_age`` at ``now`` (timezone-aware): a long-running server's clock."""
        carrying = [s for s in self.sources if s.malicious_count] or list(self.sources)
        if not carrying:
            return now - self.updated_at
        return now - max(s.fetched_at for s in carrying)


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
        self._hits_by_project: dict[str, dict[str, _Hit]] = {}

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
            status = _read_status(connection, db_path, schema)
        except (sqlite3.Error, KeyError, ValueError) as exc:
            connection.close()
            raise corrupt from exc
        except DatabaseError:
            connection.close()
            raise
        damage = integrity.check_on_open(db_path)
        if damage is not None:
            connection.close()
            raise DatabaseError(
                f"advisory database at {db_path} is damaged ({damage}); {UPDATE_HINT}"
            )
        return cls(connection, status, lookup)

    def matches(self, name: str, version: str, *, with_fix: bool = True) -> list[AdvisoryMatch]:
        """Every non-withdrawn vulnerability affecting ``name==version``, aliases merged.

        A project's records are read once per database object (an installer's gate asks
        about every version it may choose). ``with_fix=False`` leaves ``fixed_in`` out (the
        walk to the first fixed version is most of the work; resolver steering asks about
        hundreds of versions and reports few)."""
        hits = self._project_hits(canonicalize_name(name))
        if not hits:
            return []  # most projects have no advisory at all
        affected = [hit for hit in hits.values() if is_affected(version, hit.ranges, hit.versions)]
        return sorted(
            (_merge(group, version, with_fix) for group in _alias_groups(affected)),
            key=lambda match: (not match.malicious, _id_rank(match.id), match.id),
        )

    def matches_for_versions(
        self, name: str, versions: Iterable[str]
    ) -> dict[str, Sequence[AdvisoryMatch]]:
        """``matches(name, v, with_fix=False)`` for every one of ``versions`` at once: what
        resolver steering asks about every version a project page lists.

        The versions are sorted once and each range is walked over them
        (``version_match.affected_spans``), so the cost grows with versions + ranges, not
        with their product; versions affected by the same records share one (read-only)
        answer, built once. Unparsable versions are asked about one by one."""
        canonical = canonicalize_name(name)
        hits = list(self._project_hits(canonical).values())
        wanted = list(dict.fromkeys(versions))
        if not hits:
            return {version: [] for version in wanted}
        answers: dict[str, Sequence[AdvisoryMatch]] = {}
        readable: list[tuple[Version, str]] = []
        for version in wanted:
            parsed = parse_version(version)
            if parsed is None:
                answers[version] = self.matches(canonical, version, with_fix=False)
            else:
                readable.append((parsed, version))
        readable.sort(key=lambda pair: pair[0])
        ordered = [parsed for parsed, _ in readable]
        changes: dict[int, list[tuple[int, int]]] = {}  # position -> (hit, +1 / -1)
        listed: dict[int, set[int]] = {}  # position -> hits listing that version explicitly
        positions_of = _ListedPositions(readable)
        for number, hit in enumerate(hits):
            for events in hit.ranges:
                for start, end in affected_spans(ordered, events):
                    changes.setdefault(start, []).append((number, 1))
                    changes.setdefault(end, []).append((number, -1))
            for text in hit.versions.listed():
                for position in positions_of.matching(text):
                    listed.setdefault(position, set()).add(number)
        answer = _SharedAnswers(hits)
        inside = [0] * len(hits)  # how many of each hit's spans hold the current position
        key: tuple[int, ...] = ()
        for position, (_, text) in enumerate(readable):
            if position in changes:
                for number, step in changes[position]:
                    inside[number] += step
                key = tuple(number for number, count in enumerate(inside) if count > 0)
            extra = listed.get(position)
            answers[text] = answer.of(tuple(sorted(extra.union(key))) if extra else key)
        return {version: answers[version] for version in wanted}

    def malicious_for_project(self, name: str) -> list[AdvisoryMatch]:
        """Every non-withdrawn malicious-package record for ``name``, whatever versions it
        lists: for a source whose version is not known until its code has run (a direct URL,
        a VCS checkout), the name is all there is to decide on before the build."""
        hits = self._project_hits(canonicalize_name(name))
        malicious = [hit for hit in hits.values() if hit.malicious]
        return sorted(
            (_merge(group, "0", with_fix=False) for group in _alias_groups(malicious)),
            key=lambda match: (_id_rank(match.id), match.id),
        )

    def _project_hits(self, name: str) -> dict[str, _Hit]:
        cached = self._hits_by_project.get(name)
        if cached is not None:
            return cached
        try:
            rows = self._connection.execute(self._lookup, (name,)).fetchall()
            hits = _collect_hits(rows)
        except (sqlite3.Error, ValueError, TypeError) as exc:
            raise DatabaseError(
                f"cannot read advisory database {self._status.path} ({exc}); {UPDATE_HINT}"
            ) from exc
        self._hits_by_project[name] = hits
        return hits

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


class DatabaseWriter:
    """Writes a database file that no reader has open yet (a new file, or a copy of the
    current database); ``update`` swaps it in when complete."""

    def __init__(self, path: Path, *, create: bool) -> None:
        self.path = path
        self._connection = sqlite3.connect(path)
        self._connection.execute("PRAGMA journal_mode = OFF")
        self._connection.execute("PRAGMA synchronous = OFF")
        # Sorting for the totals (count of distinct ids) goes to a temporary file, not to
        # memory that grows with the number of records.
        self._connection.execute("PRAGMA temp_store = FILE")
        if create:
            self._connection.executescript(_SCHEMA)

    def drop_source(self, location: str) -> None:
        """Forget every record of ``location`` (before it is read again in full)."""
        self._connection.execute("DELETE FROM affected WHERE source = ?", (location,))
        self._connection.execute("DELETE FROM advisories WHERE source = ?", (location,))
        self._connection.execute("DELETE FROM sources WHERE location = ?", (location,))

    def add(self, location: str, advisory: Advisory) -> None:
        """Store one record of ``location``; a later copy of the same id from the same source
        (in the same export, or an incremental update) replaces the earlier one."""
        row = (
            location,
            advisory.id,
            json.dumps(list(advisory.aliases)),
            advisory.summary,
            advisory.severity,
            int(advisory.malicious),
            int(advisory.withdrawn),
            advisory.modified,
            advisory.url,
        )
        insert = "INSERT INTO advisories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        try:
            self._connection.execute(insert, row)
        except sqlite3.IntegrityError:  # (source, id) is stored already
            self._connection.execute(
                "DELETE FROM affected WHERE advisory_id = ? AND source = ?",
                (advisory.id, location),
            )
            self._connection.execute(
                "DELETE FROM advisories WHERE source = ? AND id = ?", (location, advisory.id)
            )
            self._connection.execute(insert, row)
        self._connection.executemany(
            "INSERT INTO affected VALUES (?, ?, ?, ?, ?)",
            [
                (
                    package.name,
                    location,
                    advisory.id,
                    json.dumps([[[e.kind, e.version] for e in r] for r in package.ranges]),
                    _encode_versions(package.versions),
                )
                for package in advisory.affected
            ],
        )

    def record_source(
        self,
        location: str,
        position: int,
        fetched_at: datetime,
        *,
        skipped_count: int | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Counts, newest ``modified`` and fetch time of ``location`` from what is stored;
        ``skipped_count`` None keeps the previous count (nothing was read again)."""
        counts = self._connection.execute(
            "SELECT count(*), coalesce(sum(malicious), 0), coalesce(sum(withdrawn), 0),"
            " max(modified) FROM advisories WHERE source = ?",
            (location,),
        ).fetchone()
        if skipped_count is None:
            row = self._connection.execute(
                "SELECT skipped_count FROM sources WHERE location = ?", (location,)
            ).fetchone()
            skipped_count = row[0] if row else 0
        self._connection.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                location,
                position,
                fetched_at.astimezone(timezone.utc).isoformat(),
                counts[3],
                counts[0],
                counts[1],
                counts[2],
                skipped_count,
                etag,
                last_modified,
            ),
        )

    def source_record_count(self, location: str) -> int:
        row = self._connection.execute(
            "SELECT count(*) FROM advisories WHERE source = ?", (location,)
        ).fetchone()
        return int(row[0])

    def finish(self) -> DatabaseStatus:
        """Commit, fsync and close; the status of the finished file."""
        # Totals are counted once here, not on every open (a full scan of the table).
        total = self._connection.execute(
            "SELECT count(DISTINCT id), coalesce(sum(withdrawn), 0) FROM advisories"
        ).fetchone()
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "record_count": str(total[0]),
            "withdrawn_count": str(total[1]),
        }
        self._connection.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
        self._connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._connection.commit()
        try:
            status = _read_status(self._connection, self.path)
        finally:
            self._connection.close()
        with open(self.path, "rb+") as written:
            os.fsync(written.fileno())
        return status

    def abandon(self) -> None:
        self._connection.close()


def confirm_sources(path: Path, confirmed: Iterable[tuple[str, datetime]]) -> None:
    """Record in the live database that these sources were found unchanged at these times
    (one small transaction; readers keep reading)."""
    connection = sqlite3.connect(path, timeout=5)
    try:
        with connection:
            connection.executemany(
                "UPDATE sources SET fetched_at = ? WHERE location = ?",
                [(moment.astimezone(timezone.utc).isoformat(), loc) for loc, moment in confirmed],
            )
    finally:
        connection.close()
    integrity.seal(path)  # checked when it was opened to be refreshed; written here by SQLite


def read_status(path: Path) -> DatabaseStatus | None:
    """The status of the database at ``path``; None when there is no usable one."""
    if not path.is_file():
        return None
    try:
        with AdvisoryDatabase.open(path) as database:
            return database.status()
    except DatabaseError:
        return None


def _read_status(
    connection: sqlite3.Connection, path: Path, schema: int = SCHEMA_VERSION
) -> DatabaseStatus:
    if schema < SCHEMA_VERSION:
        return _read_legacy_status(connection, path, schema)
    rows = connection.execute(
        "SELECT location, fetched_at, newest_modified, record_count, malicious_count,"
        " withdrawn_count, skipped_count, etag, last_modified FROM sources ORDER BY position"
    ).fetchall()
    sources = tuple(
        SourceStatus(
            location=row[0],
            fetched_at=_utc(datetime.fromisoformat(row[1])),
            newest_modified=parse_timestamp(row[2]),
            record_count=row[3],
            malicious_count=row[4],
            withdrawn_count=row[5],
            skipped_count=row[6],
            etag=row[7],
            last_modified=row[8],
        )
        for row in rows
    )
    if not sources:
        raise ValueError("no sources recorded")
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    return DatabaseStatus(
        source=", ".join(source.location for source in sources),
        updated_at=min(source.fetched_at for source in sources),
        record_count=int(meta["record_count"]),
        skipped_count=sum(source.skipped_count for source in sources),
        path=path,
        withdrawn_count=int(meta["withdrawn_count"]),
        sources=sources,
    )


def _read_legacy_status(connection: sqlite3.Connection, path: Path, schema: int) -> DatabaseStatus:
    """A database from before sources: one source, described by the meta table."""
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    updated_at = _utc(datetime.fromisoformat(meta["updated_at"]))
    record_count = int(meta["record_count"])
    source = SourceStatus(
        location=meta["source"],
        fetched_at=updated_at,
        newest_modified=None,
        record_count=record_count,
        malicious_count=int(
            connection.execute("SELECT coalesce(sum(malicious), 0) FROM advisories").fetchone()[0]
        ),
        withdrawn_count=int(meta.get("withdrawn_count", "0")),
        skipped_count=int(meta["skipped_count"]),
    )
    return DatabaseStatus(
        source=source.location,
        updated_at=updated_at,
        record_count=record_count,
        skipped_count=source.skipped_count,
        path=path,
        withdrawn_count=source.withdrawn_count,
        sources=(source,),
        schema=schema,
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _encode_versions(versions: Iterable[str]) -> str:
    return "".join(f"\n{version}" for version in versions) + "\n"


class _ListedVersions:
    """The ``versions`` of an advisory, searched in their stored text form (no decoding) for
    the first few lookups; an advisory asked about more often (an installer's steering asks
    about every version a project page lists) is decoded into a set once."""

    _SEARCHES_BEFORE_DECODING = 3

    def __init__(self) -> None:
        self._listings: list[str] = []
        self._searches = 0
        self._decoded: set[str] | None = None

    def add_listing(self, encoded: str) -> None:
        self._listings.append(encoded)
        self._decoded = None

    def add_all(self, other: _ListedVersions) -> None:
        self._listings.extend(other._listings)
        self._decoded = None

    def listed(self) -> set[str]:
        """Every version listed (decoded once)."""
        if self._decoded is None:
            self._decoded = {v for listing in self._listings for v in listing.split("\n") if v}
        return self._decoded

    def __contains__(self, version: object) -> bool:
        if self._decoded is None and self._searches < self._SEARCHES_BEFORE_DECODING:
            self._searches += 1
            needle = f"\n{version}\n"
            return any(needle in listing for listing in self._listings)
        return str(version) in self.listed()


def _collect_hits(rows: Iterable[Sequence[Any]]) -> dict[str, _Hit]:
    """One ``_Hit`` per advisory id from the lookup rows: the newest copy when several
    sources carry it, and none when that copy is withdrawn (a record may list a name twice)."""
    newest: dict[str, tuple[str, str]] = {}  # id -> (modified, source) of the copy to use
    for advisory_id, modified, source, *_ in rows:
        candidate = (modified or "", source)
        chosen = newest.get(advisory_id)
        if (
            chosen is None
            or candidate[0] > chosen[0]
            or (candidate[0] == chosen[0] and candidate[1] < chosen[1])
        ):
            newest[advisory_id] = candidate
    hits: dict[str, _Hit] = {}
    for row in rows:
        advisory_id, modified, source, withdrawn, aliases, summary, severity, malicious = row[:8]
        if withdrawn or newest[advisory_id] != (modified or "", source):
            continue
        url = row[10]
        hit = hits.get(advisory_id)
        if hit is None:
            hit = hits[advisory_id] = _Hit(
                advisory_id, tuple(json.loads(aliases)), summary, severity, bool(malicious), url
            )
        hit.ranges.extend(_decode_ranges(row[8]))
        hit.versions.add_listing(row[9])
    return hits


def _decode_ranges(text: str) -> list[PreparedRange]:
    """A record's ranges, parsed once: an installer asks about hundreds of versions."""
    return [
        prepare_range([RangeEvent(kind, version) for kind, version in events])
        for events in json.loads(text)
    ]


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
        self.ranges: list[PreparedRange] = []
        self.versions = _ListedVersions()


class _ListedPositions:
    """Which of the sorted versions a listed version names: ``is_affected``'s rule (the
    version as written, or its normalized form, is in the list), without normalizing every
    version of a page: only versions equal to the listed one (found by their parsed value)
    can."""

    def __init__(self, readable: Sequence[tuple[Version, str]]) -> None:
        self._readable = readable
        self._texts: dict[str, list[int]] = {}
        self._equal: dict[Version, list[int]] = {}
        for position, (parsed, text) in enumerate(readable):
            self._texts.setdefault(text, []).append(position)
            self._equal.setdefault(parsed, []).append(position)

    def matching(self, listed: str) -> list[int]:
        exact = self._texts.get(listed, [])
        parsed = parse_version(listed)
        equal = self._equal.get(parsed, []) if parsed is not None else []
        if equal == exact:  # none other is equal (most often: the very text, or nothing)
            return exact
        return sorted(
            {*exact}.union(
                position
                for position in equal
                if normalize_version(self._readable[position][1]) == listed
            )
        )


class _SharedAnswers:
    """``matches(..., with_fix=False)`` for sets of a project's records (by position in
    ``hits``), each set answered once; the merged match of an alias group is built once.

    Records group by shared id or alias among the *affected* records only (a link through
    a record that does not affect the version joins nothing), so a set that holds part of
    a group of the project's records is grouped again; whole groups and lone records are
    taken as they are."""

    def __init__(self, hits: Sequence[_Hit]) -> None:
        self._hits = hits
        self._number = {id(hit): number for number, hit in enumerate(hits)}
        self._group_of: dict[int, int] = {}
        self._group_size: dict[int, int] = {}
        for group_number, group in enumerate(_alias_groups(hits)):
            self._group_size[group_number] = len(group)
            for hit in group:
                self._group_of[self._number[id(hit)]] = group_number
        self._answers: dict[tuple[int, ...], Sequence[AdvisoryMatch]] = {}
        self._merged: dict[tuple[int, ...], tuple[tuple[bool, int, str], AdvisoryMatch]] = {}

    def of(self, numbers: tuple[int, ...]) -> Sequence[AdvisoryMatch]:
        found = self._answers.get(numbers)
        if found is None:
            found = self._answers[numbers] = self._answer(numbers)
        return found

    def _answer(self, numbers: tuple[int, ...]) -> list[AdvisoryMatch]:
        by_group: dict[int, list[int]] = {}
        for number in numbers:
            by_group.setdefault(self._group_of[number], []).append(number)
        groups: list[tuple[int, ...]] = []
        for group_number, members in by_group.items():
            if len(members) in (1, self._group_size[group_number]):
                groups.append(tuple(members))
                continue
            for part in _alias_groups([self._hits[number] for number in members]):
                groups.append(tuple(self._number[id(hit)] for hit in part))
        return [match for _, match in sorted(self._merge(group) for group in groups)]

    def _merge(self, group: tuple[int, ...]) -> tuple[tuple[bool, int, str], AdvisoryMatch]:
        found = self._merged.get(group)
        if found is None:
            match = _merge([self._hits[number] for number in group], "", with_fix=False)
            found = self._merged[group] = (
                (not match.malicious, _id_rank(match.id), match.id),
                match,
            )
        return found


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


def _merge(group: Sequence[_Hit], version: str, with_fix: bool = True) -> AdvisoryMatch:
    primary = min(group, key=lambda hit: (_id_rank(hit.id), hit.id))
    identifiers = {hit.id for hit in group} | {alias for hit in group for alias in hit.aliases}
    severities = [hit.severity for hit in group if hit.severity is not None]
    return AdvisoryMatch(
        id=primary.id,
        aliases=tuple(sorted(identifiers - {primary.id})),
        summary=primary.summary or next((hit.summary for hit in group if hit.summary), ""),
        fixed_in=_first_fixed_for_all(version, group) if with_fix else None,
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
