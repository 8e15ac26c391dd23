"""``safe-pip uv sync`` and ``safe-pip uv add``: check uv.lock before uv installs from it.

* ``uv sync ARGS``: ``uv lock`` (with the ARGS that shape locking), check uv.lock, then
  ``uv sync --frozen ARGS``, which installs exactly the checked lock (uv verifies its hashes).
* ``uv add ARGS``: ``uv add --no-sync ARGS`` (updates pyproject.toml and uv.lock), check
  uv.lock; when blocked, pyproject.toml and uv.lock are put back as they were; else
  ``uv sync --frozen``.

The whole lock is checked (every platform, extra and group), which can be more than one
``uv sync`` installs. Index pages are read with uv's TLS settings
(``uv_args.uv_index_settings``). ``--dry-run``, ``--check`` and ``--script`` runs go to uv
unchanged.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from safe_pip import exit_codes
from safe_pip.commands.own_options import OwnOptions
from safe_pip.console import say
from safe_pip.errors import SafePipError, UsageError
from safe_pip.installers.base import SYNC_LOCK, exit_code, installer_stdout, report
from safe_pip.installers.uv.args import uv_index_settings
from safe_pip.installers.uv.install import run_uv_install
from safe_pip.installers.uv.project_builds import ProjectBuildGuard
from safe_pip.paths import nearest_file

if TYPE_CHECKING:
    from safe_pip.index.settings import IndexSettings
    from safe_pip.pipeline.policy import Policy

_RESOLUTION_VALUES = {
    "--index", "--default-index", "-i", "--index-url", "--extra-index-url", "-f",
    "--find-links", "--index-strategy", "--keyring-provider", "-P", "--upgrade-package",
    "--upgrade-group", "--resolution", "--prerelease", "--prerelease-package",
    "--fork-strategy", "--exclude-newer", "--exclude-newer-package", "--no-sources-package",
    "-C", "--config-setting", "--config-settings-package", "--no-build-isolation-package",
    "--no-build-package", "--no-binary-package", "--link-mode", "--refresh-package",
    "--cache-dir", "-p", "--python", "--color", "--allow-insecure-host", "--directory",
    "--project", "--config-file", "--trusted-host",
}  # fmt: skip
_RESOLUTION_FLAGS = {
    "--no-index", "-U", "--upgrade", "--no-sources", "--no-build-isolation", "--no-build",
    "--no-binary", "--require-build-hashes", "--no-require-build-hashes", "-n", "--no-cache",
    "--refresh", "--managed-python", "--no-managed-python", "--no-python-downloads", "-q",
    "--quiet", "-v", "--verbose", "--system-certs", "--native-tls", "--offline", "--no-progress",
    "--no-config", "--locked",
}  # fmt: skip
_SYNC_VALUES = _RESOLUTION_VALUES - {"-P", "--upgrade-package", "--upgrade-group"} | {
    "--extra", "--no-extra", "--group", "--no-group", "--only-group", "--package",
    "--no-install-package", "--no-editable-package", "--reinstall-package", "--output-format",
    "--python-platform",
}  # fmt: skip
_SYNC_FLAGS = _RESOLUTION_FLAGS - {"-U", "--upgrade", "--locked"} | {
    "--all-extras", "--no-dev", "--only-dev", "--no-default-groups", "--all-groups",
    "--no-editable", "--inexact", "--active", "--no-install-project", "--no-install-workspace",
    "--no-install-local", "--all-packages", "--reinstall", "--compile-bytecode",
}  # fmt: skip
# Options of a project command that a wheels-only ``uv pip compile`` of build requirements
# needs too (interpreter, indexes, network, cache).
_GATE_VALUES = {
    "--index", "--default-index", "-i", "--index-url", "--extra-index-url", "-f",
    "--find-links", "--index-strategy", "--keyring-provider", "--cache-dir", "-p", "--python",
    "--allow-insecure-host", "--trusted-host", "--exclude-newer",
}  # fmt: skip
_GATE_FLAGS = {"--no-index", "-n", "--no-cache", "--system-certs", "--native-tls", "--offline"}
_PASS_THROUGH = ("--dry-run", "--check", "--script", "--frozen", "-h", "--help")


def wants_pass_through(args: Sequence[str]) -> bool:
    return any(arg.partition("=")[0] in _PASS_THROUGH for arg in args)


def sync_project(
    uv: str, global_args: list[str], args: list[str], own: OwnOptions, env: Mapping[str, str]
) -> int:
    base = [uv, *global_args]
    policy = own.policy()
    with _build_guard(uv, global_args, args, own, policy, env) as guard:
        if not guard.lock([*base, "lock", *_options(args, _RESOLUTION_VALUES, _RESOLUTION_FLAGS)]):
            return exit_codes.BLOCKED
        settings = uv_index_settings(global_args + args, env)
        blocked = _check_lock(_lock_path(global_args + args), own, policy, settings)
        if blocked:
            return exit_codes.BLOCKED
        sync = [*base, "sync", "--frozen", *_sync_options(args), *guard.build_args()]
    return _sync_frozen(sync, env, own)


def add_to_project(
    uv: str, global_args: list[str], args: list[str], own: OwnOptions, env: Mapping[str, str]
) -> int:
    start = _start_dir(global_args + args)
    project_files = (nearest_file(start, "pyproject.toml"), nearest_file(start, "uv.lock"))
    saved = {p: p.read_bytes() for p in project_files if p is not None}
    no_sync = "--no-sync" in args
    policy = own.policy()
    with _build_guard(uv, global_args, args, own, policy, env) as guard:
        try:
            added = guard.lock(
                [uv, *global_args, "add", *([] if no_sync else ["--no-sync"]), *args]
            )
        except SafePipError:
            _restore(saved, nearest_file(start, "uv.lock"))
            raise
        settings = uv_index_settings(global_args + args, env)
        if not added or _check_lock(_lock_path(global_args + args), own, policy, settings):
            _restore(saved, nearest_file(start, "uv.lock"))
            say("pyproject.toml and uv.lock were left as they were.")
            return exit_codes.BLOCKED
        if no_sync:
            return exit_codes.OK
        sync = [uv, *global_args, "sync", "--frozen", *_sync_options(args), *guard.build_args()]
    return _sync_frozen(sync, env, own)


def _sync_frozen(command: list[str], env: Mapping[str, str], own: OwnOptions) -> int:
    """``uv sync --frozen``: install exactly the checked uv.lock (uv verifies its hashes);
    the shared exit code rule (4 when uv fails now, after the checks)."""
    outcome = run_uv_install(command, env, installer_stdout(own.report_options()))
    return exit_code(outcome, "uv", SYNC_LOCK)


def _build_guard(
    uv: str,
    global_args: list[str],
    args: list[str],
    own: OwnOptions,
    policy: Policy,
    env: Mapping[str, str],
) -> ProjectBuildGuard:
    from safe_pip.installers.uv.config_files import refuse_build_enabling_config

    pyproject = nearest_file(_start_dir(global_args + args), "pyproject.toml")
    refuse_build_enabling_config(global_args + args, env, checked_pins=pyproject)
    return ProjectBuildGuard(
        uv=uv,
        global_args=global_args,
        resolve_args=_options(args, _GATE_VALUES, _GATE_FLAGS),
        pyproject=pyproject,
        policy=policy,
        report_options=own.report_options(),
        env=env,
        settings=uv_index_settings(global_args + args, env),
    )


def _check_lock(lock: Path, own: OwnOptions, policy: Policy, settings: IndexSettings) -> bool:
    """Check every file uv.lock lists, reading its indexes with uv's network ``settings``."""
    from safe_pip.producers.lockfiles.check import check_lock_files

    result = check_lock_files([lock], policy, index_settings=settings)
    return report(result, own.report_options()) != exit_codes.OK


def _sync_options(args: Sequence[str]) -> list[str]:
    return _options(args, _SYNC_VALUES, _SYNC_FLAGS)


def _options(args: Sequence[str], values: Collection[str], flags: Collection[str]) -> list[str]:
    """The options (with their values) of ``args`` that are in ``values`` or ``flags``."""
    kept: list[str] = []
    position = 0
    while position < len(args):
        token = args[position]
        name = token.partition("=")[0]
        takes_next = name in values and "=" not in token
        if name in values or name in flags:
            kept.extend(args[position : position + (2 if takes_next else 1)])
        position += 2 if takes_next else 1
    return kept


def _start_dir(args: Sequence[str]) -> Path:
    for option in ("--project", "--directory"):
        for position, token in enumerate(args):
            if token == option and position + 1 < len(args):
                return Path(args[position + 1]).resolve()
            if token.startswith(option + "="):
                return Path(token.partition("=")[2]).resolve()
    return Path.cwd()


def _lock_path(args: Sequence[str]) -> Path:
    lock = nearest_file(_start_dir(args), "uv.lock")
    if lock is None:
        raise UsageError("uv did not write a uv.lock to check (is this a uv project?)")
    return lock


def _restore(saved: Mapping[Path, bytes], lock_now: Path | None) -> None:
    for path, content in saved.items():
        path.write_bytes(content)
    if lock_now is not None and lock_now not in saved:
        lock_now.unlink()
