"""Read ``uv.lock``: every locked package with all its wheels and sdist, for every platform.

The project itself and its workspace members (``virtual``/``editable``/``directory`` sources
at ``.`` or listed in ``[manifest] members``) are the user's own code and are not reported.
"""

from __future__ import annotations

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

_SOURCE_KINDS = {
    "registry": ArtifactSource.INDEX,
    "url": ArtifactSource.DIRECT_URL,
    "git": ArtifactSource.VCS,
    "path": ArtifactSource.LOCAL_PATH,
    "directory": ArtifactSource.LOCAL_PATH,
    "editable": ArtifactSource.EDITABLE,
    "virtual": ArtifactSource.LOCAL_PATH,
}
_OWN_CODE_KINDS = ("virtual", "editable", "directory")


def read_uv_lock(path: Path, data: Table) -> LockFile:
    toml = TomlReader(path)
    if not isinstance(data.get("version"), int):
        raise toml.malformed("top level", "missing required integer key 'version'")
    manifest = toml.table(data, "manifest", "top level") or {}
    raw_members = manifest.get("members", [])
    if not isinstance(raw_members, list):
        raise toml.malformed("[manifest]", "'members' must be an array of names")
    members: set[str] = {canonicalize_name(str(m)) for m in raw_members}
    packages: list[LockedPackage] = []
    dependencies: dict[str, tuple[str, ...]] = {}
    requested: set[str] = set()
    for number, raw in enumerate(toml.tables(data, "package", "top level", required=False), 1):
        package = _read_package(toml, raw, number, members)
        depends_on = _dependency_names(raw)
        if package is not None:
            packages.append(package)
            dependencies[package.name] = depends_on
        else:  # the project or a workspace member: what it asks for is what the user asked for
            requested.update(depends_on)
    index_urls = sorted(
        {p.index_url for p in packages if p.index_url and p.index_url.startswith("http")}
    )
    return LockFile(
        path,
        LockKind.UV_LOCK,
        tuple(packages),
        tuple(index_urls),
        dependencies=dependencies,
        requested=frozenset(requested),
    )


def _dependency_names(raw: Table) -> tuple[str, ...]:
    """The names a package entry depends on: ``dependencies``, and every extra's and group's
    (``optional-dependencies``, ``dev-dependencies``); only for the report's dependency
    paths, so entries of another shape are skipped, not refused."""
    entries: list[object] = []
    plain = raw.get("dependencies")
    if isinstance(plain, list):
        entries += plain
    for key in ("optional-dependencies", "dev-dependencies"):
        groups = raw.get(key)
        if isinstance(groups, dict):
            for group in groups.values():
                if isinstance(group, list):
                    entries += group
    names = (entry.get("name") for entry in entries if isinstance(entry, dict))
    return tuple(dict.fromkeys(canonicalize_name(n) for n in names if isinstance(n, str)))


def _read_package(
    toml: TomlReader, raw: Table, number: int, members: set[str]
) -> LockedPackage | None:
    name = toml.required_string(raw, "name", f"package #{number}")
    where = f"package '{name}'"
    source = toml.table(raw, "source", where)
    if not source:
        raise toml.malformed(where, "missing required key 'source'")
    kind = next((k for k in _SOURCE_KINDS if k in source), None)
    if kind is None:
        raise toml.malformed(where, f"unknown source {dict(source)!r}")
    location = str(source[kind])
    if kind in _OWN_CODE_KINDS and (
        kind == "virtual" or location == "." or canonicalize_name(name) in members
    ):
        return None
    if kind == "registry":
        version: str | None = toml.required_string(raw, "version", where)
    else:
        version = toml.optional_string(raw, "version", where)
    artifacts = _artifacts(toml, raw, where)
    if kind == "registry" and not artifacts:
        raise toml.malformed(where, "a registry package needs 'wheels' or 'sdist'")
    return LockedPackage(
        name=canonicalize_name(name),
        version=version or UNKNOWN_VERSION,
        source=_SOURCE_KINDS[kind],
        index_url=location if kind == "registry" else None,
        artifacts=artifacts,
        location=None if kind == "registry" else location,
    )


def _artifacts(toml: TomlReader, raw: Table, where: str) -> tuple[LockedArtifact, ...]:
    entries = toml.tables(raw, "wheels", where, required=False)
    sdist = toml.table(raw, "sdist", where)
    if sdist is not None:
        entries = [sdist, *entries]
    return tuple(_artifact(toml, entry, where) for entry in entries)


def _artifact(toml: TomlReader, entry: Table, where: str) -> LockedArtifact:
    url = toml.optional_string(entry, "url", where)
    local = toml.optional_string(entry, "path", where)
    filename = toml.optional_string(entry, "filename", where)
    location = url or local
    if filename is None and location is not None:
        filename = filename_from_url(location)
    if filename is None:
        raise toml.malformed(where, "an artifact needs 'url', 'path' or 'filename'")
    digest = toml.optional_string(entry, "hash", f"{where} {filename}")
    sha256 = toml.prefixed_sha256(digest, f"{where} {filename}") if digest else None
    return LockedArtifact(
        filename=filename,
        url=location,
        sha256=sha256,
        upload_time=lock_upload_time(entry.get("upload-time")),
    )
