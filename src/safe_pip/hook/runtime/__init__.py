"""safe-pip's pip hook, started from ``safe_pip_hook.pth`` at every interpreter start.

Written by ``safe-pip hook install``; removed by ``safe-pip hook uninstall``. At startup it only
puts one finder on ``sys.meta_path`` (no other import, no I/O). The finder reacts to exactly
one module, pip's install command, and patches it right after pip loads it, so that pip's
resolved plan is checked by safe-pip before anything is installed.

Environment: ``SAFE_PIP_ACTIVE`` turns the hook off silently only when it holds a valid
single-use token that safe-pip issued for this very process (see ``run_token``): safe-pip sets
it on the pip it starts to install an already vetted plan; a forged value, a copy inherited by
anything else (a build backend, a shell, a grandchild) or a used one has no effect and is
removed from the environment; ``SAFE_PIP_DISABLE=1`` lets pip run unguarded with a warning;
``SAFE_PIP_HOOK_FAIL_OPEN=1`` lets pip run unchecked (with a warning) when the hook cannot
do its job, instead of refusing to install.

Stdlib only, and nothing is imported at startup beyond what the interpreter already has --
not even ``__future__``, hence the quoted annotations.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

PIP_INSTALL_MODULE = "pip._internal.commands.install"
# pip_commands.py: the commands that fetch, build, write or install distributions, and pip's
# command-line parser (its --python re-runs pip elsewhere); written out here as well
PIP_MAIN_PARSER_MODULE = "pip._internal.cli.main_parser"
PIP_GUARDED_MODULES = (
    PIP_INSTALL_MODULE,
    "pip._internal.commands.download",
    "pip._internal.commands.wheel",
    "pip._internal.commands.lock",
    PIP_MAIN_PARSER_MODULE,
)
MIN_PYTHON = (3, 7)  # the guard's modules use ``from __future__ import annotations``
CANNOT_CHECK = 3
# run_token.ENV_VAR, written out so that startup imports nothing more (tests pin the two)
ACTIVE_ENV_VAR = "SAFE_PIP_ACTIVE"
_started_by_safe_pip = False  # a valid run token was claimed in this process


def install_finder() -> None:
    """Called by the ``.pth`` line: watch for pip's install command (unless safe-pip runs).

    Idempotent: the same ``.pth`` file can be processed twice (a site dir reached through two
    paths, e.g. a ``lib64`` symlink).
    """
    global _started_by_safe_pip
    if ACTIVE_ENV_VAR in os.environ:
        from . import run_token

        _started_by_safe_pip = run_token.claim() or _started_by_safe_pip
    if _started_by_safe_pip:
        return  # safe-pip itself started this pip to install a plan it already vetted
    if not any(isinstance(finder, PipInstallFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, PipInstallFinder())


class PipInstallFinder:
    """A meta path finder that only answers for the pip modules the guard patches."""

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        if fullname not in PIP_GUARDED_MODULES:
            return None
        return _spec_with_patching_loader(fullname, path, target)


def _spec_with_patching_loader(
    fullname: str,
    path: "Sequence[str] | None",
    target: "ModuleType | None",
) -> "ModuleSpec | None":
    """The spec the other finders give, with a loader that patches the module it executes."""
    for other in sys.meta_path:
        find_spec = getattr(other, "find_spec", None)
        if isinstance(other, PipInstallFinder) or find_spec is None:
            continue
        spec: ModuleSpec | None = find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader)  # type: ignore[assignment]
            return spec
    return None


class _PatchingLoader:
    """Delegates to pip's own loader, then patches the freshly executed module."""

    def __init__(self, loader: "Any") -> None:
        self._loader = loader

    def create_module(self, spec: "ModuleSpec") -> "ModuleType | None":
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: "ModuleType") -> None:
        if module.__name__ != PIP_MAIN_PARSER_MODULE and sys.version_info >= MIN_PYTHON:
            from .bootstrap import start_checker_early

            start_checker_early()  # while pip loads the command, its options and config
        self._loader.exec_module(module)
        if module.__name__ == PIP_MAIN_PARSER_MODULE:
            _watch_pip_python_option(module)
            return  # the command module comes next
        if sys.version_info < MIN_PYTHON:
            _refuse_old_python()
        else:
            from .pip_commands import patch_pip_module

            patch_pip_module(module)
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, PipInstallFinder)]

    def __getattr__(self, name: str) -> "Any":
        return getattr(self._loader, name)


def _refuse_old_python() -> None:
    """The guard cannot even load on this Python: one line and exit 3 (not a traceback),
    unless pip is meant to run unchecked (``SAFE_PIP_DISABLE``, ``SAFE_PIP_HOOK_FAIL_OPEN``)."""
    version = ".".join(str(part) for part in sys.version_info[:3])
    python = sys.executable
    for name in ("SAFE_PIP_DISABLE", "SAFE_PIP_HOOK_FAIL_OPEN"):
        if os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no"):
            sys.stderr.write(
                f"safe-pip hook: warning: Python {version} is too old for safe-pip's guard; "
                f"{name} is set, so this pip runs UNCHECKED.\n"
            )
            return
    sys.stderr.write(
        f"safe-pip hook: Python {version} is too old for safe-pip's guard (it needs Python "
        ">= 3.7 and pip >= 22.3); refusing. Use a newer Python, or remove the hook: "
        f"`safe-pip hook uninstall --python {python}`\n"
    )
    raise SystemExit(CANNOT_CHECK)


def _watch_pip_python_option(main_parser: "ModuleType") -> None:
    """pip's ``--python OTHER`` re-runs pip under OTHER (``identify_python_interpreter`` is
    called for it alone): ``pip_commands`` decides then. Nothing more is imported before."""
    original = getattr(main_parser, "identify_python_interpreter", None)
    if original is None or sys.version_info < MIN_PYTHON:
        return  # a pip without --python (< 22.3); a Python the guard cannot run on

    def identify_python_interpreter(python: str) -> "Any":
        from .pip_commands import refuse_pip_python

        refuse_pip_python(original, python)
        return original(python)

    main_parser.identify_python_interpreter = identify_python_interpreter  # type: ignore[attr-defined]
