"""The pip commands besides ``install`` that the guard covers, and pip's own ``--python``.

``pip download``, ``pip wheel`` and ``pip lock`` resolve, download and build like ``pip
install``; what they fetch, build or write is their plan. Each gets the install command's
guard (``pip_patch``: steering, the gate before any download or build, the full check of the
resolved set) around its ``run``, and a last check just before it writes anything:

* ``RequirementPreparer.save_linked_requirement`` -- a download (``pip download``) or a
  wheel copied into ``--wheel-dir`` (``pip wheel``);
* the wheel command's ``build`` -- ``pip wheel`` building wheels from sdists;
* the lock command's lock-file writer (``pylock_from_install_requirements`` in pip >= 25.2,
  ``Pylock.from_install_requirements`` in pip 25.1).

Each refuses (exit 3, one line) anything that was not checked, and blocks (exit 1) a file
whose sha256 is not the one that was checked. pip's own ``--python`` (``pip --python OTHER
install ...``) would re-run pip under an interpreter without the guard: in a hooked
environment that is refused with one line (``safe-pip install`` refuses it in ``pip_patch``).
"""

from __future__ import annotations

import importlib
import os
import sys

from . import bootstrap, pip_patch, plan_from_pip

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import ModuleType
    from typing import Any

INSTALL_MODULE = "pip._internal.commands.install"
# the other pip commands that download, build or write distributions: module -> command class
OTHER_COMMANDS = {
    "pip._internal.commands.download": "DownloadCommand",
    "pip._internal.commands.wheel": "WheelCommand",
    "pip._internal.commands.lock": "LockCommand",
}
# the command words whose run pip's --python would take out of the guard's reach
GUARDED_WORDS = ("install", "download", "wheel", "lock")

PIP_PYTHON_HOOK_REFUSAL = (
    "pip's --python (or PIP_PYTHON) would run {python}'s pip without the guard; refusing. "
    "Use `safe-pip {word} --python {python} ...`, or hook that environment "
    "(`safe-pip hook install --python {python}`) and run its own pip"
)


def patch_pip_module(module: ModuleType) -> None:
    """Patch a pip command module the finder caught right after pip loaded it."""
    name = module.__name__
    if name == INSTALL_MODULE:
        pip_patch.patch_install_module(module)
    elif name in OTHER_COMMANDS:
        patch_command_module(module, OTHER_COMMANDS[name])


def patch_command_module(module: ModuleType, class_name: str) -> None:
    """Guard ``pip download``/``wheel``/``lock`` like ``pip install``; fail closed (exit 3)
    when their internals are not recognised."""
    try:
        install_module = importlib.import_module(INSTALL_MODULE)
    except ImportError:
        pip_patch.refuse_unsupported(pip_patch.UnsupportedPip(f"{INSTALL_MODULE} is missing"))
        return
    pip_patch.patch_install_module(install_module)  # the wrappers every command shares
    if not getattr(install_module.InstallCommand, pip_patch.PATCHED_MARKER, False):
        return  # the guard is off (SAFE_PIP_DISABLE, or fail-open): pip_patch said so
    try:
        _patch_command(module, class_name)
    except pip_patch.UnsupportedPip as exc:
        pip_patch.refuse_unsupported(exc)


def _patch_command(module: ModuleType, class_name: str) -> None:
    command_class = pip_patch.required(module, class_name)
    if getattr(command_class, pip_patch.PATCHED_MARKER, False):
        return
    original_run = pip_patch.required(command_class, "run")
    preparer_class = pip_patch.required(
        importlib.import_module("pip._internal.operations.prepare"), "RequirementPreparer"
    )
    pip_patch.required(preparer_class, "save_linked_requirement")
    writer: Callable[[], None] | None = None
    if class_name == "WheelCommand":
        writer = _wheel_build_writer(module)
    elif class_name == "LockCommand":
        writer = _lock_writer(module)

    def run(command: Any, options: Any, args: Any) -> int:
        return pip_patch.guarded_run(original_run, command, options, args)

    command_class.run = run
    _wrap_save(preparer_class)
    if writer is not None:
        writer()
    setattr(command_class, pip_patch.PATCHED_MARKER, True)


def _wrap_save(preparer_class: Any) -> None:
    """A download or a wheel is copied to where the user asked only once it was checked."""
    original = preparer_class.save_linked_requirement
    if getattr(original, pip_patch.PATCHED_MARKER, False):
        return

    def save_linked_requirement(preparer: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        refuse_unchecked_write([req], "save")
        return original(preparer, req, *args, **kwargs)

    setattr(save_linked_requirement, pip_patch.PATCHED_MARKER, True)
    preparer_class.save_linked_requirement = save_linked_requirement


def _wheel_build_writer(module: ModuleType) -> Callable[[], None]:
    original = pip_patch.required(module, "build")

    def patch() -> None:
        def build(requirements: Any, *args: Any, **kwargs: Any) -> Any:
            requirements = list(requirements)
            refuse_unchecked_write(requirements, "build a wheel of")
            return original(requirements, *args, **kwargs)

        module.build = build  # type: ignore[attr-defined]

    return patch


def _lock_writer(module: ModuleType) -> Callable[[], None]:
    """pip >= 25.2: ``pylock_from_install_requirements``; pip 25.1: ``Pylock``'s classmethod."""
    function = getattr(module, "pylock_from_install_requirements", None)
    if function is not None:

        def patch_function() -> None:
            def pylock_from_install_requirements(requirements: Any, *a: Any, **kw: Any) -> Any:
                requirements = list(requirements)
                refuse_unchecked_write(requirements, "lock", compare_files=False)
                return function(requirements, *a, **kw)

            module.pylock_from_install_requirements = pylock_from_install_requirements  # type: ignore[attr-defined]

        return patch_function
    pylock_class = pip_patch.required(module, "Pylock")
    pip_patch.required(pylock_class, "from_install_requirements")

    def patch_class() -> None:
        module.Pylock = _CheckedPylock(pylock_class)  # type: ignore[attr-defined]

    return patch_class


class _CheckedPylock:
    """pip 25.1's ``Pylock`` as the lock command sees it: checked before it is built."""

    def __init__(self, pylock_class: Any) -> None:
        self._pylock_class = pylock_class

    def from_install_requirements(self, requirements: Any, *args: Any, **kwargs: Any) -> Any:
        requirements = list(requirements)
        refuse_unchecked_write(requirements, "lock", compare_files=False)
        return self._pylock_class.from_install_requirements(requirements, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pylock_class, name)


def refuse_unchecked_write(
    requirements: Iterable[Any], verb: str, *, compare_files: bool = True
) -> None:
    """Just before pip writes a download, a wheel or a lock: every distribution in it went
    through the full check, with the bytes that were checked (``compare_files``: the archive
    pip downloaded; a lock records the index's hash, which must be the checked one)."""
    state = pip_patch.current_run()
    if state is not None and state.unchecked_allowed:
        return
    requirements = list(requirements)
    if not requirements:
        return
    names = [
        plan_from_pip.normalize_name(str(getattr(req, "name", None) or "?")) for req in requirements
    ]
    detail = f"pip is about to {verb} {', '.join(sorted(names))} without the plan being checked"
    if state is None:
        pip_patch.outside_run_unsupported(detail)
        return
    checked = state.checked
    if checked is None or any(name not in checked for name in names):
        pip_patch.unsupported_during_run(state, detail)
        return
    changed = sorted(
        name
        for name, req in zip(names, requirements)
        if not _same_bytes(req, checked[name], compare_files=compare_files)
    )
    if changed:
        pip_patch.say(
            f"blocked: the file pip is about to {verb} for {', '.join(changed)} does not "
            "have the sha256 that was checked; nothing was written."
        )
        raise pip_patch.HookStop(pip_patch.BLOCKED)


def _same_bytes(req: Any, checked_sha256: str | None, *, compare_files: bool) -> bool:
    if compare_files:
        return pip_patch.has_checked_bytes(req, checked_sha256)
    if checked_sha256 is None:
        return True
    link = getattr(req, "link", None)
    if link is not None and getattr(link, "hash_name", None) == "sha256":
        return bool(str(link.hash).lower() == checked_sha256)
    return pip_patch.has_checked_bytes(req, checked_sha256)


# ---------------------------------------------------------------- pip's own --python


def refuse_pip_python(identify: Callable[[str], Any], python: str) -> None:
    """pip is about to re-run itself under ``python`` (its ``--python``): in a hooked
    environment, refuse that for the commands the guard covers (``safe-pip install`` keeps
    pip from re-running itself, and refuses the option in ``pip_patch``)."""
    word = next((arg for arg in sys.argv[1:] if arg in GUARDED_WORDS), None)
    if (
        word is not None
        and bootstrap.is_hook()
        and not pip_patch.flag("SAFE_PIP_DISABLE")
        and "_PIP_RUNNING_IN_SUBPROCESS" not in os.environ
    ):
        interpreter = identify(python) or python
        pip_patch.say(PIP_PYTHON_HOOK_REFUSAL.format(python=interpreter, word=word))
        raise SystemExit(pip_patch.USAGE)
