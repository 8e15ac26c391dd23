"""Load the guard into one pip process, for that run only: nothing is installed anywhere.

``safe-pip install`` runs ``<target python> -c CODE install ARGS`` where ``CODE`` (``code``)
loads this package from where safe-pip keeps it and runs pip with the guard's finder in
place; pip's own option parser then reads ``ARGS``. A pip that the guarded pip starts to
install build dependencies gets the same ``-c CODE`` in front of pip's runner
(``child_arguments``), with ``child`` set, so it is guarded too and ends with
``CHILD_EXIT_BASE + code`` when the guard stops it (its parent turns that back into a stop).

Settings (JSON, on the command line, never from the environment):
``address``/``token`` -- the checker ``safe-pip install`` serves; ``checker`` -- a command to
start one (the hook's); ``mode`` -- ``install`` or ``audit`` (``safe-pip check``: nothing is
ever built); ``child``; ``hook`` -- the hook's own rules apply (``SAFE_PIP_DISABLE``,
``SAFE_PIP_HOOK_FAIL_OPEN``).
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import sys

from . import channel, checker

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PACKAGE = "_safe_pip_guard"
NESTED_ENV_VAR = "SAFE_PIP_NESTED_GUARD"  # nested/sitecustomize.py reads it
NESTED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nested")
CHILD_EXIT_BASE = 70
_STOP_CODES = (1, 2, 3)

_settings: dict[str, Any] | None = None  # None: loaded by the ``.pth`` hook


def settings() -> dict[str, Any] | None:
    return _settings


def setting(key: str) -> Any:
    return (_settings or {}).get(key)


def is_hook() -> bool:
    """Whether the hook's rules apply (loaded by the ``.pth`` file, or a child of such a pip)."""
    return _settings is None or bool(_settings.get("hook"))


def code(run_settings: dict[str, Any], runtime_dir: str | None = None) -> str:
    """Python source for ``-c``: load this package from ``runtime_dir`` and ``run``."""
    directory = runtime_dir or os.path.dirname(os.path.abspath(__file__))
    return (
        "import importlib.util as u, os, sys\n"
        f"d = {directory!r}\n"
        f"s = u.spec_from_file_location({PACKAGE!r}, os.path.join(d, '__init__.py'),"
        " submodule_search_locations=[d])\n"
        f"m = u.module_from_spec(s); sys.modules[{PACKAGE!r}] = m; s.loader.exec_module(m)\n"
        f"import {PACKAGE}.bootstrap as b\n"
        f"b.run({json.dumps(run_settings)!r})\n"
    )


# The exit code of a guarded run whose interpreter has no pip at all.
NO_PIP_EXIT = 119


def run(settings_json: str) -> None:
    """Run pip (``-c CODE ARGS``) or pip's runner (``-c CODE RUNNER ARGS``, a child) guarded."""
    global _settings
    _settings = json.loads(settings_json)
    from . import PipInstallFinder

    # A hook in this environment steps aside: this guard already covers the run.
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PipInstallFinder"]
    sys.meta_path.insert(0, PipInstallFinder())
    if _settings.get("child"):
        runnable = sys.argv[1]
        sys.argv = sys.argv[1:]
        sys.path[0] = os.path.dirname(os.path.abspath(runnable))
        runpy.run_path(runnable, run_name="__main__")
    else:
        # pip's own --python would re-run pip under another interpreter, unguarded: pip skips
        # that in a process marked as its own subprocess, and the guard refuses the option.
        os.environ["_PIP_RUNNING_IN_SUBPROCESS"] = "1"
        from .pip_versions import use_a_supported_pip

        use_a_supported_pip()  # a too-old pip here: the one bundled with this Python instead
        _guard_nested_pips()
        sys.argv = ["pip", *sys.argv[1:]]
        import importlib.util

        if importlib.util.find_spec("pip") is None:  # a venv made by `uv venv`: no pip
            sys.exit(NO_PIP_EXIT)  # safe-pip says so, in one line with the ways forward
        runpy.run_module("pip", run_name="__main__", alter_sys=True)


def _guard_nested_pips() -> None:
    """A pip that code below this one starts by itself (setuptools' ``setup_requires`` runs
    ``python -m pip wheel``) gets the guard too: every Python started from here on loads it
    (``nested/sitecustomize.py``) and asks the same checker."""
    if _settings is None or _settings.get("mode") != "install" or not os.path.isdir(NESTED_DIR):
        return  # an audit builds nothing; the hook's own copy has no nested directory
    nested = {key: value for key, value in _settings.items() if key != "child"}
    os.environ[NESTED_ENV_VAR] = json.dumps(nested)
    path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = NESTED_DIR + (os.pathsep + path if path else "")


def load_nested(settings_json: str) -> None:
    """At the start of a Python below a guarded pip: the guard's finder, with its settings."""
    global _settings
    _settings = json.loads(settings_json)
    from . import PipInstallFinder

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PipInstallFinder"]
    sys.meta_path.insert(0, PipInstallFinder())


# The hook's checker, started when pip loads a guarded command (``start_checker_early``), or
# why it could not be: taken by the command's run (``open_channel``).
_early: list[channel.Channel | checker.CheckerUnavailable] = []


def start_checker_early() -> None:
    """Start the hook's checker as pip loads a guarded command, before pip reads its options
    and configuration: loading safe-pip and its data takes the checker ~150 ms, which then
    overlaps pip's own start instead of its first questions. Not for ``safe-pip install``'s
    checker (already running), nor when ``SAFE_PIP_DISABLE`` lets pip run unguarded; a
    checker the run never asks for (``pip install --help``) is stopped at exit."""
    if _early or (_settings is not None and _settings.get("address")):
        return
    if os.environ.get("SAFE_PIP_DISABLE", "").strip().lower() not in ("", "0", "false", "no"):
        return
    try:
        _early.append(_spawn_checker())
    except checker.CheckerUnavailable as exc:  # reported where the run opens its channel
        _early.append(exc)
    except Exception as exc:  # inside pip's import of its command: never a traceback there
        _early.append(checker.CheckerUnavailable(f"cannot start the safe-pip checker: {exc}"))
    atexit.register(_stop_unused_checker)


def open_channel() -> channel.Channel:
    """Reach the checker: the one ``safe-pip install`` serves, else the hook's (started
    early, or now)."""
    if _settings is not None and _settings.get("address"):
        return channel.connect(str(_settings["address"]), str(_settings.get("token", "")))
    if _early:
        started = _early.pop()
        if isinstance(started, checker.CheckerUnavailable):
            raise started
        return started
    return _spawn_checker()


def _spawn_checker() -> channel.Channel:
    command = (_settings or {}).get("checker") or checker.checker_command()
    return channel.spawn(list(command))


def _stop_unused_checker() -> None:
    while _early:
        started = _early.pop()
        if not isinstance(started, checker.CheckerUnavailable):
            started.abandon()


def child_arguments() -> list[str]:
    """What goes before pip's runner in the command of a build-dependency pip."""
    if _settings is None:
        child = {"checker": checker.checker_command(), "hook": True, "mode": "install"}
    else:
        child = dict(_settings)
    child["child"] = True
    return ["-c", code(child)]


def child_exit_code(exit_code: int) -> int:
    """The exit code of a pip the guard stopped (shifted in a child, so the parent knows)."""
    return CHILD_EXIT_BASE + exit_code if setting("child") else exit_code


def stop_code_of_child(exit_code: object) -> int | None:
    """The guard's stop code if a child pip ended with one, else None."""
    if isinstance(exit_code, int) and exit_code - CHILD_EXIT_BASE in _STOP_CODES:
        return exit_code - CHILD_EXIT_BASE
    return None
