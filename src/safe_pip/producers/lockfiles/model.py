"""What every lock-file reader produces: the packages a file pins, with their artifacts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from safe_pip.models import ArtifactSource

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


@dataclass(frozen=True)
class LockFile:
    """A read lock file. ``unresolved`` holds requirement lines a resolver must still pin
    (requirements files only) and ``resolver_options`` the option lines they need."""

    path: Path
    kind: LockKind
    packages: tuple[LockedPackage, ...]
    index_urls: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    resolver_options: tuple[str, ...] = ()
    constraint_files: tuple[Path, ...] = ()
