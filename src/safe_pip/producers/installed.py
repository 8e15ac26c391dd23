"""The plan of an existing environment: every distribution installed for an interpreter.

A tiny standard-library script runs *in* the target interpreter (so its own ``sys.path``
decides what is installed) and prints names and versions as JSON. Installed files carry no
artifact hash and no index, so the items are ``ArtifactSource.INSTALLED``: only advisories
(vulnerabilities and malicious packages) apply to them.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from typing import Protocol

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from safe_pip.errors import CannotCheckError, UsageError
from safe_pip.models import ArtifactSource, PlanItem
from safe_pip.times import parse_timestamp, timestamp_text

LIST_TIMEOUT_SECONDS = 120

# Runs in the target interpreter (any Python >= 3.8): no third-party imports, no cwd on path.
_LIST_SCRIPT = """\
import json, sys
sys.path = [p for p in sys.path if p]
from importlib.metadata import distributions
seen = []
for dist in distributions():
    name = dist.metadata["Name"]
    if name:
        seen.append([name, dist.version])
sys.stdout.write(json.dumps(seen))
"""


def installed_plan(python: str, env: Mapping[str, str] | None = None) -> list[PlanItem]:
    """One ``INSTALLED`` plan item per distribution visible to ``python``, sorted by name.

    When the same project is installed twice on ``sys.path`` the first one wins, as at import.
    """
    items: dict[str, PlanItem] = {}
    for name, version in _list_distributions(python, env):
        normalized = canonicalize_name(name)
        if normalized not in items:
            items[normalized] = PlanItem(
                name=normalized, version=version, source=ArtifactSource.INSTALLED
            )
    return sorted(items.values(), key=lambda item: item.name)


def _list_distributions(python: str, env: Mapping[str, str] | None) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="safe-pip-installed-") as cwd:
        try:
            completed = subprocess.run(
                [python, "-c", _LIST_SCRIPT],
                cwd=cwd,
                env=None if env is None else dict(env),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=LIST_TIMEOUT_SECONDS,
                check=False,
            )
        except FileNotFoundError:
            raise UsageError(f"--python {python}: no such interpreter") from None
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CannotCheckError(
                f"could not list packages installed for {python}: {exc}"
            ) from None
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise CannotCheckError(f"could not list packages installed for {python}: {last}")
    try:
        rows = json.loads(completed.stdout)
        return [(str(name), str(version)) for name, version in rows]
    except (ValueError, TypeError) as exc:
        raise CannotCheckError(
            f"could not list packages installed for {python}: unexpected output ({exc})"
        ) from None


class _UploadedFile(Protocol):
    @property
    def filename(self) -> str: ...
    @property
    def upload_time(self) -> str | None: ...


def release_upload_time(files: Iterable[_UploadedFile], version: str) -> str | None:
    """When ``version`` first appeared on the index: the earliest upload time among its
    files (an installed distribution does not say which file it came from)."""
    try:
        wanted = Version(version)
    except InvalidVersion:
        return None
    times = [
        moment
        for file in files
        if _file_version(file.filename) == wanted
        for moment in (parse_timestamp(file.upload_time),)
        if moment is not None
    ]
    return timestamp_text(min(times)) if times else None


def _file_version(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
