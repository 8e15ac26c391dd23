"""Give requirement pins their file names: find each pinned sha256 on the index.

``name==version --hash=sha256:...`` names no file, so the hash cannot be compared with one
published file. Here each pinned hash is looked up among the files the index publishes for
the project: a match gives the item its file name and URL (so the usual index, yanked and
first-seen checks apply); a hash that matches no published file of that version is a
``HASH-INDEX`` finding. A pin with neither hash nor file (``name==version`` checked as
written) stands for every file the index publishes for that version, as a lock listing them
all would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from safe_pip.index.client import IndexFile
from safe_pip.models import ArtifactSource, Category, Finding, PlanItem
from safe_pip.pipeline.checks import HASH_INDEX_ID, item_finding


def needs_file_names(item: PlanItem) -> bool:
    return item.source is ArtifactSource.INDEX and bool(item.sha256) and not item.filename


def attach_file_names(
    items: Sequence[PlanItem], index_files: Mapping[str, Sequence[IndexFile]]
) -> tuple[list[PlanItem], list[Finding]]:
    """Items with file names where the index has their hash, and findings for the others."""
    named: list[PlanItem] = []
    findings: list[Finding] = []
    by_sha256: dict[str, dict[str, IndexFile]] = {}  # per project, built on first use
    for item in items:
        files = index_files.get(item.name, ())
        if _names_no_file(item):
            named.extend(_published_files(item, files) or [item])
            continue
        if not needs_file_names(item):
            named.append(item)
            continue
        if item.name not in by_sha256:
            by_sha256[item.name] = _first_file_per_sha256(files)
        match = by_sha256[item.name].get(item.sha256 or "")
        if match is not None:
            named.append(
                replace(item, filename=match.filename, url=match.url, index_url=match.index_url)
            )
            continue
        named.append(item)
        published = [f for f in files if _version_of(f.filename) == _parsed(item.version)]
        if published:
            findings.append(_not_published(item, published))
    return named, findings


def _first_file_per_sha256(files: Sequence[IndexFile]) -> dict[str, IndexFile]:
    """A hash-pinned lock lists several hashes per project: index its page once."""
    first: dict[str, IndexFile] = {}
    for file in files:
        if file.sha256:
            first.setdefault(file.sha256, file)
    return first


def _names_no_file(item: PlanItem) -> bool:
    return item.source is ArtifactSource.INDEX and not item.sha256 and not item.filename


def _published_files(item: PlanItem, files: Sequence[IndexFile]) -> list[PlanItem]:
    """One item per file the indexes publish for the item's version (a file name once)."""
    version = _parsed(item.version)
    published = {
        f.filename: f for f in reversed(files) if version and _version_of(f.filename) == version
    }
    return [
        replace(item, filename=f.filename, url=f.url, index_url=f.index_url, sha256=f.sha256)
        for f in reversed(published.values())
    ]


def _not_published(item: PlanItem, published: Sequence[IndexFile]) -> Finding:
    assert item.sha256 is not None
    summary = (
        f"pinned sha256 {item.sha256[:10]} is not the hash of any of the "
        f"{len(published)} file(s) the index publishes for {item.spec}"
    )
    return item_finding(item, Category.HASH_MISMATCH, HASH_INDEX_ID, summary)


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def _parsed(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None
