"""Where safe-pip keeps its files: the user cache and config dirs (platformdirs); and where
this safe-pip itself is installed (``self_install``), for hints that name a command that
changes that installation.

``SAFE_PIP_CACHE_DIR``, ``SAFE_PIP_DATA_DIR`` and ``SAFE_PIP_CONFIG_FILE`` override the
defaults (tests use them).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

APP_NAME = "safe-pip"
DISTRIBUTION = "safe-pip-guard"


def cache_dir() -> Path:
    override = os.environ.get("SAFE_PIP_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


def advisory_db_path() -> Path:
    """The SQLite advisory database built by ``safe-pip db update``."""
    return cache_dir() / "advisories.sqlite"


def advisory_db_lock_path() -> Path:
    return cache_dir() / "advisories.lock"


def seen_hashes_path() -> Path:
    """Trust-on-first-use record: sha256 of every artifact filename safe-pip vetted before."""
    return cache_dir() / "seen-hashes.sqlite"


def project_history_path() -> Path:
    """Trust on first use per project: first-seen ``.pth`` lines and Trusted Publisher."""
    return cache_dir() / "project-history.sqlite"


def user_config_file() -> Path:
    override = os.environ.get("SAFE_PIP_CONFIG_FILE")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def trusted_projects_file() -> Path:
    """Projects whose ``[tool.safe-pip]`` the user trusted (``safe-pip trust``), with the
    sha256 of the pyproject.toml they trusted; in the data dir."""
    return data_dir() / "trusted-projects.json"


ADMIN_POLICY_ENV_VAR = "SAFE_PIP_ADMIN_POLICY_FILE"


def admin_policy_files(environ: Mapping[str, str]) -> list[Path]:
    """The administrator's policy files: the system-wide one, then ``SAFE_PIP_ADMIN_POLICY_FILE``.

    The system file's place is fixed (no environment variable moves it, so no script can
    hide it): ``/etc/safe-pip/policy.toml`` on Linux and other Unixes,
    ``/Library/Application Support/safe-pip/policy.toml`` on macOS and
    ``C:\\ProgramData\\safe-pip\\policy.toml`` on Windows. The variable only *adds* a
    file (tests, images with a read-only /etc); it is read after the system file, whose
    locked keys bind it like every later layer.
    """
    files = [_system_policy_file()]
    extra = environ.get(ADMIN_POLICY_ENV_VAR, "").strip()
    if extra:
        files.append(Path(extra))
    return files


def _system_policy_file() -> Path:
    if sys.platform == "win32" or sys.platform == "darwin":  # pragma: no cover - not Linux
        from platformdirs import site_config_dir

        return Path(site_config_dir(APP_NAME, appauthor=False)) / "policy.toml"
    # platformdirs' Linux answer follows $XDG_CONFIG_DIRS, which any script can set.
    return Path("/etc") / APP_NAME / "policy.toml"


def nearest_file(start: Path, name: str) -> Path | None:
    """The file ``name`` in ``start`` or the nearest of its parents that has one."""
    directory = start.resolve()
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / name
        if candidate.is_file():
            return candidate
    return None


def data_dir() -> Path:
    """Files the user may want to keep: the decision log."""
    override = os.environ.get("SAFE_PIP_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def decision_log_path() -> Path:
    """One JSON line per guarded run (``safe-pip log``)."""
    return data_dir() / "decisions.jsonl"


# ---------------------------------------------------------------- this safe-pip's own install


class SelfInstall(NamedTuple):
    """``kind``: ``pipx``, ``uv tool``, ``venv`` (an environment of its own, as the README
    installs it) or ``interpreter`` (installed into a Python that is not a venv)."""

    kind: str
    prefix: Path
    python: str

    def add_library_command(self, library: str) -> str:
        """The command that makes ``library`` importable by this safe-pip."""
        if self.kind == "pipx":
            return shlex.join(["pipx", "inject", DISTRIBUTION, library])
        if self.kind == "uv tool":
            return shlex.join(["uv", "tool", "install", "--force", "--with", library, _source()])
        return shlex.join([self.python, "-m", "pip", "install", library])

    def uninstall_command(self) -> str:
        """The command that removes this safe-pip."""
        if self.kind == "pipx":
            return shlex.join(["pipx", "uninstall", DISTRIBUTION])
        if self.kind == "uv tool":
            return shlex.join(["uv", "tool", "uninstall", DISTRIBUTION])
        if self.kind == "venv":
            return shlex.join(["rm", "-r", str(self.prefix)]) + (
                " (and the safe-pip / safe-uv links you made to it)"
            )
        return shlex.join([self.python, "-m", "pip", "uninstall", DISTRIBUTION])


def self_install() -> SelfInstall:
    prefix = Path(sys.prefix).absolute()
    python = str(Path(sys.executable).absolute())
    if sys.prefix == getattr(sys, "base_prefix", sys.prefix):
        kind = "interpreter"
    elif (prefix / "pipx_metadata.json").is_file() or "pipx" in prefix.parts:
        kind = "pipx"
    elif (prefix / "uv-receipt.toml").is_file() or _is_under(prefix, ("uv", "tools")):
        kind = "uv tool"
    else:
        kind = "venv"
    return SelfInstall(kind=kind, prefix=prefix, python=python)


def _is_under(prefix: Path, parts: tuple[str, str]) -> bool:
    names = prefix.parts
    return any(names[i : i + 2] == parts for i in range(len(names) - 1))


def _source() -> str:
    """Where this safe-pip was installed from (a checkout's path), else its name."""
    from importlib import metadata

    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return DISTRIBUTION
    import json

    try:
        url = json.loads(text or "{}").get("url", "")
    except ValueError:
        return DISTRIBUTION
    if isinstance(url, str) and url.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(url).path)
    return DISTRIBUTION
