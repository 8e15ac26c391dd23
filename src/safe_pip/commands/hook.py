"""The ``safe-pip hook install|uninstall|status``, ``safe-pip alias`` and ``safe-pip setup``
commands.

Exit codes: ``hook status`` exits 0 when the environment is guarded and 1 when it is not;
``setup`` exits 3 when the advisory database could not be updated (everything else it did is
still reported); a ``$SHELL`` it does not know only skips the shell functions, with a warning;
otherwise 0, or a ``SafePipError``'s code.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from safe_pip import exit_codes
from safe_pip.errors import SafePipError
from safe_pip.hook.shell_aliases import (
    ALIAS_HINT,
    SHELLS,
    alias_block,
    detect_shell,
    rc_file,
    shell_from_env,
    write_block,
)
from safe_pip.hook.site_files import (
    HookTarget,
    hook_status,
    hook_target,
    install_hook,
    interpreter_info,
    uninstall_hook,
)
from safe_pip.installers.target_python import resolve_target_python

NOT_GUARDED = 1  # ``hook status``: the environment has no hook


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``hook``, ``alias`` and ``setup`` to an ``add_subparsers()`` object."""
    _register_hook(subparsers)
    _register_alias(subparsers)
    _register_setup(subparsers)


def _register_hook(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hook = subparsers.add_parser(
        "hook",
        help="guard plain `pip install` in an environment",
        description=(
            "Install a .pth hook into an environment's site-packages so that every "
            "`pip install` and `python -m pip install` there is checked by safe-pip first."
        ),
    )
    actions = hook.add_subparsers(dest="hook_command", metavar="COMMAND", required=True)
    for name, func, help_text in (
        ("install", run_hook_install, "install (or update) the hook"),
        ("uninstall", run_hook_uninstall, "remove the hook files"),
        ("status", run_hook_status, "is the environment guarded? (exit 0 yes, 1 no)"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        _add_target_options(action)
        action.set_defaults(func=func)


def _register_alias(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alias = subparsers.add_parser(
        "alias",
        help="print shell functions that route `pip install` through safe-pip",
        description=(
            "Print (or with --write add to your shell startup file) functions that make "
            "`pip install`, `pip3 install` and `python -m pip install` run safe-pip install."
        ),
    )
    alias.add_argument("shell", nargs="?", choices=SHELLS, help="default: from $SHELL")
    alias.add_argument(
        "--write",
        action="store_true",
        help="add the functions to the shell's startup file (replacing an earlier block)",
    )
    alias.add_argument("--rc-file", metavar="PATH", help="startup file for --write")
    alias.set_defaults(func=run_alias)


def _register_setup(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    setup = subparsers.add_parser(
        "setup",
        help="workstation default: hook, shell functions and advisory database in one step",
        description=(
            "Hook the active virtual environment (else the user site), add the shell "
            "functions to your startup file and build the advisory database."
        ),
    )
    _add_target_options(setup)
    setup.add_argument("--shell", choices=SHELLS, help="default: from $SHELL")
    setup.add_argument(
        "--no-db-update", action="store_true", help="do not build the advisory database"
    )
    setup.set_defaults(func=run_setup)


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter (or venv directory) of the environment; default: the active venv",
    )
    where.add_argument(
        "--user", action="store_true", help="the interpreter's user site-packages instead"
    )


# ---------------------------------------------------------------- hook


def _target(args: argparse.Namespace) -> HookTarget:
    info = interpreter_info(resolve_target_python(args.python))
    return hook_target(info, user=args.user)


def run_hook_install(args: argparse.Namespace) -> int:
    target = _target(args)
    already_installed = install_hook(target)
    state = "already installed, updated" if already_installed else "installed"
    print(f"safe-pip hook {state}: {target.pth_file}")
    print(f"pip install in the {target.description} is now checked by safe-pip.")
    return exit_codes.OK


def run_hook_uninstall(args: argparse.Namespace) -> int:
    target = _target(args)
    removed = uninstall_hook(target)
    if removed:
        print(f"safe-pip hook removed from {target.site_dir} ({len(removed)} files).")
    else:
        print(f"no safe-pip hook in {target.site_dir}; nothing to remove.")
    return exit_codes.OK


def run_hook_status(args: argparse.Namespace) -> int:
    status = hook_status(_target(args))
    target = status.target
    if not status.guarded:
        print(f"not guarded: no safe-pip hook in the {target.description}.")
        return NOT_GUARDED
    print(f"guarded: {target.pth_file}")
    checker = " ".join(status.checker) if status.checker else "(not recorded)"
    print(f"checker: {checker}")
    if status.checker_problem is not None:
        print(
            f"warning: {status.checker_problem}, so pip refuses every install here; run "
            "`safe-pip hook install` again to repair it, or `safe-pip hook uninstall` to "
            "remove it.",
            file=sys.stderr,
        )
    return exit_codes.OK


# ---------------------------------------------------------------- alias


def run_alias(args: argparse.Namespace) -> int:
    shell = args.shell or detect_shell()
    block = alias_block(shell)
    if not args.write:
        sys.stdout.write(block)
        return exit_codes.OK
    path = rc_file(shell) if args.rc_file is None else Path(args.rc_file).expanduser()
    print(_alias_line(write_block(path, block), path, shell))
    return exit_codes.OK


def _alias_line(action: str, path: Path, shell: str) -> str:
    if action == "unchanged":
        return f"aliases: {path} already has the safe-pip {shell} functions."
    return f"aliases: {action} the safe-pip {shell} functions in {path} (open a new shell)."


# ---------------------------------------------------------------- setup


def run_setup(args: argparse.Namespace) -> int:
    """Hook, shell functions, advisory database; one line per change."""
    info = interpreter_info(resolve_target_python(args.python))
    target = hook_target(info, user=args.user)
    already_installed = install_hook(target)
    print(f"hook: {'updated' if already_installed else 'installed'} {target.pth_file}")

    _setup_aliases(args.shell or shell_from_env())

    if args.no_db_update:
        print("advisory database: not updated (--no-db-update).")
        return exit_codes.OK
    return _update_database()


def _setup_aliases(shell: str | None) -> None:
    if shell is None:
        login_shell = os.environ.get("SHELL", "")
        print(
            f"warning: aliases skipped: cannot tell your shell from SHELL={login_shell!r}; "
            f"add them with `{ALIAS_HINT} --write`",
            file=sys.stderr,
        )
        return
    path = rc_file(shell)
    print(_alias_line(write_block(path, alias_block(shell)), path, shell))


def _update_database() -> int:
    from safe_pip.advisories.update import update_database

    try:
        status = update_database()
    except SafePipError as exc:
        print(f"advisory database: NOT updated: {exc}", file=sys.stderr)
        return exit_codes.CANNOT_CHECK
    print(f"advisory database: {status.record_count} records from {status.source}.")
    return exit_codes.OK
