"""Write, remove and inspect the pip hook files in one environment's site-packages.

Files written:

* ``safe_pip_hook.pth`` -- one line that imports ``_safe_pip_hook`` at interpreter start;
* ``_safe_pip_hook/`` -- a copy of ``safe_pip/hook/runtime/`` (stdlib only) plus
  ``config.json`` recording the checker command (this safe-pip's interpreter + ``-m safe_pip``)
  and the byte-code the target interpreter compiles from it.

The ``.pth`` file is written last and removed first, so no interpreter ever starts with a
``.pth`` line pointing at a half-written package. A ``safe_pip_hook.pth`` with other content
is never overwritten or removed. ``_safe_pip_hook/`` is removed as a whole (modules of earlier
safe-pip versions and byte-code included) only when it is recognisably ours: its
``config.json`` says ``installed_by: safe-pip ...`` or its ``__init__.py`` starts with
``PACKAGE_MARKER``; any other directory of that name is left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from safe_pip import __version__
from safe_pip.errors import UsageError
from safe_pip.hook.runtime.checker import PTH_NAME, CheckerUnavailable, checker_command
from safe_pip.installers.process import pip_child_env

PACKAGE_NAME = "_safe_pip_hook"
PTH_LINE = f"import {PACKAGE_NAME}; {PACKAGE_NAME}.install_finder()\n"
CONFIG_NAME = "config.json"
INSTALLED_BY_PREFIX = "safe-pip "
# The first line of ``runtime/__init__.py``, in every version safe-pip has written.
PACKAGE_MARKER = '"""safe-pip\'s pip hook'
RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
SAFE_PIP_PACKAGE_DIR = Path(__file__).resolve().parents[1]
RUNTIME_MODULES = (
    "__init__.py",
    "bootstrap.py",
    "channel.py",
    "checker.py",
    "installed.py",
    "pip_commands.py",
    "pip_patch.py",
    "pip_versions.py",
    "plan_from_pip.py",
    "run_token.py",
)
QUERY_TIMEOUT_SECONDS = 60

_QUERY_SCRIPT = """\
import json, site, sys, sysconfig
try:
    import pip
    pip_version = str(pip.__version__)
except Exception:
    pip_version = None
print(json.dumps({
    "pip_version": pip_version,
    "python_version": list(sys.version_info[:3]),
    "purelib": sysconfig.get_paths()["purelib"],
    "user_site": site.getusersitepackages(),
    "user_site_enabled": bool(site.ENABLE_USER_SITE),
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
}))
"""


@dataclass(frozen=True)
class InterpreterInfo:
    """Where one interpreter's packages go, as the interpreter itself reports it."""

    python: str
    purelib: Path
    user_site: Path
    user_site_enabled: bool
    is_venv: bool
    pip_version: str | None = None  # None: no pip
    python_version: tuple[int, ...] = ()

    @property
    def unsupported_reason(self) -> str | None:
        """Why the guard cannot work with this interpreter's pip or Python (one line)."""
        from safe_pip.hook.runtime.pip_versions import unsupported_reason

        return unsupported_reason(self.python, self.python_version, self.pip_version)


@dataclass(frozen=True)
class HookTarget:
    """The site-packages directory a hook goes into, and whose interpreter it guards."""

    python: str
    site_dir: Path
    user: bool
    unsupported: str | None = None  # why the guard cannot work with its pip or Python

    @property
    def pth_file(self) -> Path:
        return self.site_dir / PTH_NAME

    @property
    def package_dir(self) -> Path:
        return self.site_dir / PACKAGE_NAME

    @property
    def config_file(self) -> Path:
        return self.package_dir / CONFIG_NAME

    @property
    def description(self) -> str:
        scope = "user site" if self.user else "environment"
        return f"{scope} of {self.python} ({self.site_dir})"


@dataclass(frozen=True)
class HookStatus:
    target: HookTarget
    pth_present: bool
    package_present: bool
    checker: list[str] | None  # recorded checker command, None if unreadable
    checker_problem: str | None  # why the hook cannot run its checker, as pip would say it

    @property
    def guarded(self) -> bool:
        return self.pth_present and self.package_present

    @property
    def checker_available(self) -> bool:
        return self.checker_problem is None


def default_checker_command() -> list[str]:
    """How the hook runs this safe-pip installation: its interpreter with ``-m safe_pip``."""
    return [os.path.abspath(sys.executable), "-m", "safe_pip"]


def interpreter_info(python: str) -> InterpreterInfo:
    """Ask ``python`` for its site-packages and user site (the hook stays off meanwhile)."""
    env = pip_child_env()
    # Where the interpreter's user site is, not whether this shell happens to skip it: the
    # hook's location must not move to the system site because PYTHONNOUSERSITE is set here.
    env.pop("PYTHONNOUSERSITE", None)
    try:
        completed = subprocess.run(
            [python, "-c", _QUERY_SCRIPT],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=QUERY_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"cannot run {python}: {exc}") from exc
    try:
        data = json.loads(completed.stdout)
    except ValueError:
        data = None
    if completed.returncode != 0 or not isinstance(data, dict):
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"{python} could not report its site-packages: {last_line}")
    return InterpreterInfo(
        python=python,
        purelib=Path(data["purelib"]),
        user_site=Path(data["user_site"]),
        user_site_enabled=bool(data["user_site_enabled"]),
        is_venv=data["prefix"] != data["base_prefix"],
        pip_version=data.get("pip_version"),
        python_version=tuple(int(part) for part in data.get("python_version") or ()),
    )


def hook_target(info: InterpreterInfo, *, user: bool, system: bool = False) -> HookTarget:
    """Where the hook goes: with ``user`` the interpreter's user site; with ``system`` the
    interpreter's own site-packages, venv or not; else a venv's own site-packages, and for an
    interpreter outside a venv its user site too (a system site-packages is not the user's to
    change: Debian marks it externally managed), unless that interpreter does not load a user
    site. A user-site hook is not loaded by ``python -s``/``-I`` or with ``PYTHONNOUSERSITE``;
    the ``system`` location is.

    ``setup``, ``hook install``, ``hook status`` and ``hook uninstall`` all use this one rule.
    """
    if user:
        if not info.user_site_enabled:
            raise UsageError(
                f"{info.python} does not load the user site (a virtual environment, or user "
                "site disabled): hook the environment instead (--python without --user)"
            )
        return HookTarget(info.python, info.user_site, True, info.unsupported_reason)
    if not system and not info.is_venv and info.user_site_enabled:
        return HookTarget(info.python, info.user_site, True, info.unsupported_reason)
    return HookTarget(info.python, info.purelib, False, info.unsupported_reason)


def hook_status(target: HookTarget) -> HookStatus:
    return HookStatus(
        target=target,
        pth_present=_is_our_pth(target.pth_file),
        package_present=(target.package_dir / "__init__.py").is_file(),
        checker=_recorded_checker(target.config_file),
        checker_problem=_checker_problem(target.config_file),
    )


def _checker_problem(config_file: Path) -> str | None:
    """The hook runtime's own verdict on its checker (the same rule pip meets)."""
    try:
        checker_command(str(config_file))
    except CheckerUnavailable as exc:
        return str(exc)
    return None


def install_hook(target: HookTarget, checker: list[str] | None = None) -> bool:
    """Write (or overwrite) the hook files; return True if a hook was already there.

    Refuses (``UsageError``) a ``safe_pip_hook.pth`` that safe-pip did not write.
    """
    if target.pth_file.exists() and not _is_our_pth(target.pth_file):
        raise UsageError(
            f"{target.pth_file} exists and was not written by safe-pip; "
            "move it aside to install the hook"
        )
    already_installed = hook_status(target).guarded
    command = checker or default_checker_command()
    # Gone after `pip uninstall safe-pip-guard`: the hook then says how to remove itself.
    requires = [str(SAFE_PIP_PACKAGE_DIR)] if checker is None else []
    config = {"checker": command, "requires": requires, "installed_by": f"safe-pip {__version__}"}
    try:
        target.package_dir.mkdir(parents=True, exist_ok=True)
        for module in RUNTIME_MODULES:
            _write_atomically(target.package_dir / module, (RUNTIME_DIR / module).read_bytes())
        _write_atomically(target.config_file, (json.dumps(config, indent=2) + "\n").encode())
        _compile(target)
        _write_atomically(target.pth_file, PTH_LINE.encode())
    except OSError as exc:
        raise UsageError(
            f"cannot write the hook into {target.site_dir}: {exc.strerror or exc}"
            + ("" if target.user else " (try --user or a virtual environment)")
        ) from exc
    return already_installed


def uninstall_hook(target: HookTarget) -> list[Path]:
    """Remove our ``.pth`` file and our whole package directory; return the files removed.

    A ``.pth`` file or package directory safe-pip cannot recognise as its own is left alone.
    """
    removed: list[Path] = []
    try:
        if _is_our_pth(target.pth_file):
            target.pth_file.unlink()
            removed.append(target.pth_file)
        if _is_our_package(target.package_dir):
            removed += _remove_tree(target.package_dir)
    except OSError as exc:
        raise UsageError(
            f"cannot remove the hook from {target.site_dir}: {exc.strerror or exc}"
        ) from exc
    return removed


def _is_our_pth(path: Path) -> bool:
    try:
        return path.read_text(encoding="utf-8") == PTH_LINE
    except (OSError, UnicodeDecodeError):
        return False


def _is_our_package(package_dir: Path) -> bool:
    """Whether ``package_dir`` is a (possibly older or half-written) package safe-pip wrote."""
    if package_dir.is_symlink() or not package_dir.is_dir():
        return False
    return _installed_by_safe_pip(package_dir / CONFIG_NAME) or _has_package_marker(
        package_dir / "__init__.py"
    )


def _installed_by_safe_pip(config_file: Path) -> bool:
    installed_by = _config_value(config_file, "installed_by")
    return isinstance(installed_by, str) and installed_by.startswith(INSTALLED_BY_PREFIX)


def _has_package_marker(init_file: Path) -> bool:
    try:
        with init_file.open(encoding="utf-8") as file:
            return file.read(len(PACKAGE_MARKER)) == PACKAGE_MARKER
    except (OSError, UnicodeDecodeError):
        return False


def _remove_tree(directory: Path) -> list[Path]:
    """Delete ``directory`` with everything in it (not following symlinks); return the files."""
    removed: list[Path] = []
    for parent, dir_names, file_names in os.walk(directory, topdown=False, onerror=_raise):
        for name in file_names:
            path = Path(parent, name)
            path.unlink()
            removed.append(path)
        for name in dir_names:
            path = Path(parent, name)
            if path.is_symlink():
                path.unlink()
                removed.append(path)
            else:
                path.rmdir()
    directory.rmdir()
    return removed


def _raise(error: OSError) -> None:
    raise error


def _recorded_checker(config_file: Path) -> list[str] | None:
    command = _config_value(config_file, "checker")
    if isinstance(command, list) and command and all(isinstance(p, str) for p in command):
        return command
    return None


def _config_value(config_file: Path, key: str) -> object:
    """``key`` of the hook's ``config.json``; None when the file is missing or unreadable."""
    try:
        return json.loads(config_file.read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError):
        return None


def _write_atomically(path: Path, content: bytes) -> None:
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _compile(target: HookTarget) -> None:
    """Byte-compile with the target interpreter, so its first start does not have to.

    Best effort: without byte-code the interpreter compiles (or re-reads) the small source.
    """
    script = "import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=2, force=True)"
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(
            [target.python, "-c", script, str(target.package_dir)],
            env=pip_child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=QUERY_TIMEOUT_SECONDS,
            check=False,
        )
