"""``safe-pip uv ARGS`` and ``safe-uv ARGS``: uv with safe-pip's checks.

``uv pip install`` and ``uv pip sync`` are guarded: uv's exact plan is checked first and then
exactly the vetted files are installed. ``uv sync`` and ``uv add`` check uv.lock before uv
installs from it, and ``uv lock`` keeps no lock that fails the checks (``uv_project``). Every
other uv command runs unchanged. safe-pip's own options (``--format``, ``--warn-only``,
``--ignore-vuln``, ``--allow``, ``--fail-mode``, ``--uv PATH``) may appear anywhere;
``--python`` keeps its uv meaning (the target).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from safe_pip import exit_codes
from safe_pip.commands.help_text import UV_HELP_OPTION, uv_help
from safe_pip.commands.own_options import (
    OWN_VALUE_OPTIONS,
    OwnOptions,
    quiet_level,
    split_own_options,
    take_option,
)
from safe_pip.installers.uv.args import (
    GLOBAL_VALUE_OPTIONS,
    UvInstallArgs,
    parse_uv_install_args,
)
from safe_pip.installers.uv.runs import call_uv, find_uv, uv_child_env
from safe_pip.pipeline import decision_log

_GUARDED = (("pip", "install"), ("pip", "sync"))
_PROJECT_COMMANDS = (("sync",), ("lock",), ("add",))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``uv`` (all following arguments are uv's) to an ``add_subparsers()`` object."""
    parser = subparsers.add_parser(
        "uv",
        help="run uv; `uv pip install` and `uv pip sync` are checked first",
        add_help=False,
        prefix_chars="\0",  # every argument, even -h or --version, belongs to uv
    )
    parser.add_argument("uv_args", nargs=argparse.REMAINDER)
    parser.set_defaults(func=run_from_namespace)


def run_from_namespace(args: argparse.Namespace) -> int:
    return main(list(args.uv_args))


def main(argv: Sequence[str]) -> int:
    """The ``safe-uv`` entry point: ``argv`` are uv's arguments (plus safe-pip's own)."""
    words = _command_words(argv)
    if UV_HELP_OPTION in argv:  # uv's own help, for uv or one of its commands
        argv = ["--help" if arg == UV_HELP_OPTION else arg for arg in argv]
    elif _wants_own_help(words, argv):
        sys.stdout.write(uv_help())
        return exit_codes.OK
    if words in _PROJECT_COMMANDS and not _wants_pass_through(words[0], argv):
        return _project_command(words[0], argv)
    if words not in _GUARDED:
        _warn_unchecked_installs(words, argv)
        # Not SAFE_PIP_ACTIVE: `uv run pip install ...` / `uv run bash` must stay guarded.
        uv_path, uv_args = take_option(argv, "--uv")  # only --uv is ours here
        return call_uv([find_uv(uv_path), *uv_args], dict(os.environ))
    own, rest = split_own_options(argv)
    global_args, command_args = _split_at_command(rest)
    request = parse_uv_install_args(command_args)
    if own.python:
        request = replace(request, python=own.python)
    decision_log.note_target(request.python or os.environ.get("VIRTUAL_ENV") or "uv's default")
    uv = find_uv(own.uv)
    env = uv_child_env()
    if request.help_requested or request.check_only:
        python_args = ["--python", own.python] if own.python else []
        return call_uv([uv, *global_args, *words, *command_args, *python_args], env)
    _refuse_build_enabling_config(argv)
    if words[1] == "sync":
        request = replace(
            request,
            requirements=(),
            requirement_files=request.requirements + request.requirement_files,
        )
        if any(_is_pylock(f) for f in request.requirement_files):
            return _sync_lock_files(uv, global_args, request, own, env)
    return _install(uv, global_args, words[1], request, own, env)


# uv commands that may install packages and that safe-uv runs unchanged: said, never silent.
_UNCHECKED_INSTALLS = {
    ("run",): "run `safe-uv sync` first, then `uv run` finds nothing new to install",
    ("tool", "install"): "install the tool into a venv with `safe-uv pip install` instead",
    ("tool", "run"): "install the tool into a venv with `safe-uv pip install` instead",
    ("tool", "upgrade"): "install the tool into a venv with `safe-uv pip install` instead",
    ("sync",): "its inline dependencies go to `safe-uv pip install` instead",  # --script
}


def _warn_unchecked_installs(words: tuple[str, ...], argv: Sequence[str]) -> None:
    if words == ("tool",):
        words = tuple(list(argv)[_command_position(argv) :][:2])
    advice = _UNCHECKED_INSTALLS.get(words)
    if advice is None or (words == ("sync",) and not any(a.startswith("--script") for a in argv)):
        return
    from safe_pip.console import warn

    warn(f"`uv {' '.join(words)}` may install packages that safe-uv does not check: {advice}")


def _wants_pass_through(command: str, argv: Sequence[str]) -> bool:
    from safe_pip.commands.uv_project import wants_pass_through

    return wants_pass_through(command, argv)


def _refuse_build_enabling_config(argv: Sequence[str]) -> None:
    """Before a guarded ``uv pip`` run: no uv config file may let uv build unchecked (exit 2);
    ``uv sync`` / ``uv add`` do the same in ``uv_project``."""
    from safe_pip.installers.uv.config_files import refuse_build_enabling_config

    refuse_build_enabling_config(argv, uv_child_env())


def _wants_own_help(words: tuple[str, ...], argv: Sequence[str]) -> bool:
    """``safe-uv --help`` and ``--help`` on a guarded command show safe-pip's options."""
    guarded = words == () or words in _GUARDED or words in _PROJECT_COMMANDS
    return guarded and any(arg in ("-h", "--help") for arg in argv)


def _project_command(command: str, argv: Sequence[str]) -> int:
    """``uv sync`` / ``uv lock`` / ``uv add``: check uv.lock before uv installs from it."""
    from safe_pip.commands.uv_project import add_to_project, lock_project, sync_project

    own, rest = split_own_options(argv)
    position = _command_position(rest)
    global_args, args = rest[:position], rest[position + 1 :]
    if own.python:
        args += ["--python", own.python]
    run = {"sync": sync_project, "lock": lock_project, "add": add_to_project}[command]
    return run(find_uv(own.uv), global_args, args, own, uv_child_env())


def _install(
    uv: str,
    global_args: list[str],
    command: str,
    request: UvInstallArgs,
    own: OwnOptions,
    env: Mapping[str, str],
) -> int:
    from safe_pip.installers.base import guarded_install
    from safe_pip.installers.uv.backend import UvInstaller

    # uv's -q, wherever uv's parser put it (one option may reach several steps)
    steps = (request.plan_args, request.install_args, request.shared_args)
    quiet = quiet_level(global_args) + max(quiet_level(list(step)) for step in steps)
    options = own.report_options()._replace(quiet=quiet)
    # uv plans while safe-pip loads its policy and imports its checks.
    installer = UvInstaller.start(uv, global_args, command, request, env, report_options=options)
    return guarded_install(installer, load_policy=own.policy, report_options=options)


def _sync_lock_files(
    uv: str, global_args: list[str], request: UvInstallArgs, own: OwnOptions, env: Mapping[str, str]
) -> int:
    """``uv pip sync pylock.toml``: check every file the lock lists, then let uv sync it
    (uv verifies each file against the lock's hashes, which were just checked)."""
    from safe_pip.installers.base import SYNC_LOCK, exit_code, installer_stdout, report
    from safe_pip.installers.uv.args import uv_index_settings
    from safe_pip.installers.uv.build_gate import BuildBlocked, BuildGate
    from safe_pip.installers.uv.builds import permits_for
    from safe_pip.installers.uv.install import run_building_only_checked
    from safe_pip.installers.uv.plan import uv_index_urls
    from safe_pip.pipeline.check_plan import check_plan, one_item_per_version
    from safe_pip.producers.lockfiles import read_lock_file
    from safe_pip.producers.lockfiles.plan import to_plan

    policy = own.policy()
    options = own.report_options()
    locks = [read_lock_file(Path(f)) for f in request.requirement_files]
    items = to_plan(package for lock in locks for package in lock.packages)
    index_urls = [url for lock in locks for url in lock.index_urls]
    if any(item.index_url is None for item in items):
        index_urls += uv_index_urls(uv, global_args, request, env)
    index_urls = list(dict.fromkeys(index_urls))
    settings = uv_index_settings([*global_args, *request.shared_args], env)
    if items:
        result = check_plan(items, policy, index_urls, record_seen=True, index_settings=settings)
        if report(one_item_per_version(result), options) != exit_codes.OK:
            return exit_codes.BLOCKED
    with tempfile.TemporaryDirectory(prefix="safe-pip-uv-") as tmp:
        gate = BuildGate(
            uv_pip=[uv, *global_args, "pip"],
            resolve_args=[*request.target_args, *request.shared_args],
            work=Path(tmp),
            policy=policy,
            settings=settings,
            env=env,
            permits=permits_for(request.plan_args, env),
        )
        # The lock's sources were just checked: uv may build them, with checked build pins.
        gate.permits.allow_builds_of(i.name for i in items if not _is_wheel(i.filename))
        command = [uv, *global_args, "pip", "sync", *request.requirement_files]
        options_after = [*request.target_args, *request.install_args]
        try:
            outcome = run_building_only_checked(
                command, options_after, gate, index_urls, env, installer_stdout(options)
            )
        except BuildBlocked as blocked:
            return report(blocked.result, options)
    return exit_code(outcome, "uv", SYNC_LOCK)


def _is_wheel(filename: str | None) -> bool:
    return (filename or "").endswith(".whl")


def _command_words(args: Sequence[str]) -> tuple[str, ...]:
    """``("pip", "install")`` for ``[--offline] pip install ...``; uv's subcommand words."""
    rest = list(args)[_command_position(args) :]
    if rest[:1] == ["pip"] and len(rest) > 1 and not rest[1].startswith("-"):
        return tuple(rest[:2])
    return tuple(rest[:1])


def _split_at_command(args: list[str]) -> tuple[list[str], list[str]]:
    """(global options before ``pip install``/``pip sync``, the arguments after those words)."""
    position = _command_position(args)
    return args[:position], args[position + 2 :]


def _command_position(args: Sequence[str]) -> int:
    """Where the subcommand starts, after uv's global options."""
    position = 0
    while position < len(args) and args[position].startswith("-"):
        option = args[position]
        takes_value = option in GLOBAL_VALUE_OPTIONS or option in OWN_VALUE_OPTIONS
        position += 2 if takes_value else 1
    return position


def _is_pylock(path: str) -> bool:
    from safe_pip.producers.lockfiles.detect import kind_from_name
    from safe_pip.producers.lockfiles.model import LockKind

    return kind_from_name(Path(path)) is LockKind.PYLOCK
