"""The ``safe-pip hook install|uninstall|status`` and ``safe-pip alias`` commands.

Exit codes: ``hook status`` exits 0 when the environment is guarded and 1 when it is not
(no hook, or a pip/Python the guard does not support); ``hook install`` exits 3 when the
environment's pip or Python is not supported (the hook is written and pip refuses to install
there until pip is upgraded); otherwise 0, or a ``SafePipError``'s code.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from safe_pip import exit_codes
from safe_pip.console import warn
from safe_pip.errors import UsageError
from safe_pip.hook.shell_aliases import (
    SHELLS,
    alias_block,
    detect_shell,
    rc_file,
    remove_block,
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
    """Add ``hook`` and ``alias`` to an ``add_subparsers()`` object."""
    _register_hook(subparsers)
    _register_alias(subparsers)


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
        add_target_options(action)
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
    alias.add_argument(
        "--remove",
        action="store_true",
        help="take the functions out of the shell's startup file again",
    )
    alias.add_argument("--rc-file", metavar="PATH", help="startup file for --write/--remove")
    alias.set_defaults(func=run_alias)


def add_target_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter (or venv directory) of the environment; default: the active venv, "
        "else the python3 on PATH",
    )
    where.add_argument(
        "--user", action="store_true", help="the interpreter's user site-packages instead"
    )
    parser.add_argument(
        "--system",
        action="store_true",
        help=(
            "the interpreter's own site-packages even outside a venv (also guards runs with "
            "python -s, -I or PYTHONNOUSERSITE; needs write access there)"
        ),
    )


# ---------------------------------------------------------------- hook


def target_from_args(args: argparse.Namespace) -> HookTarget:
    system = bool(getattr(args, "system", False))
    if system and args.user:
        raise UsageError("--system and --user exclude each other")
    info = interpreter_info(resolve_target_python(args.python))
    return hook_target(info, user=args.user, system=system)


def user_site_gaps(target: HookTarget) -> str | None:
    """For a user-site hook, the warning that some runs of that interpreter skip it (None
    when the interpreter's own site-packages is hooked as well, or for any other target)."""
    if not target.user:
        return None
    system = hook_target(interpreter_info(target.python), user=False, system=True)
    if hook_status(system).guarded:
        return None
    return (
        f"runs that skip the user site are NOT guarded: `python -s`, `python -I` and "
        f"PYTHONNOUSERSITE=1 load no hook from {target.site_dir}. To guard them too, hook the "
        f"interpreter's own site-packages ({system.site_dir}) as its owner: "
        f"sudo safe-pip hook install --system --python {target.python}"
    )


def run_hook_install(args: argparse.Namespace) -> int:
    target = target_from_args(args)
    already_installed = install_hook(target)
    state = "already installed, updated" if already_installed else "installed"
    print(f"safe-pip hook {state}: {target.pth_file}")
    if target.unsupported is not None:
        # the hook is in place (pip refuses to install there), but nothing is checked yet
        print(f"NOT checked yet: {target.unsupported}; until then pip refuses to install there.")
        return exit_codes.CANNOT_CHECK
    print(f"pip install in the {target.description} is now checked by safe-pip.")
    gaps = user_site_gaps(target)
    if gaps is not None:
        warn(gaps)
    return exit_codes.OK


def run_hook_uninstall(args: argparse.Namespace) -> int:
    target = target_from_args(args)
    removed = uninstall_hook(target)
    if removed:
        print(f"safe-pip hook removed from {target.site_dir} ({len(removed)} files).")
    else:
        print(f"no safe-pip hook in {target.site_dir}; nothing to remove.")
    return exit_codes.OK


def run_hook_status(args: argparse.Namespace) -> int:
    status = hook_status(target_from_args(args))
    target = status.target
    if not status.guarded:
        print(f"not guarded: no safe-pip hook in the {target.description}.")
        return NOT_GUARDED
    if target.user and os.environ.get("PYTHONNOUSERSITE"):
        print(
            f"not guarded here: PYTHONNOUSERSITE is set, so {target.python} skips the user "
            f"site and its hook ({target.pth_file})."
        )
        return NOT_GUARDED
    if target.unsupported is not None:
        print(f"not guarded: {target.unsupported} (the hook {target.pth_file} refuses pip there).")
        return NOT_GUARDED
    print(f"guarded: {target.pth_file}")
    checker = " ".join(status.checker) if status.checker else "(not recorded)"
    print(f"checker: {checker}")
    gaps = user_site_gaps(target)
    if gaps is not None:
        warn(gaps)
    if status.checker_problem is not None:
        warn(
            f"{status.checker_problem}, so pip refuses every install here; run "
            "`safe-pip hook install` again to repair it, or `safe-pip hook uninstall` to "
            "remove it."
        )
    return exit_codes.OK


# ---------------------------------------------------------------- alias


def run_alias(args: argparse.Namespace) -> int:
    if args.write and args.remove:
        raise UsageError("alias: --write and --remove exclude each other")
    shell = args.shell or detect_shell()
    path = rc_file(shell) if args.rc_file is None else Path(args.rc_file).expanduser()
    if args.remove:
        print(remove_aliases_line(path, shell))
        return exit_codes.OK
    block = alias_block(shell)
    if not args.write:
        sys.stdout.write(block)
        return exit_codes.OK
    print(alias_line(write_block(path, block), path, shell))
    return exit_codes.OK


def remove_aliases_line(path: Path, shell: str) -> str:
    """Take the block out of ``path``; the line that says what happened."""
    if remove_block(path):
        return f"aliases: removed the safe-pip functions from {path} (open a new shell)."
    return f"aliases: no safe-pip {shell} functions in {path}; nothing to remove."


def alias_line(action: str, path: Path, shell: str) -> str:
    if action == "unchanged":
        return f"aliases: {path} already has the safe-pip {shell} functions."
    return f"aliases: {action} the safe-pip {shell} functions in {path} (open a new shell)."
