"""``--find-links`` locations read as safe-pip reads an index: the files one of them offers
for a project, with the location as the "index" they come from.

A location is a page (HTTP(S), or a local HTML file: read like a flat index page, by
``client.parse_page``) or a local directory (a path or a ``file://`` URL): its files are
listed and hashed here, as pip would offer them. Only the project's own files are kept
(the name a wheel or sdist file name carries).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from safe_pip.index.files import IndexFile

_CHUNK = 1 << 20


def project_of_file(filename: str) -> str | None:
    """The normalized project name a wheel or sdist file name carries (None: neither)."""
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def local_directory(location: str) -> Path | None:
    """The directory a find-links location names on this machine (a path or a ``file://``
    URL), or None (a page, a file, or nothing there)."""
    if "://" in location:
        parts = urlsplit(location)
        if parts.scheme.lower() != "file":
            return None
        from urllib.request import url2pathname

        path = Path(url2pathname(unquote(parts.path)))
    else:
        path = Path(os.path.expanduser(location))
    return path if path.is_dir() else None


def missing_local_page(index_url: str, name: str) -> bool:
    """A ``file://`` index with no directory for project ``name``: pip reads nothing there
    (it logs "neither a file nor a directory" and goes on), so, like a 404, the index does
    not have the project."""
    parts = urlsplit(index_url)
    if parts.scheme.lower() != "file":
        return False
    base = Path(unquote(parts.path))
    return not (base / canonicalize_name(name)).exists() and not (base / name).exists()


def directory_files(directory: Path, location: str, name: str) -> list[IndexFile]:
    """The files of project ``name`` in a find-links ``directory``, hashed (a directory
    publishes no hashes; its bytes are what pip installs)."""
    wanted = canonicalize_name(name)
    files: list[IndexFile] = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or project_of_file(path.name) != wanted:
            continue
        files.append(
            IndexFile(
                filename=path.name,
                url=path.resolve().as_uri(),
                sha256=_sha256(path),
                yanked=False,
                yanked_reason=None,
                upload_time=None,
                index_url=location,
            )
        )
    return files


def of_project(files: Iterable[IndexFile], name: str) -> list[IndexFile]:
    """The files of a flat page that belong to project ``name``."""
    wanted = canonicalize_name(name)
    return [file for file in files if project_of_file(file.filename) == wanted]


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            for chunk in iter(lambda: file.read(_CHUNK), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
