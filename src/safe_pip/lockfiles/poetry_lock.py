"""Read ``poetry.lock``: versions and file hashes of every locked package.

Poetry records file names and hashes (``files``; ``[metadata.files]`` in lock format 1.x),
not URLs. The index comes from ``[package.source]`` when the package has one; otherwise it is
the default index, which the lock does not name.
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

from safe_pip.lockfiles.model import LockedArtifact, LockedPackage, LockFile, LockKind
from safe_pip.lockfiles.toml_reading import (
    Table,
    malformed,
    optional_string,
    prefixed_sha256,
    required_string,
    table,
    tables,
)
from safe_pip.models import ArtifactSource

_SOURCE_KINDS = {
    "legacy": ArtifactSource.INDEX,
    "url": ArtifactSource.DIRECT_URL,
    "git": ArtifactSource.VCS,
    "file": ArtifactSource.LOCAL_PATH,
    "directory": ArtifactSource.LOCAL_PATH,
}


def read_poetry_lock(path: Path, data: Table) -> LockFile:
    metadata = table(data, "metadata", path, "top level") or {}
    old_style_files = table(metadata, "files", path, "[metadata]") or {}
    files_by_name: dict[str, object] = {
        canonicalize_name(str(k)): v for k, v in old_style_files.items()
    }
    packages: list[LockedPackage] = []
    for number, raw in enumerate(tables(data, "package", path, "top level", required=False), 1):
        packages.append(_read_package(path, raw, number, files_by_name))
    index_urls = sorted({p.index_url for p in packages if p.index_url})
    return LockFile(path, LockKind.POETRY_LOCK, tuple(packages), tuple(index_urls))


def _read_package(
    path: Path, raw: Table, number: int, files_by_name: dict[str, object]
) -> LockedPackage:
    name = required_string(raw, "name", path, f"package #{number}")
    where = f"package '{name}'"
    version = required_string(raw, "version", path, where)
    normalized = canonicalize_name(name)

    source = ArtifactSource.INDEX
    index_url: str | None = None
    location: str | None = None
    source_table = table(raw, "source", path, where)
    if source_table is not None:
        source_type = required_string(source_table, "type", path, f"{where} source")
        url = required_string(source_table, "url", path, f"{where} source")
        if source_type not in _SOURCE_KINDS:
            raise malformed(path, f"{where} source", f"unknown source type {source_type!r}")
        source = _SOURCE_KINDS[str(source_type)]
        if source_type == "directory" and raw.get("develop") is True:
            source = ArtifactSource.EDITABLE
        if source is ArtifactSource.INDEX:
            index_url = url
        else:
            revision = source_table.get("resolved_reference")
            location = f"{url}@{revision}" if source_type == "git" and revision else url

    if "files" in raw:
        entries = tables(raw, "files", path, where, required=True)
    else:
        old = files_by_name.get(normalized, [])
        if not isinstance(old, list) or not all(isinstance(e, dict) for e in old):
            raise malformed(path, f"[metadata.files] {name}", "must be an array of tables")
        entries = old
    artifacts = tuple(_artifact(path, entry, where) for entry in entries)
    return LockedPackage(
        name=normalized,
        version=version,
        source=source,
        index_url=index_url,
        artifacts=artifacts,
        location=location,
    )


def _artifact(path: Path, entry: Table, where: str) -> LockedArtifact:
    filename = required_string(entry, "file", path, where)
    label = f"{where} {filename}"
    digest = required_string(entry, "hash", path, label)
    url = optional_string(entry, "url", path, label)
    return LockedArtifact(filename=filename, url=url, sha256=prefixed_sha256(digest, path, label))
