"""What every lock-file reader produces: the packages a file pins, with their artifacts."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from safe_pip.models import ArtifactSource
from safe_pip.times import parse_timestamp, timestamp_text

UNKNOWN_VERSION = "unknown"  # a source tree or VCS checkout whose version the file omits


class LockKind(str, enum.Enum):
    REQUIREMENTS = "requirements.txt"
    UV_LOCK = "uv.lock"
    PYLOCK = "pylock.toml"
    POETRY_LOCK = "poetry.lock"


@dataclass(frozen=True)
class LockedArtifact:
    """One file a lock lists for a package (a wheel or an sdist, or a direct archive)."""

    filename: str | None
    url: str | None
    sha256: str | None  # lower-case hex
    upload_time: str | None = None  # when the lock records it (pylock.toml, uv.lock)


@dataclass(frozen=True)
class LockedPackage:
    """One pinned distribution. ``artifacts`` lists every file the lock allows for it."""

    name: str  # PEP 503-normalized
    version: str
    source: ArtifactSource = ArtifactSource.INDEX
    index_url: str | None = None
    artifacts: tuple[LockedArtifact, ...] = ()
    location: str | None = None  # URL or path of a non-index source
    pinned_hashes: tuple[str, ...] = ()  # requirements ``--hash`` values
    extras: tuple[str, ...] = ()  # requirements ``name[extra]==version``: what it pulls in


@dataclass(frozen=True)
class LockFile:
    """A read lock file. ``unresolved`` holds requirement lines a resolver must still pin
    (requirements files only) and ``resolver_options`` the option lines they need.
    ``exact_pins``: the ``==`` pins among them (no hash, no marker), which name their version
    without a resolver: checked as written when the resolution does not reach them."""

    path: Path
    kind: LockKind
    packages: tuple[LockedPackage, ...]
    index_urls: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    resolver_options: tuple[str, ...] = ()
    constraint_files: tuple[Path, ...] = ()
    exact_pins: tuple[LockedPackage, ...] = ()
    # uv.lock: name -> the names it depends on, and the names the project itself asks for
    # (for "idna==2.7 via requests==2.19.0" in reports)
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    requested: frozenset[str] = frozenset()


def lock_upload_time(value: object) -> str | None:
    """An artifact's ``upload-time`` as a lock file writes it (a TOML datetime in
    pylock.toml, an RFC 3339 string in uv.lock), as ISO 8601 UTC text; None when absent or
    unreadable (the index page may still know it)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return timestamp_text(moment)
    if isinstance(value, str):
        parsed = parse_timestamp(value)
        return None if parsed is None else timestamp_text(parsed)
    return None
