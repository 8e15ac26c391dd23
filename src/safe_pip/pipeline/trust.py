"""Which projects the user trusts to loosen their policy (``safe-pip trust``).

A project's ``[tool.safe-pip]`` comes with whatever was cloned, so by default it may only
tighten the policy (``pipeline.tightening``). ``safe-pip trust [PATH]`` records the sha256
of that pyproject.toml in the user's data dir (``paths.trusted_projects_file()``); the
trust holds while the file's bytes are the same, and a changed file needs trust again.

The record is a JSON object ``{"projects": {"/abs/path/pyproject.toml": {"sha256": ...,
"trusted_at": ...}}}``, written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from safe_pip import limits, paths
from safe_pip.errors import UsageError

_RECORD_MAX_BYTES = 16 * limits.MIB


@dataclass(frozen=True)
class TrustedProject:
    pyproject: Path
    sha256: str
    trusted_at: str

    def holds_for(self, content: bytes) -> bool:
        """Is the trust still valid for the file as it reads now?"""
        return hashlib.sha256(content).hexdigest() == self.sha256


def is_trusted(pyproject: Path, content: bytes) -> bool:
    """Did the user trust exactly these bytes of ``pyproject``? (A record that cannot be
    read trusts nothing: fail closed.)"""
    try:
        entry = _read_record().get(_key(pyproject))
    except UsageError:
        return False
    return entry is not None and entry.holds_for(content)


def trust(pyproject: Path) -> TrustedProject:
    """Record the current bytes of ``pyproject`` as trusted."""
    try:
        content = limits.read_bytes(pyproject, limits.CONFIG_MAX_BYTES)
    except (OSError, limits.DocumentError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise UsageError(f"cannot read {pyproject}: {reason}") from None
    entry = TrustedProject(
        pyproject=pyproject.resolve(),
        sha256=hashlib.sha256(content).hexdigest(),
        trusted_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    record = _read_record()
    record[_key(pyproject)] = entry
    _write_record(record)
    return entry


def untrust(pyproject: Path) -> bool:
    """Forget ``pyproject``; False when it was not trusted."""
    record = _read_record()
    if record.pop(_key(pyproject), None) is None:
        return False
    _write_record(record)
    return True


def trusted_projects() -> list[TrustedProject]:
    return sorted(_read_record().values(), key=lambda entry: str(entry.pyproject))


def _key(pyproject: Path) -> str:
    return str(pyproject.resolve())


def _read_record() -> dict[str, TrustedProject]:
    path = paths.trusted_projects_file()
    try:
        document = limits.load_json(
            limits.read_bytes(path, _RECORD_MAX_BYTES), max_bytes=_RECORD_MAX_BYTES
        )
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the trusted-projects record {path}: {exc}") from None
    projects = document.get("projects") if isinstance(document, dict) else None
    if not isinstance(projects, dict):
        raise UsageError(f"the trusted-projects record {path} is not a safe-pip record")
    record: dict[str, TrustedProject] = {}
    for key, entry in projects.items():
        sha256 = entry.get("sha256") if isinstance(entry, dict) else None
        trusted_at = entry.get("trusted_at", "") if isinstance(entry, dict) else None
        if isinstance(sha256, str) and isinstance(trusted_at, str):
            record[key] = TrustedProject(Path(key), sha256, trusted_at)
    return record


def _write_record(record: dict[str, TrustedProject]) -> None:
    path = paths.trusted_projects_file()
    document = {
        "projects": {
            key: {"sha256": entry.sha256, "trusted_at": entry.trusted_at}
            for key, entry in sorted(record.items())
        }
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".trusted-", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=2)
        os.replace(temporary, path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
