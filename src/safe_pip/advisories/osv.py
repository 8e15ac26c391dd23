"""Parse and validate one OSV record (https://ossf.github.io/osv-schema/), PyPI ecosystem only.

Only what safe-pip needs is kept: ids, aliases, a one-line summary, the advisory's URL,
withdrawn and malicious flags, a CVSS v3 score, and per PyPI package the ECOSYSTEM ranges and
the explicit ``versions`` list (GIT and SEMVER ranges do not describe PyPI versions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from safe_pip.advisories.cvss import record_severity
from safe_pip.advisories.version_match import EVENT_KINDS, RangeEvent, normalize_version
from safe_pip.times import parse_timestamp, timestamp_text

PYPI_ECOSYSTEM = "PyPI"
MALICIOUS_PREFIX = "MAL-"
OSV_VULNERABILITY_URL = "https://osv.dev/vulnerability/"
# A first sentence of details shorter than this ("Requests is a HTTP library.") says nothing
# about the problem: the next sentence is added.
_SHORT_SENTENCE_CHARS = 50
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Reference types that point at a description of the advisory, most specific first.
_ADVISORY_REFERENCE_TYPES = ("ADVISORY", "WEB")


class MalformedRecordError(ValueError):
    """An OSV record that does not follow the schema; the message names the record."""


@dataclass(frozen=True)
class AffectedPackage:
    """The affected versions of one PyPI package in one advisory."""

    name: str  # PEP 503-normalized
    ranges: tuple[tuple[RangeEvent, ...], ...]  # ECOSYSTEM ranges only
    versions: tuple[str, ...]  # normalized with version_match.normalize_version


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str  # one line, full length (text reports shorten it to the terminal)
    withdrawn: bool
    malicious: bool
    severity: float | None  # CVSS base score of the newest version present (cvss.py)
    affected: tuple[AffectedPackage, ...]
    url: str = ""  # where a person reads the advisory
    modified: str | None = None  # ``timestamps.timestamp_text`` of the record's ``modified``


def parse_record(record: object, origin: str | None = None) -> Advisory | None:
    """An ``Advisory`` for a record, or ``None`` if it affects no PyPI package.

    Raises ``MalformedRecordError`` (a ``ValueError``) naming the record id (or ``origin``,
    e.g. the file it came from) when the record is not valid OSV.
    """
    where = origin or "OSV record"
    if not isinstance(record, dict):
        raise MalformedRecordError(f"{where}: not a JSON object")
    record_id = record.get("id")
    if not isinstance(record_id, str) or not record_id.strip():
        raise MalformedRecordError(f"{where}: missing 'id'")
    where = f"{record_id} ({origin})" if origin else record_id
    aliases = _string_list(record, "aliases", where)
    affected = _pypi_packages(record.get("affected", []), where)
    if not affected:
        return None
    return Advisory(
        id=record_id,
        aliases=tuple(alias for alias in aliases if alias != record_id),
        summary=_summary(record, where),
        withdrawn=bool(record.get("withdrawn")),
        malicious=any(i.startswith(MALICIOUS_PREFIX) for i in (record_id, *aliases)),
        severity=_severity(record),
        affected=affected,
        url=advisory_url(record, record_id),
        modified=_modified(record),
    )


def _modified(record: dict[str, object]) -> str | None:
    value = record.get("modified")
    moment = parse_timestamp(value) if isinstance(value, str) else None
    return None if moment is None else timestamp_text(moment)


def _string_list(data: dict[str, object], key: str, where: str) -> list[str]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedRecordError(f"{where}: '{key}' must be a list of strings")
    return list(value)


def _summary(record: dict[str, object], where: str) -> str:
    """The record's ``summary``, else the opening of ``details`` (its first sentence, or two
    when the first is too short to say anything), on one line and not shortened."""
    summary = record.get("summary")
    details = record.get("details")
    for field, value in (("summary", summary), ("details", details)):
        if value is not None and not isinstance(value, str):
            raise MalformedRecordError(f"{where}: '{field}' must be a string")
    text = " ".join(summary.split()) if isinstance(summary, str) else ""
    if text or not isinstance(details, str):
        return text
    first_paragraph = " ".join(details.strip().split("\n\n", 1)[0].split())
    sentences = _SENTENCE_END.split(first_paragraph)
    opening = sentences[0]
    if len(opening) < _SHORT_SENTENCE_CHARS and len(sentences) > 1:
        opening = f"{opening} {sentences[1]}"
    return opening


def advisory_url(record: dict[str, object], record_id: str) -> str:
    """The advisory's own page: an ADVISORY (else WEB) reference that names the record's id,
    else one that names an alias (``github.com/advisories/GHSA-...``), else the record's page
    on osv.dev -- never a vendor's errata page that happens to be listed first."""
    references = [ref for ref in _list_or_empty(record.get("references")) if isinstance(ref, dict)]
    aliases = [a for a in _list_or_empty(record.get("aliases")) if isinstance(a, str) and a]
    for names in ([record_id], aliases):
        for kind in _ADVISORY_REFERENCE_TYPES:
            for reference in references:
                url = reference.get("url")
                if (
                    reference.get("type") == kind
                    and isinstance(url, str)
                    and _is_web_url(url)
                    and any(name.lower() in url.lower() for name in names)
                ):
                    return url
    return OSV_VULNERABILITY_URL + record_id


def _is_web_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and not any(c.isspace() for c in url)


def _severity(record: dict[str, object]) -> float | None:
    entries: list[object] = []
    specifics: list[object] = []
    for holder in (record, *_list_or_empty(record.get("affected"))):
        if isinstance(holder, dict):
            entries.extend(_list_or_empty(holder.get("severity")))
            specifics.append(holder.get("database_specific"))
    return record_severity(entries, specifics)


def _list_or_empty(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _pypi_packages(affected: object, where: str) -> tuple[AffectedPackage, ...]:
    if not isinstance(affected, list):
        raise MalformedRecordError(f"{where}: 'affected' must be a list")
    packages: list[AffectedPackage] = []
    for entry in affected:
        if not isinstance(entry, dict):
            raise MalformedRecordError(f"{where}: 'affected' entries must be objects")
        package = entry.get("package")
        if not isinstance(package, dict):
            raise MalformedRecordError(f"{where}: affected entry without 'package'")
        if package.get("ecosystem") != PYPI_ECOSYSTEM:
            continue
        name = package.get("name")
        if not isinstance(name, str) or not name.strip():
            raise MalformedRecordError(f"{where}: PyPI package without a name")
        packages.append(
            AffectedPackage(
                name=canonicalize_name(name.strip()),
                ranges=_ecosystem_ranges(entry.get("ranges", []), where),
                versions=tuple(
                    dict.fromkeys(
                        normalize_version(v) for v in _string_list(entry, "versions", where)
                    )
                ),
            )
        )
    return tuple(packages)


def _ecosystem_ranges(ranges: object, where: str) -> tuple[tuple[RangeEvent, ...], ...]:
    if ranges is None:
        return ()
    if not isinstance(ranges, list):
        raise MalformedRecordError(f"{where}: 'ranges' must be a list")
    parsed: list[tuple[RangeEvent, ...]] = []
    for range_ in ranges:
        if not isinstance(range_, dict) or not isinstance(range_.get("events"), list):
            raise MalformedRecordError(f"{where}: every range needs an 'events' list")
        if range_.get("type") != "ECOSYSTEM":
            continue
        events: list[RangeEvent] = []
        for event in range_["events"]:
            if not isinstance(event, dict):
                raise MalformedRecordError(f"{where}: range events must be objects")
            for kind in EVENT_KINDS:
                value = event.get(kind)
                if isinstance(value, str) and value.strip():
                    events.append(RangeEvent(kind, value.strip()))
        if events:
            parsed.append(tuple(events))
    return tuple(parsed)
