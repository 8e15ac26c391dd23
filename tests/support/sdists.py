"""Source distributions whose build runs code, for the "nothing unchecked runs" tests.

Each sdist carries a tiny in-tree PEP 517 backend (stdlib only, so no setuptools is needed on
the local index). Importing the backend writes ``marker`` -- the file a test asserts never
appears -- then builds a plain wheel. ``build_requires`` go into ``[build-system] requires``,
so pip installs them into an isolated build environment before the backend is imported.
A wheel whose module writes the marker on import stands in for a malicious build dependency
(``marker_wheel_files``).
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from support.wheels import FIXED_ZIP_TIME, metadata_text, module_name

BACKEND_MODULE = "inplace_backend"

_MARKER_CODE = """\
import os as _os
with open({marker!r}, "a", encoding="utf-8") as _marker:
    _marker.write("code of {who} ran in pid %d\\n" % _os.getpid())
"""

_BACKEND_CODE = '''\
"""A minimal PEP 517 backend: writes the marker on import, builds a pure wheel."""
{marker_code}
{imports}
import base64, hashlib, os, zipfile

NAME = {name!r}
VERSION = {version!r}
METADATA = {metadata!r}
WHEEL = b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
EXTRA = {wheel_files!r}


def get_requires_for_build_wheel(config_settings=None):
    return []


def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    part = NAME.replace("-", "_")
    dist_info = "%s-%s.dist-info" % (part, VERSION)
    members = [
        ("%s/__init__.py" % part, b""),
        (dist_info + "/METADATA", METADATA.encode()),
        (dist_info + "/WHEEL", WHEEL),
    ] + [(path, text.encode()) for path, text in sorted(EXTRA.items())]
    record = "".join("%s,%s,%d\\n" % (p, _record_hash(d), len(d)) for p, d in members)
    members.append((dist_info + "/RECORD", (record + dist_info + "/RECORD,,\\n").encode()))
    filename = "%s-%s-py3-none-any.whl" % (part, VERSION)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        for path, data in members:
            archive.writestr(zipfile.ZipInfo(path, date_time={zip_time!r}), data)
    return filename
'''


def marker_code(marker: Path, who: str) -> str:
    """Python source that appends one line to ``marker`` when it runs."""
    return _MARKER_CODE.format(marker=str(marker), who=who)


def sdist_filename(name: str, version: str) -> str:
    return f"{module_name(name)}-{version}.tar.gz"


def sdist_bytes(
    name: str,
    version: str,
    *,
    marker: Path | None = None,
    requires: Sequence[str] = (),
    build_requires: Sequence[str] = (),
    backend_imports: Sequence[str] = (),
    wheel_files: Mapping[str, str] | None = None,
) -> bytes:
    """A ``.tar.gz`` sdist built by its own in-tree backend.

    ``marker``: importing the backend (metadata preparation or a build) writes this file.
    ``backend_imports``: modules the backend imports (e.g. a build dependency's module).
    ``wheel_files``: more archive paths -> text in the wheel the backend builds.
    """
    root = f"{module_name(name)}-{version}"
    metadata = metadata_text(name, version, requires)
    requires_list = ", ".join(f'"{requirement}"' for requirement in build_requires)
    pyproject = (
        "[build-system]\n"
        f"requires = [{requires_list}]\n"
        f'build-backend = "{BACKEND_MODULE}"\n'
        'backend-path = ["."]\n'
    )
    backend = _BACKEND_CODE.format(
        marker_code=marker_code(marker, name) if marker is not None else "",
        imports="".join(f"import {module}\n" for module in backend_imports),
        name=name,
        version=version,
        metadata=metadata,
        zip_time=FIXED_ZIP_TIME,
        wheel_files=dict(wheel_files or {}),
    )
    members = {
        f"{root}/PKG-INFO": metadata,
        f"{root}/pyproject.toml": pyproject,
        f"{root}/{BACKEND_MODULE}.py": backend,
    }
    return _tar_gz(members)


def setup_requires_sdist_bytes(name: str, version: str, setup_requires: Sequence[str]) -> bytes:
    """A setuptools sdist (``setup.py`` only) whose ``setup_requires`` setuptools fetches with
    ``python -m pip wheel`` while pip prepares its metadata (``--no-build-isolation``)."""
    root = f"{module_name(name)}-{version}"
    setup_py = (
        "from setuptools import setup\n"
        f"setup(name={name!r}, version={version!r}, setup_requires={list(setup_requires)!r})\n"
    )
    members = {f"{root}/PKG-INFO": metadata_text(name, version, ()), f"{root}/setup.py": setup_py}
    return _tar_gz(members)


def _tar_gz(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in members.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def marker_wheel_files(name: str, marker: Path) -> dict[str, str]:
    """``files=`` for ``LocalIndex.add``: the wheel's module writes ``marker`` on import."""
    return {f"{module_name(name)}/__init__.py": marker_code(marker, name)}
