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
    """A meta path finder that only answers for pip's install command module."""

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        if fullname != PIP_INSTALL_MODULE:
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
        self._loader.exec_module(module)
        from .pip_patch import patch_install_module

        patch_install_module(module)
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, PipInstallFinder)]

    def __getattr__(self, name: str) -> "Any":
        return getattr(self._loader, name)
