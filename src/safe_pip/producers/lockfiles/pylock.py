"""Read PEP 751 lock files (``pylock.toml``, ``pylock.<name>.toml``).

Every package becomes one ``LockedPackage`` carrying all the wheels and the sdist the file
lists; ``archive``, ``vcs`` and ``directory`` packages become direct-URL, VCS and local
sources. Relative paths are taken relative to the lock file, as PEP 751 says.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from packaging.utils import canonicalize_name

from safe_pip.artifacts import filename_from_url
from safe_pip.models import ArtifactSource
from safe_pip.producers.lockfiles.model import (
    UNKNOWN_VERSION,
    LockedArtifact,
    LockedPackage,
    LockFile,
    LockKind,
    lock_upload_time,
)
from safe_pip.producers.lockfiles.toml_reading import Table, TomlReader


def read_pylock(path: Path, data: Table) -> LockFile:
    toml = TomlReader(path)
    toml.required_string(data, "lock-version", "top level")
    packages: list[LockedPackage] = []
    for number, raw in enumerate(toml.tables(data, "packages", "top level", required=True), 1):
        package = _read_package(toml, raw, number)
        if package is not None:
            packages.append(package)
    index_urls = sorted({p.index_url for p in packages if p.index_url})
    return LockFile(path, LockKind.PYLOCK, tuple(packages), tuple(index_urls))


def _read_package(toml: TomlReader, raw: Table, number: int) -> LockedPackage | None:
    name = toml.required_string(raw, "name", f"package #{number}")
    where = f"package '{name}'"
    version = toml.optional_string(raw, "version", where)
    base = LockedPackage(name=canonicalize_name(name), version=version or UNKNOWN_VERSION)

    directory = toml.table(raw, "directory", where)
    if directory is not None:
        location = toml.required_string(directory, "path", f"{where} directory")
        if location == ".":
            return None  # the project this lock file belongs to
        editable = directory.get("editable") is True
        source = ArtifactSource.EDITABLE if editable else ArtifactSource.LOCAL_PATH
        return replace(base, source=source, location=_located(toml.path, location))

    vcs = toml.table(raw, "vcs", where)
    if vcs is not None:
        url = toml.optional_string(vcs, "url", f"{where} vcs")
        local = toml.optional_string(vcs, "path", f"{where} vcs")
        commit = toml.required_string(vcs, "commit-id", f"{where} vcs")
        vcs_type = toml.required_string(vcs, "type", f"{where} vcs")
        where_from = url or (local and _located(toml.path, local))
        if not where_from:
            raise toml.malformed(f"{where} vcs", "needs 'url' or 'path'")
        location = f"{vcs_type}+{where_from}@{commit}"
        return replace(base, source=ArtifactSource.VCS, location=location)

    archive = toml.table(raw, "archive", where)
    if archive is not None:
        artifact = _artifact(toml, archive, f"{where} archive")
        source = ArtifactSource.DIRECT_URL if artifact.url else ArtifactSource.LOCAL_PATH
        return replace(base, source=source, artifacts=(artifact,), location=artifact.url)

    entries = toml.tables(raw, "wheels", where, required=False)
    sdist = toml.table(raw, "sdist", where)
    if sdist is not None:
        entries = [sdist, *entries]
    if not entries:
        raise toml.malformed(
            where, "needs one of 'wheels', 'sdist', 'archive', 'vcs' or 'directory'"
        )
    if version is None:
        raise toml.malformed(where, "missing required key 'version'")
    index_url = toml.optional_string(raw, "index", where)
    artifacts = tuple(_artifact(toml, entry, where) for entry in entries)
    return replace(base, index_url=index_url, artifacts=artifacts)


def _artifact(toml: TomlReader, entry: Table, where: str) -> LockedArtifact:
    url = toml.optional_string(entry, "url", where)
    local = toml.optional_string(entry, "path", where)
    location = url or (local and _located(toml.path, local))
    filename = toml.optional_string(entry, "name", where)
    if filename is None and location:
        filename = filename_from_url(location)
    if not location and not filename:
        raise toml.malformed(where, "an artifact needs 'url', 'path' or 'name'")
    label = f"{where} {filename}" if filename else where
    hashes = toml.table(entry, "hashes", label)
    if hashes is None:
        raise toml.malformed(label, "missing required key 'hashes'")
    digest = hashes.get("sha256")
    sha256 = toml.sha256(str(digest), label) if digest is not None else None
    return LockedArtifact(
        filename=filename,
        url=location or None,
        sha256=sha256,
        upload_time=lock_upload_time(entry.get("upload-time")),
    )


def _located(lock_path: Path, location: str) -> str:
    """An absolute path for a path relative to the lock file."""
    candidate = Path(location)
    if not candidate.is_absolute():
        candidate = (lock_path.parent / candidate).resolve()
    return str(candidate)
