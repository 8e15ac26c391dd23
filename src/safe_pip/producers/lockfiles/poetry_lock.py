"""Read ``poetry.lock``: versions and file hashes of every locked package.

Poetry records file names and hashes (``files``; ``[metadata.files]`` in lock format 1.x),
not URLs. The index comes from ``[package.source]`` when the package has one; otherwise it is
the default index, which the lock does not name.
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

from safe_pip.models import ArtifactSource
from safe_pip.producers.lockfiles.model import LockedArtifact, LockedPackage, LockFile, LockKind
from safe_pip.producers.lockfiles.toml_reading import Table, TomlReader

_SOURCE_KINDS = {
    "legacy": ArtifactSource.INDEX,
    "url": ArtifactSource.DIRECT_URL,
    "git": ArtifactSource.VCS,
    "file": ArtifactSource.LOCAL_PATH,
    "directory": ArtifactSource.LOCAL_PATH,
}


def read_poetry_lock(path: Path, data: Table) -> LockFile:
    toml = TomlReader(path)
    metadata = toml.table(data, "metadata", "top level") or {}
    old_style_files = toml.table(metadata, "files", "[metadata]") or {}
    files_by_name: dict[str, object] = {
        canonicalize_name(str(k)): v for k, v in old_style_files.items()
    }
    packages: list[LockedPackage] = []
    for number, raw in enumerate(toml.tables(data, "package", "top level", required=False), 1):
        packages.append(_read_package(toml, raw, number, files_by_name))
    index_urls = sorted({p.index_url for p in packages if p.index_url})
    return LockFile(path, LockKind.POETRY_LOCK, tuple(packages), tuple(index_urls))


def _read_package(
    toml: TomlReader, raw: Table, number: int, files_by_name: dict[str, object]
) -> LockedPackage:
    name = toml.required_string(raw, "name", f"package #{number}")
    where = f"package '{name}'"
    version = toml.required_string(raw, "version", where)
    normalized = canonicalize_name(name)

    source = ArtifactSource.INDEX
    index_url: str | None = None
    location: str | None = None
    source_table = toml.table(raw, "source", where)
    if source_table is not None:
        source_type = toml.required_string(source_table, "type", f"{where} source")
        url = toml.required_string(source_table, "url", f"{where} source")
        if source_type not in _SOURCE_KINDS:
            raise toml.malformed(f"{where} source", f"unknown source type {source_type!r}")
        source = _SOURCE_KINDS[source_type]
        if source_type == "directory" and raw.get("develop") is True:
            source = ArtifactSource.EDITABLE
        if source is ArtifactSource.INDEX:
            index_url = url
        else:
            revision = source_table.get("resolved_reference")
            location = f"{url}@{revision}" if source_type == "git" and revision else url

    if "files" in raw:
        entries = toml.tables(raw, "files", where, required=True)
    else:
        old = files_by_name.get(normalized, [])
        if not isinstance(old, list) or not all(isinstance(e, dict) for e in old):
            raise toml.malformed(f"[metadata.files] {name}", "must be an array of tables")
        entries = old
    artifacts = tuple(_artifact(toml, entry, where) for entry in entries)
    return LockedPackage(
        name=normalized,
        version=version,
        source=source,
        index_url=index_url,
        artifacts=artifacts,
        location=location,
    )


def _artifact(toml: TomlReader, entry: Table, where: str) -> LockedArtifact:
    filename = toml.required_string(entry, "file", where)
    label = f"{where} {filename}"
    digest = toml.required_string(entry, "hash", label)
    url = toml.optional_string(entry, "url", label)
    return LockedArtifact(filename=filename, url=url, sha256=toml.prefixed_sha256(digest, label))
