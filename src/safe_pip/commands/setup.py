"""``safe-pip setup``: guard a workstation or a CI job in one step, and ``--undo`` it.

* ``setup``: the pip hook (same target as ``hook install``), the shell functions in the
  startup file of ``$SHELL``, the advisory database;
* ``setup --ci DIR``: the hook, ``pip``/``pip3``/``uv`` shims in DIR (for PATH) instead of
  shell functions, the advisory database;
* ``setup --undo [--ci DIR]``: removes the hook, the shell functions from every shell's
  startup file and the shims in DIR; the advisory database (a cache) stays.

Exit codes: 3 when the advisory database could not be updated (everything else it did is
still reported); a ``$SHELL`` it does not know only skips the shell functions, with a warning;
otherwise 0, or a ``SafePipError``'s code. One line per change on stdout.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from safe_pip import exit_codes, paths
from safe_pip.commands.hook import (
    add_target_options,
    alias_line,
    remove_aliases_line,
    target_from_args,
    user_site_gaps,
)
from safe_pip.commands.setup_index import INDEX_UNDO_HINT, add_index_option, run_index_setup
from safe_pip.console import warn
from safe_pip.errors import SafePipError, UsageError
from safe_pip.hook import ci_shims
from safe_pip.hook.shell_aliases import (
    ALIAS_HINT,
    BEGIN_MARKER,
    SHELLS,
    alias_block,
    rc_file,
    shell_from_env,
    write_block,
)
from safe_pip.hook.site_files import default_checker_command, install_hook, uninstall_hook
from safe_pip.paths import self_install


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``setup`` to an ``add_subparsers()`` object."""
    setup = subparsers.add_parser(
        "setup",
        help="guard this machine in one step: hook, shell functions (or CI shims), database",
        description=(
            "Hook the active virtual environment (else the user site of the python3 on PATH), "
            "add the shell functions to your startup file (with --ci: write pip, pip3 and uv "
            "shims into DIR instead) and build the advisory database. --undo removes the "
            "hook, the shell functions and (with --ci DIR) the shims again."
        ),
    )
    add_target_options(setup)
    how = setup.add_mutually_exclusive_group()
    how.add_argument("--shell", choices=SHELLS, help="default: from $SHELL")
    how.add_argument(
        "--ci",
        metavar="DIR",
        help="CI mode: write pip, pip3 and uv shims into DIR (put DIR first on PATH) "
        "instead of shell functions",
    )
    setup.add_argument(
        "--source",
        metavar="URL_OR_PATH",
        help="where to read advisories from, as `safe-pip db update --source` (offline: a "
        "local OSV zip, folder or JSON file)",
    )
    setup.add_argument(
        "--no-db-update", action="store_true", help="do not build the advisory database"
    )
    setup.add_argument(
        "--undo",
        action="store_true",
        help="remove the hook, the shell functions (every shell) and, with --ci DIR, the shims",
    )
    add_index_option(setup)
    setup.set_defaults(func=run_setup)


def run_setup(args: argparse.Namespace) -> int:
    if args.undo:
        if args.source or args.no_db_update:
            raise UsageError("setup --undo takes no --source or --no-db-update")
        if args.index:
            raise UsageError(INDEX_UNDO_HINT)
        return _undo(args)
    target = target_from_args(args)
    shim_lines = [] if args.ci is None else _write_ci_shims(_directory(args.ci), target.python)
    already_installed = install_hook(target)
    print(f"hook: {'updated' if already_installed else 'installed'} {target.pth_file}")
    gaps = user_site_gaps(target)
    if gaps is not None:
        warn(gaps)
    if args.ci is None:
        _setup_aliases(args.shell or shell_from_env())
    for line in shim_lines:
        print(line)
    if args.no_db_update:
        print("advisory database: not updated (--no-db-update).")
        code = exit_codes.OK
    else:
        code = _update_database(args.source)
    if args.index:
        run_index_setup(args.index, target.python)
    print(f"undo: {undo_command(args, target.python)}")
    return code


def undo_command(args: argparse.Namespace, python: str) -> str:
    """The ``setup --undo`` line that takes back this very setup (``python``: the resolved,
    absolute interpreter it guarded, named whenever ``--python`` was given)."""
    words = ["safe-pip", "setup", "--undo"]
    if args.python:
        words += ["--python", python]
    words += [flag for flag in ("--user", "--system") if getattr(args, flag[2:], False)]
    if args.ci is not None:
        words += ["--ci", str(_directory(args.ci))]
    return shlex.join(words)


def _directory(value: str) -> Path:
    if not value:
        raise UsageError("--ci needs a directory")
    return Path(os.path.abspath(Path(value).expanduser()))  # absolute, no a/../b


def _write_ci_shims(directory: Path, python: str) -> list[str]:
    """Write the shims (before anything else changes: a foreign file there stops setup);
    return the lines that say so."""
    safe_pip = default_checker_command()
    shims = ci_shims.write_pip_shims(directory, safe_pip, python)
    uv = ci_shims.real_uv(directory)
    if uv is None:
        warn("no uv on PATH outside the shim directory; uv shim skipped")
    else:
        shims.append(ci_shims.write_uv_shim(directory, safe_pip, uv))
    names = ", ".join(shim.name for shim in shims)
    return [
        f"ci shims: {names} in {directory} (pip of {python}{f', uv {uv}' if uv else ''}).",
        f'ci shims: put them first on PATH: export PATH={shlex.quote(str(directory))}:"$PATH"',
    ]


def _setup_aliases(shell: str | None) -> None:
    if shell is None:
        login_shell = os.environ.get("SHELL", "")
        warn(
            f"aliases skipped: cannot tell your shell from SHELL={login_shell!r}; "
            f"add them with `{ALIAS_HINT} --write`"
        )
        return
    path = rc_file(shell)
    print(alias_line(write_block(path, alias_block(shell)), path, shell))


def _update_database(source: str | None) -> int:
    from safe_pip.advisories.update import update_database

    try:
        status = update_database(source)
    except SafePipError as exc:
        print(f"advisory database: NOT updated: {exc}", file=sys.stderr)
        return exit_codes.CANNOT_CHECK
    print(f"advisory database: {status.record_count} records from {status.source}.")
    return exit_codes.OK


def _undo(args: argparse.Namespace) -> int:
    """Take back what ``setup`` did; what is not there is said, not an error."""
    target = target_from_args(args)
    if uninstall_hook(target):
        print(f"hook: removed from {target.site_dir}.")
    else:
        print(f"hook: none in {target.site_dir}.")
    shells = [args.shell] if args.shell else SHELLS
    startup_files = {shell: rc_file(shell) for shell in shells}
    with_block = {shell: path for shell, path in startup_files.items() if _has_block(path)}
    for shell, path in with_block.items():
        print(remove_aliases_line(path, shell))
    if not with_block:
        print(f"aliases: none in {', '.join(str(p) for p in startup_files.values())}.")
    if args.ci is not None:
        directory = _directory(args.ci)
        removed = ci_shims.remove_shims(directory)
        names = ", ".join(path.name for path in removed) or "no shims"
        print(f"ci shims: removed {names} from {directory}.")
    print(
        f"kept: the advisory database in {paths.cache_dir()} (delete it to free the space); "
        f"safe-pip itself (to remove it): {self_install().uninstall_command()}"
    )
    return exit_codes.OK


def _has_block(path: Path) -> bool:
    try:
        return BEGIN_MARKER in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
