"""Patch pip's ``InstallCommand`` so its resolved plan is checked before anything is installed.

Three patches, all on pip's install command module:

* ``InstallCommand.run`` -- per run, wraps the resolver that ``make_resolver`` returns so the
  requirement set ``resolver.resolve()`` returns is sent to the safe-pip checker before pip
  writes its report, downloads, builds or installs anything; a stop becomes pip's exit code.
* ``install_given_reqs`` -- refuses to install anything the check did not cover (a safety net
  for pip versions that resolve some other way).

Anything about pip's internals the hook does not recognise stops pip with exit code 3 (or,
with ``SAFE_PIP_HOOK_FAIL_OPEN=1``, a warning) -- never a traceback.
"""

from __future__ import annotations

import os
import sys

from . import checker, plan_from_pip

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import ModuleType
    from typing import Any

BLOCKED = 1
USAGE = 2
CANNOT_CHECK = 3

_PATCHED_MARKER = "_safe_pip_hook_patched"


class HookStop(Exception):
    """Ends the pip run with ``exit_code``; the reason has already been printed."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


class UnsupportedPip(Exception):
    """pip's internals are not what the hook knows how to patch or read."""


class _RunState:
    """What one ``pip install`` run has checked so far."""

    def __init__(self, options: Any, *, unchecked_allowed: bool = False) -> None:
        self.options = options
        self.unchecked_allowed = unchecked_allowed  # SAFE_PIP_DISABLE or fail-open
        self.checked_names: set[str] | None = None  # None: no plan was checked yet


_current_run: _RunState | None = None


# ---------------------------------------------------------------- patching


def patch_install_module(module: ModuleType) -> None:
    """Patch pip's install command module; fail closed (exit 3) if it is not recognised."""
    try:
        _patch(module)
    except UnsupportedPip as exc:
        if _flag("SAFE_PIP_DISABLE"):
            _warn_disabled()  # the run wrapper that would warn is not there
            return
        if _flag("SAFE_PIP_HOOK_FAIL_OPEN"):
            _say(_unsupported_message(str(exc), fail_open=True))
            return
        _say(_unsupported_message(str(exc), fail_open=False))
        raise SystemExit(CANNOT_CHECK) from None


def _patch(module: ModuleType) -> None:
    command_class = _required(module, "InstallCommand")
    original_run = _required(command_class, "run")
    _required(command_class, "make_resolver")
    original_install = _required(module, "install_given_reqs")
    if getattr(command_class, _PATCHED_MARKER, False):
        return

    def run(command: Any, options: Any, args: Any) -> int:
        return _guarded_run(original_run, command, options, args)

    def install_given_reqs(requirements: Any, *args: Any, **kwargs: Any) -> Any:
        requirements = list(requirements)
        _refuse_unchecked(requirements)
        return original_install(requirements, *args, **kwargs)

    command_class.run = run
    module.install_given_reqs = install_given_reqs  # type: ignore[attr-defined]
    setattr(command_class, _PATCHED_MARKER, True)


def _required(owner: object, name: str) -> Any:
    try:
        return getattr(owner, name)
    except AttributeError:
        owner_name = getattr(owner, "__name__", type(owner).__name__)
        raise UnsupportedPip(f"{owner_name}.{name} is missing") from None


# ---------------------------------------------------------------- one pip install run


def _guarded_run(original_run: Callable[..., int], command: Any, options: Any, args: Any) -> int:
    global _current_run
    if _flag("SAFE_PIP_DISABLE"):
        _warn_disabled()
        _current_run = _RunState(options, unchecked_allowed=True)
        return original_run(command, options, args)

    state = _RunState(options)
    _current_run = state
    original_make_resolver = command.make_resolver

    def make_resolver(*args: Any, **kwargs: Any) -> Any:
        return _guard_resolver(original_make_resolver(*args, **kwargs), state)

    command.make_resolver = make_resolver
    try:
        return original_run(command, options, args)
    except HookStop as stop:
        return stop.exit_code
    finally:
        _current_run = None
        del command.make_resolver


def _guard_resolver(resolver: Any, state: _RunState) -> Any:
    original_resolve = getattr(resolver, "resolve", None)
    if original_resolve is None:
        _unsupported_during_run(state, f"{type(resolver).__name__}.resolve is missing")
        return resolver

    def resolve(*args: Any, **kwargs: Any) -> Any:
        requirement_set = original_resolve(*args, **kwargs)
        _check(requirement_set, state)
        return requirement_set

    try:
        resolver.resolve = resolve
    except (AttributeError, TypeError):
        _unsupported_during_run(state, f"{type(resolver).__name__}.resolve cannot be wrapped")
    return resolver


def _check(requirement_set: Any, state: _RunState) -> None:
    """Send the resolved plan to the checker; raise ``HookStop`` unless it allows it."""
    try:
        plan = plan_from_pip.plan_json(requirement_set, state.options)
    except plan_from_pip.PlanError as exc:
        _say(f"{exc}; refusing to install.")
        raise HookStop(CANNOT_CHECK) from None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        _unsupported_during_run(state, f"reading the resolved plan failed: {exc}")
        return
    state.checked_names = {
        plan_from_pip.normalize_name(str(item["name"])) for item in plan["items"]
    }
    if not plan["items"]:
        return
    report_on_stderr = getattr(state.options, "json_report_file", None) == "-"
    try:
        exit_code = checker.run_checker(plan, report_on_stderr=report_on_stderr)
    except checker.CheckerUnavailable as exc:
        if _flag("SAFE_PIP_HOOK_FAIL_OPEN"):
            _say(f"warning: {exc}; SAFE_PIP_HOOK_FAIL_OPEN is set, installing unchecked.")
            state.unchecked_allowed = True
            return
        _say(f"{exc}; refusing to install. {checker.how_to_get_pip_back()}")
        raise HookStop(CANNOT_CHECK) from None
    if exit_code == 0:
        return
    if exit_code == BLOCKED:
        _say("blocked by policy; pip installed nothing.")
        raise HookStop(BLOCKED)
    if exit_code == USAGE:
        _say("safe-pip reported a usage or configuration error; pip installed nothing.")
        raise HookStop(USAGE)
    _say("safe-pip could not check this plan; pip installed nothing.")
    raise HookStop(CANNOT_CHECK)


def _refuse_unchecked(requirements: Iterable[Any]) -> None:
    """Safety net just before pip installs: everything must have gone through ``_check``."""
    state = _current_run
    if state is not None and state.unchecked_allowed:
        return
    detail = "pip reached its install step without the resolved plan being checked"
    if state is None:
        _outside_run_unsupported(detail)
        return
    if state.checked_names is None:
        _unsupported_during_run(state, detail)
        return
    names = [
        plan_from_pip.normalize_name(str(getattr(req, "name", None) or "?")) for req in requirements
    ]
    unchecked = sorted(name for name in names if name not in state.checked_names)
    if unchecked:
        _unsupported_during_run(
            state, f"pip is about to install {', '.join(unchecked)}, which was not checked"
        )


# ---------------------------------------------------------------- messages and settings


def _outside_run_unsupported(detail: str) -> None:
    """pip installs from outside ``InstallCommand.run``: no exception would end it cleanly
    (pip prints a traceback for unknown ones), so exit at once unless fail-open."""
    if _flag("SAFE_PIP_HOOK_FAIL_OPEN"):
        _say(_unsupported_message(detail, fail_open=True))
        return
    _say(_unsupported_message(detail, fail_open=False))
    os._exit(CANNOT_CHECK)


def _unsupported_during_run(state: _RunState, detail: str) -> None:
    """Inside a run: stop pip with exit 3, or warn and let the run go on unchecked."""
    if _flag("SAFE_PIP_HOOK_FAIL_OPEN"):
        _say(_unsupported_message(detail, fail_open=True))
        state.unchecked_allowed = True
        return
    _say(_unsupported_message(detail, fail_open=False))
    raise HookStop(CANNOT_CHECK)


def _unsupported_message(detail: str, *, fail_open: bool) -> str:
    version = getattr(sys.modules.get("pip"), "__version__", "unknown version")
    if fail_open:
        return (
            f"warning: this pip ({version}) is not supported by the hook ({detail}); "
            "SAFE_PIP_HOOK_FAIL_OPEN is set, so pip installs UNCHECKED."
        )
    return (
        f"this pip ({version}) is not supported by the hook ({detail}); refusing to install. "
        "Use `safe-pip install` or set SAFE_PIP_HOOK_FAIL_OPEN=1"
    )


def _warn_disabled() -> None:
    _say("warning: SAFE_PIP_DISABLE is set; this pip install is NOT checked by safe-pip.")


def _say(message: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(f"safe-pip hook: {message}\n")
    sys.stderr.flush()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")
