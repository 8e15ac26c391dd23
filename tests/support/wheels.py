"""Build small, valid, pure-Python wheels for tests, with the standard library only.

The bytes are deterministic for the same inputs (fixed zip timestamps and file order), so a
wheel's sha256 is stable; ``salt`` changes the bytes without changing the filename.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
WHEEL_TAG = "py3-none-any"


def wheel_project_part(name: str) -> str:
    """The distribution part of a wheel filename: normalized, with ``_`` separators."""
    return canonicalize_name(name).replace("-", "_")


def wheel_filename(name: str, version: str) -> str:
    return f"{wheel_project_part(name)}-{Version(version)}-{WHEEL_TAG}.whl"


def module_name(name: str) -> str:
    """The importable top-level package a test wheel ships: ``My.Pkg`` -> ``my_pkg``."""
    return wheel_project_part(name)


def record_hash(data: bytes) -> str:
    """A RECORD hash entry: ``sha256=`` + urlsafe base64 without padding."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def metadata_text(
    name: str,
    version: str,
    requires: Sequence[str] = (),
    *,
    requires_python: str | None = None,
) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines.append(f"Summary: test package {name}")
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {requirement}" for requirement in requires)
    return "\n".join(lines) + "\n"


def _wheel_text() -> str:
    return (
        f"Wheel-Version: 1.0\nGenerator: safe-pip-tests\nRoot-Is-Purelib: true\nTag: {WHEEL_TAG}\n"
    )


def _module_text(version: str, salt: str) -> str:
    text = f'__version__ = "{version}"\n'
    if salt:
        text += f"__salt__ = {salt!r}\n"
    return text


def _check_relative_path(path: str) -> None:
    if path.startswith("/") or ".." in path.split("/") or not path:
        raise ValueError(f"wheel file path must be relative and inside the wheel: {path!r}")


def wheel_members(
    name: str,
    version: str,
    requires: Sequence[str] = (),
    *,
    files: Mapping[str, str] | None = None,
    salt: str = "",
    requires_python: str | None = None,
) -> list[tuple[str, bytes]]:
    """Every archive member in write order, RECORD last."""
    package = module_name(name)
    dist_info = f"{wheel_project_part(name)}-{Version(version)}.dist-info"
    payload: dict[str, bytes] = {f"{package}/__init__.py": _module_text(version, salt).encode()}
    for path, text in (files or {}).items():
        _check_relative_path(path)
        payload[path] = text.encode("utf-8")
    members = sorted(payload.items())
    members.append(
        (
            f"{dist_info}/METADATA",
            metadata_text(name, version, requires, requires_python=requires_python).encode(),
        )
    )
    members.append((f"{dist_info}/WHEEL", _wheel_text().encode()))
    record_lines = [f"{path},{record_hash(data)},{len(data)}" for path, data in members]
    record_lines.append(f"{dist_info}/RECORD,,")
    members.append((f"{dist_info}/RECORD", ("\n".join(record_lines) + "\n").encode()))
    return members


def wheel_bytes(
    name: str,
    version: str,
    requires: Sequence[str] = (),
    *,
    files: Mapping[str, str] | None = None,
    salt: str = "",
    requires_python: str | None = None,
) -> bytes:
    buffer = io.BytesIO()
    members = wheel_members(
        name, version, requires, files=files, salt=salt, requires_python=requires_python
    )
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in members:
            info = zipfile.ZipInfo(path, date_time=FIXED_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    requires: Sequence[str] = (),
    *,
    files: Mapping[str, str] | None = None,
    salt: str = "",
    requires_python: str | None = None,
) -> Path:
    """Write ``<name>-<version>-py3-none-any.whl`` into ``dest`` and return its path.

    ``requires`` become ``Requires-Dist`` lines; ``files`` maps extra archive paths to text
    (it may replace the default ``<module>/__init__.py``).
    """
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / wheel_filename(name, version)
    path.write_bytes(
        wheel_bytes(
            name, version, requires, files=files, salt=salt, requires_python=requires_python
        )
    )
    return path


def read_wheel_metadata(content: bytes) -> bytes | None:
    """The ``*.dist-info/METADATA`` of a wheel's bytes, or None if it is not a readable wheel."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for member in archive.namelist():
                if re.fullmatch(r"[^/]+\.dist-info/METADATA", member):
                    return archive.read(member)
    except zipfile.BadZipFile:
        return None
    return None
