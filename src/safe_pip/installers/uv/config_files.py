"""uv's configuration files may not let uv build what safe-pip has not checked.

uv reads settings from the nearest ``uv.toml`` / ``pyproject.toml`` ``[tool.uv]`` (from the
working directory upward), the user's and the system's ``uv.toml``, or only the file named by
``--config-file`` / ``UV_CONFIG_FILE``; ``--no-config`` / ``UV_NO_CONFIG`` skip discovery.
A setting there that makes uv build from source (``no-binary``, ``no-binary-package``,
``[pip] no-binary``) would be an exception to safe-pip's ``--only-binary :all:`` that nobody
checked, and a cloned repository controls its own ``pyproject.toml``. ``build-constraint-
dependencies`` there pins build dependencies by hash, and uv installs a pinned one into a build
environment without asking (``--require-build-hashes`` is satisfied), so safe-pip would never
see it. So every guarded uv run reads those files first and stops (``UsageError``, exit 2)
naming the file and the key; the one exception is the project's own ``pyproject.toml`` in
``uv sync`` / ``uv add``, whose pins ``project_builds`` checks before uv runs.

The files read are a superset of uv's (every directory up to the root, user and system
locations from every variable uv knows), so nothing uv would read is missed. Everything else
in them (indexes, ...) stays uv's business.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from safe_pip.errors import UsageError

# Keys (dotted inside the uv settings table) whose value, when set, lets uv build from source.
BUILD_ENABLING_KEYS = ("no-binary", "no-binary-package", "pip.no-binary")
BUILD_PINS_KEY = "build-constraint-dependencies"
_CLEARED = ("", ":none:")  # uv's "no package" values: they enable nothing
_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


def refuse_build_enabling_config(
    args: Sequence[str], env: Mapping[str, str], *, checked_pins: Path | None = None
) -> None:
    """Raise ``UsageError`` when a uv config file this run would read enables source builds
    or pins build dependencies; ``checked_pins`` is the pyproject.toml whose pins safe-pip
    checks itself (project commands), None for ``uv pip``, where no file may pin them."""
    for path, settings in _uv_settings(args, env):
        for key in BUILD_ENABLING_KEYS:
            if _enables(_lookup(settings, key)):
                raise UsageError(
                    f"{path}: {key} makes uv build packages from source before safe-pip has "
                    "checked them; remove it (safe-pip lets uv build a source distribution "
                    "once it is checked)"
                )
        if _lookup(settings, BUILD_PINS_KEY) and not _same_file(path, checked_pins):
            raise UsageError(
                f"{path}: {BUILD_PINS_KEY} makes uv install build dependencies that safe-pip "
                "has not checked; remove it (safe-pip checks and pins what a build needs)"
            )


def _same_file(path: Path, other: Path | None) -> bool:
    return other is not None and path.resolve() == other.resolve()


def _uv_settings(args: Sequence[str], env: Mapping[str, str]) -> Iterator[tuple[Path, Any]]:
    """(file, its uv settings table) for every config file uv may read in this run."""
    named = _option_value(args, "--config-file") or env.get("UV_CONFIG_FILE")
    if named:
        yield Path(named), _load(Path(named))
        return
    if "--no-config" in args or env.get("UV_NO_CONFIG", "").strip().lower() not in _FALSE_WORDS:
        return
    for directory in _project_directories(args, env):
        for name in ("uv.toml", "pyproject.toml"):
            path = directory / name
            if path.is_file():
                document = _load(path)
                yield path, document.get("tool", {}).get("uv") if name != "uv.toml" else document
    for path in _user_and_system_files(env):
        if path.is_file():
            yield path, _load(path)


def _project_directories(args: Sequence[str], env: Mapping[str, str]) -> list[Path]:
    """Every directory from where uv may start its search, up to the root."""
    cwd = Path.cwd()
    working = _option_value(args, "--directory") or env.get("UV_WORKING_DIR")
    starts = [cwd, cwd / working] if working else [cwd]
    project = _option_value(args, "--project") or env.get("UV_PROJECT")
    if project:
        starts += [start / project for start in list(starts)]
    directories: list[Path] = []
    for start in starts:
        start = start.resolve()
        for directory in (start, *start.parents):
            if directory not in directories:
                directories.append(directory)
    return directories


def _user_and_system_files(env: Mapping[str, str]) -> list[Path]:
    home = env.get("HOME")
    roots = [env.get("XDG_CONFIG_HOME"), home and os.path.join(home, ".config")]
    roots += [*env.get("XDG_CONFIG_DIRS", "").split(os.pathsep), "/etc", env.get("APPDATA")]
    program_data = env.get("SYSTEMDRIVE")
    roots.append(program_data and os.path.join(program_data + os.sep, "ProgramData"))
    return [Path(root) / "uv" / "uv.toml" for root in roots if root]


def _option_value(args: Sequence[str], option: str) -> str | None:
    """The last value of ``option`` (``--option V`` or ``--option=V``) on the command line."""
    value = None
    for position, token in enumerate(args):
        if token == option and position + 1 < len(args):
            value = args[position + 1]
        elif token.startswith(option + "="):
            value = token.partition("=")[2]
    return value


def _load(path: Path) -> dict[str, Any]:
    from safe_pip import limits  # imports a TOML parser: only when there is a file to read

    try:
        text = limits.read_bytes(path, limits.CONFIG_MAX_BYTES).decode("utf-8")
        return limits.load_toml(text)
    except (OSError, UnicodeDecodeError, limits.DocumentError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"{path}: cannot read this uv configuration file: {reason}") from None


def _lookup(settings: Any, dotted_key: str) -> Any:
    value = settings
    for part in dotted_key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _enables(value: Any) -> bool:
    """Whether a ``no-binary`` value asks for a build; anything unexpected does (fail closed)."""
    if value is None or value is False:
        return False
    if isinstance(value, list):
        return any(not (isinstance(v, str) and v.strip() in _CLEARED) for v in value)
    return True
