"""Command line entry points: ``safe-pip`` and ``safe-uv``.

``safe-pip install`` and ``safe-pip uv`` take the installer's own arguments unchanged; the
other safe-pip commands use argparse; any other word is a pip command and goes straight to pip.
Every ``SafePipError`` becomes one line on stderr and its documented exit code.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Sequence

from safe_pip import __version__, exit_codes
from safe_pip.console import error, say
from safe_pip.errors import SafePipError

# Commands safe-pip implements itself; every other first word is handed to pip unchanged.
_OWN_COMMANDS = ("install", "check", "db", "hook", "alias", "setup", "uv")

USAGE = """\
usage: safe-pip install [--python PATH] [--format text|json] [--warn-only]
                        [--ignore-vuln ID:REASON] [--allow PACKAGE] [--fail-mode closed|open]
                        PIP_INSTALL_ARGS...
       safe-pip check FILE... | --installed | --plan FILE
       safe-pip db update [--source URL_OR_PATH] | db status
       safe-pip hook install|uninstall|status [--python PATH | --user]
       safe-pip alias [bash|zsh|fish|powershell] [--write]
       safe-pip setup [--user | --python PATH] [--shell SHELL] [--no-db-update]
       safe-pip uv pip install ARGS...
       safe-pip PIP_COMMAND ARGS...   (any other pip command runs pip unchanged)

exit codes: 0 ok, 1 blocked by policy, 2 usage/configuration error,
            3 could not check, 4 checks passed but the install step failed, 130 interrupted
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    return _guarded(lambda: _dispatch(args))


def uv_main(argv: Sequence[str] | None = None) -> int:
    """``safe-uv ARGS`` means ``safe-pip uv ARGS``."""
    from safe_pip.commands import uv as uv_command

    args = list(sys.argv[1:] if argv is None else argv)
    return _guarded(lambda: uv_command.main(args))


def _guarded(run: Callable[[], int]) -> int:
    try:
        return run()
    except SafePipError as exc:
        error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        say("interrupted; nothing more was done.")
        return exit_codes.INTERRUPTED
    except BrokenPipeError:
        return exit_codes.OK


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return exit_codes.OK if args else exit_codes.USAGE
    if args[0] in ("-V", "--version"):
        sys.stdout.write(f"safe-pip {__version__}\n")
        return exit_codes.OK
    command = args[0]
    install_at = _pip_install_position(args)
    if install_at is not None:
        from safe_pip.commands.install import run_install

        # pip's general options may come first (``pip -q install``): they are install options.
        return run_install([*args[:install_at], *args[install_at + 1 :]])
    if command in _OWN_COMMANDS:
        parsed = _build_parser().parse_args(args)
        result: int = parsed.func(parsed)
        return result
    return _pass_through_to_pip(args)


def _pip_install_position(args: Sequence[str]) -> int | None:
    """Where the word ``install`` is when it is the command, after any options.

    pip takes general options before its command (``pip --python X install``, ``pip -q
    install``); such a line must be guarded like ``safe-pip install``, not passed to pip.
    """
    from safe_pip.commands.own_options import OWN_VALUE_OPTIONS
    from safe_pip.installers.pip.args import needs_separate_value

    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--" or not arg.startswith("-") or arg == "-":
            return position if arg == "install" else None
        takes_value = arg in OWN_VALUE_OPTIONS or needs_separate_value(arg)
        position += 2 if takes_value else 1
    return None


def _build_parser() -> argparse.ArgumentParser:
    from safe_pip.commands import check as check_command
    from safe_pip.commands import db as db_commands
    from safe_pip.commands import hook as hook_commands
    from safe_pip.commands import setup as setup_command
    from safe_pip.commands import uv as uv_command

    parser = argparse.ArgumentParser(prog="safe-pip", allow_abbrev=False)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in (check_command, db_commands, hook_commands, setup_command, uv_command):
        module.register(subparsers)
    return parser


def _pass_through_to_pip(args: list[str]) -> int:
    """``safe-pip list``, ``show``, ``uninstall``, ``download``... are plain pip."""
    from safe_pip.commands.own_options import take_python_option
    from safe_pip.installers.target_python import resolve_target_python

    explicit_python, pip_args = take_python_option(args)
    python = resolve_target_python(explicit_python)
    try:
        return subprocess.call([python, "-m", "pip", *pip_args])
    except OSError as exc:
        raise SafePipError(f"could not run pip with {python}: {exc.strerror}") from exc
