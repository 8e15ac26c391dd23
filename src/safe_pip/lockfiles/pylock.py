"""Read PEP 751 lock files (``pylock.toml``, ``pylock.<name>.toml``).

Every package becomes one ``LockedPackage`` carrying all the wheels and the sdist the file
lists; ``archive``, ``vcs`` and ``directory`` packages become direct-URL, VCS and local
sources. Relative paths are taken relative to the lock file, as PEP 751 says.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from packaging.utils import canonicalize_name

from safe_pip.lockfiles.model import (
    UNKNOWN_VERSION,
    LockedArtifact,
    LockedPackage,
    LockFile,
    LockKind,
)
from safe_pip.lockfiles.toml_reading import (
    Table,
    checked_sha256,
    filename_from_url,
    malformed,
    optional_string,
    required_string,
    table,
    tables,
)
from safe_pip.models import ArtifactSource


def read_pylock(path: Path, data: Table) -> LockFile:
    required_string(data, "lock-version", path, "top level")
    packages: list[LockedPackage] = []
    for number, raw in enumerate(tables(data, "packages", path, "top level", required=True), 1):
        package = _read_package(path, raw, number)
        if package is not None:
            packages.append(package)
    index_urls = sorted({p.index_url for p in packages if p.index_url})
    return LockFile(path, LockKind.PYLOCK, tuple(packages), tuple(index_urls))


def _read_package(path: Path, raw: Table, number: int) -> LockedPackage | None:
    name = required_string(raw, "name", path, f"package #{number}")
    where = f"package '{name}'"
    version = optional_string(raw, "version", path, where)
    base = LockedPackage(name=canonicalize_name(name), version=version or UNKNOWN_VERSION)

    directory = table(raw, "directory", path, where)
    if directory is not None:
        location = required_string(directory, "path", path, f"{where} directory")
        if location == ".":
            return None  # the project this lock file belongs to
        editable = directory.get("editable") is True
        source = ArtifactSource.EDITABLE if editable else ArtifactSource.LOCAL_PATH
        return replace(base, source=source, location=_located(path, location))

    vcs = table(raw, "vcs", path, where)
    if vcs is not None:
        url = optional_string(vcs, "url", path, f"{where} vcs")
        local = optional_string(vcs, "path", path, f"{where} vcs")
        commit = required_string(vcs, "commit-id", path, f"{where} vcs")
        vcs_type = required_string(vcs, "type", path, f"{where} vcs")
        where_from = url or (local and _located(path, local))
        if not where_from:
            raise malformed(path, f"{where} vcs", "needs 'url' or 'path'")
        location = f"{vcs_type}+{where_from}@{commit}"
        return replace(base, source=ArtifactSource.VCS, location=location)

    archive = table(raw, "archive", path, where)
    if archive is not None:
        artifact = _artifact(path, archive, f"{where} archive")
        source = ArtifactSource.DIRECT_URL if artifact.url else ArtifactSource.LOCAL_PATH
        return replace(base, source=source, artifacts=(artifact,), location=artifact.url)

    entries = tables(raw, "wheels", path, where, required=False)
    sdist = table(raw, "sdist", path, where)
    if sdist is not None:
        entries = [sdist, *entries]
    if not entries:
        raise malformed(
            path, where, "needs one of 'wheels', 'sdist', 'archive', 'vcs' or 'directory'"
        )
    if version is None:
        raise malformed(path, where, "missing required key 'version'")
    index_url = optional_string(raw, "index", path, where)
    artifacts = tuple(_artifact(path, entry, where) for entry in entries)
    return replace(base, index_url=index_url, artifacts=artifacts)


def _artifact(path: Path, entry: Table, where: str) -> LockedArtifact:
    url = optional_string(entry, "url", path, where)
    local = optional_string(entry, "path", path, where)
    location = url or (local and _located(path, local))
    filename = optional_string(entry, "name", path, where)
    if filename is None and location:
        filename = filename_from_url(location)
    if not location and not filename:
        raise malformed(path, where, "an artifact needs 'url', 'path' or 'name'")
    label = f"{where} {filename}" if filename else where
    hashes = table(entry, "hashes", path, label)
    if hashes is None:
        raise malformed(path, label, "missing required key 'hashes'")
    digest = hashes.get("sha256")
    sha256 = checked_sha256(str(digest), path, label) if digest is not None else None
    return LockedArtifact(filename=filename, url=location or None, sha256=sha256)


def _located(lock_path: Path, location: str) -> str:
    """An absolute path for a path relative to the lock file."""
    candidate = Path(location)
    if not candidate.is_absolute():
        candidate = (lock_path.parent / candidate).resolve()
    return str(candidate)
