"""Command line entry points: ``safe-pip`` and ``safe-uv``.

``safe-pip install`` and ``safe-pip uv`` take the installer's own arguments unchanged; the
other safe-pip commands use argparse; ``download``, ``wheel`` and ``lock`` run pip with the guard
(``commands/pip_command.py``); any other word is a pip command and goes straight to pip.
Every ``SafePipError`` becomes one line on stderr and its documented exit code.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from safe_pip import __version__, exit_codes
from safe_pip.console import error, say, show_installer_output
from safe_pip.errors import SafePipError, UsageError
from safe_pip.pipeline import decision_log

if TYPE_CHECKING:
    import argparse

# Commands safe-pip implements itself; every other first word is handed to pip unchanged.
_OWN_COMMANDS = ("install", "check", "db", "hook", "alias", "setup", "log", "trust", "uv")

# pip's commands (pip 23 to 26): any other word is checked against pip's answer (a typo is a
# usage error, exit 2); a newer pip command still runs, just with its stderr passed through.
_PIP_COMMANDS = frozenset(
    {
        *("download", "uninstall", "freeze", "inspect", "list", "show", "check", "config"),
        *("search", "cache", "index", "wheel", "hash", "completion", "debug", "help", "lock"),
    }
)


# pip's commands besides install that download, build or write distributions: guarded too.
_GUARDED_PIP_COMMANDS = ("download", "wheel", "lock")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    return _guarded(lambda: _dispatch(args))


def uv_main(argv: Sequence[str] | None = None) -> int:
    """``safe-uv ARGS`` means ``safe-pip uv ARGS``."""
    from safe_pip.commands import uv as uv_command

    args = list(sys.argv[1:] if argv is None else argv)
    return _guarded(lambda: uv_command.main(args))


def run_safe_pip() -> None:
    """The ``safe-pip`` command (and ``python -m safe_pip``)."""
    exit_now(main())


def run_safe_uv() -> None:
    """The ``safe-uv`` command."""
    exit_now(uv_main())


def exit_now(code: int) -> None:
    """End the process with ``code`` once its output is out, without tearing down every
    imported module one by one (~20 ms after a guarded install, paid on every run): every
    file, database and child process is closed by the code that opened it before ``main``
    returns, and nothing of safe-pip's registers exit handlers."""
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (``safe-pip check | head``): nothing more can be said there
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _guarded(run: Callable[[], int]) -> int:
    """Run a command: errors become one line and their exit code; a guarded run (one that
    reached the checks) then gets its line in the decision log."""
    failure: str | None = None
    try:
        code = run()
    except SafePipError as exc:
        show_installer_output(exc.details)
        error(str(exc))
        code, failure = exc.exit_code, str(exc)
        _report_error(code, failure, exc.details)
    except KeyboardInterrupt:
        say("interrupted; nothing more was done.")
        code, failure = exit_codes.INTERRUPTED, "interrupted"
        _report_error(code, failure, "")
    except BrokenPipeError:
        code = exit_codes.OK
    decision_log.finish(code, failure)
    return code


def _report_error(code: int, message: str, details: str) -> None:
    """A run that asked for a machine report or ``--output FILE`` and ended before its report:
    the error document (``--format json``: one JSON object on stdout in every outcome)."""
    from safe_pip.pipeline.report_options import unreported_request

    options = unreported_request()
    if options is None:
        return
    from safe_pip.pipeline.report import report_error

    with contextlib.suppress(OSError, SafePipError):
        report_error(options, code, message, details)


def _dispatch(args: list[str]) -> int:
    if args[:1] == ["help"] and len(args) > 1:  # like `pip help install`
        return _dispatch([args[1], "--help"])
    if not args or args[0] in ("-h", "--help", "help"):
        from safe_pip.commands.help_text import top_level_help

        (sys.stdout if args else sys.stderr).write(top_level_help())
        return exit_codes.OK if args else exit_codes.USAGE
    if args[0] in ("-V", "--version"):
        sys.stdout.write(f"safe-pip {__version__}\n")
        return exit_codes.OK
    _refuse_a_mistyped_top_level_option(args[0])
    command = args[0]
    if command == "guard-serve":  # internal: the pip hook's checker
        from safe_pip.commands.guard_serve import run_guard_serve

        return run_guard_serve()
    command_at = _pip_command_position(args)
    word = None if command_at is None else args[command_at]
    if command_at is not None and word == "install":
        from safe_pip.commands.install import run_install

        # pip's general options may come first (``pip -q install``): they are install options.
        return run_install([*args[:command_at], *args[command_at + 1 :]])
    if command_at is not None and word in _GUARDED_PIP_COMMANDS:
        from safe_pip.commands.pip_command import run_pip_command

        # what they download, build or lock is checked like an install (`alias pip=safe-pip`)
        return run_pip_command(word, [*args[:command_at], *args[command_at + 1 :]])
    if command in _OWN_COMMANDS:
        parsed = _build_parser(command).parse_args(args)
        result: int = parsed.func(parsed)
        return result
    unknown = word if word is not None and word not in _PIP_COMMANDS else None
    return _pass_through_to_pip(args, unknown)


# pip's general options (pip 23 to 26), which may come before any command word.
_PIP_GENERAL_OPTIONS = frozenset(
    {
        *("--help", "--debug", "--isolated", "--require-virtualenv", "--python", "--verbose"),
        *("--version", "--quiet", "--log", "--no-input", "--keyring-provider", "--proxy"),
        *("--retries", "--timeout", "--exists-action", "--trusted-host", "--cert"),
        *("--client-cert", "--cache-dir", "--no-cache-dir", "--disable-pip-version-check"),
        *("--no-color", "--no-python-version-warning", "--use-feature", "--use-deprecated"),
        *("--resume-retries", "--log-file", "--local-log"),
    }
)


def _refuse_a_mistyped_top_level_option(first: str) -> None:
    """``safe-pip --versin``: pip would print only its own usage; say what was meant."""
    name = first.partition("=")[0]
    if not name.startswith("--") or name in _PIP_GENERAL_OPTIONS:
        return
    import difflib

    close = difflib.get_close_matches(name, ["--version", "--help"], n=1, cutoff=0.75)
    if close:
        raise UsageError(
            f"no such option: {name} (did you mean {close[0]}? `safe-pip --help` lists "
            "safe-pip's commands)"
        )


def _pip_command_position(args: Sequence[str]) -> int | None:
    """Where pip's command word is, after any general options (None: there is none).

    pip takes general options before its command (``pip --python X install``, ``pip -q
    install``); such an install must be guarded like ``safe-pip install``, not passed to pip.
    """
    from safe_pip.commands.own_options import OWN_VALUE_OPTIONS
    from safe_pip.installers.pip.options import needs_separate_value

    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--":
            return None
        if not arg.startswith("-") or arg == "-":
            return position
        takes_value = arg in OWN_VALUE_OPTIONS or needs_separate_value(arg)
        position += 2 if takes_value else 1
    return None


def _build_parser(command: str) -> argparse.ArgumentParser:
    """The parser for ``command``: only its module is imported (building every command's
    parser imported them all, httpx included: `db status` took 0.2-0.4 s)."""
    import argparse  # only for safe-pip's own commands: `safe-pip install` starts faster
    import importlib

    class SubcommandUsageParser(argparse.ArgumentParser):
        """An unknown option is reported by the (sub)command it was given to, with that
        command's usage (plain argparse reports it at the top level, whose usage does not
        help)."""

        def parse_known_args(  # type: ignore[override]
            self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
        ) -> tuple[argparse.Namespace, list[str]]:
            parsed, extras = super().parse_known_args(args, namespace)
            if extras and self._subparsers is None:
                self.error(f"unrecognized arguments: {' '.join(extras)}")
            return parsed, extras

    parser = SubcommandUsageParser(prog="safe-pip", allow_abbrev=False)
    subparsers = parser.add_subparsers(dest="command", required=True)
    module = _COMMAND_MODULES[command]
    importlib.import_module(f"safe_pip.commands.{module}").register(subparsers)
    return parser


# The module that registers each of safe-pip's own argparse commands.
_COMMAND_MODULES = {
    **{"check": "check", "db": "db", "hook": "hook", "alias": "hook"},
    **{"setup": "setup", "log": "log", "trust": "trust", "uv": "uv"},
}


def _pass_through_to_pip(args: list[str], unknown_command: str | None) -> int:
    """``safe-pip list``, ``show``, ``uninstall``, ``freeze``... are plain pip.

    ``unknown_command``: a word that is not one of pip's known commands -- a typo (``instal``)
    becomes a usage error (exit 2) after pip's own "maybe you meant" line."""
    from safe_pip.commands.own_options import take_python_option
    from safe_pip.installers.process import run_installer
    from safe_pip.installers.target_python import resolve_target_python

    explicit_python, pip_args = take_python_option(args)
    python = resolve_target_python(explicit_python)
    command = [python, "-m", "pip", *pip_args]
    if unknown_command is None:
        try:
            return subprocess.call(command)
        except OSError as exc:
            raise SafePipError(f"could not run pip with {python}: {exc.strerror}") from exc
    outcome = run_installer(command, os.environ)
    if outcome.returncode != 0 and "unknown command" in outcome.stderr:
        raise UsageError(
            f"unknown command {unknown_command!r}; `safe-pip --help` lists safe-pip's commands"
        )
    return outcome.returncode
