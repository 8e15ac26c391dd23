"""``safe-pip uv sync``, ``lock`` and ``add``: check uv.lock before uv installs from it.

* ``uv sync ARGS``: ``uv lock`` (with the ARGS that shape locking), check uv.lock, then
  ``uv sync --frozen ARGS``, which installs exactly the checked lock (uv verifies its hashes).
* ``uv lock ARGS``: ``uv lock ARGS``, check uv.lock.
* ``uv add ARGS``: ``uv add --no-sync ARGS`` (updates pyproject.toml and uv.lock), check
  uv.lock; else ``uv sync --frozen``.
* ``uv sync --frozen ARGS`` (uv.lock as it is, no locking run): check uv.lock as above,
  then ``uv sync --frozen ARGS`` with the build options the guard gives when it vetted no
  build (``--no-build``: uv builds only the project itself); a package uv.lock has only as
  source is refused (exit 3: its build requirements were never vetted; ``safe-uv sync``
  without --frozen vets them). uv.lock is never written.
* Before ``uv sync --frozen`` runs, the wheels it will install are opened
  (``installers.uv.inspect_project``); what they carry can block (exit 1) as in
  ``safe-uv pip install``.

When blocked (or when uv fails), the files uv changed -- uv.lock, and pyproject.toml for
``add`` -- are put back byte for byte (a uv.lock that did not exist is removed again), so no
unchecked lock is left for a plain ``uv run`` to install; the hint names the command that
moves the lock past the blocked packages (``uv lock -P NAME``).

The whole lock is checked (every platform, extra and group), which can be more than one
``uv sync`` installs. Index pages are read with uv's TLS settings
(``uv_args.uv_index_settings``). ``--dry-run``, ``--check``, ``-h`` and ``--script`` runs
go to uv unchanged -- ``uv sync --script S`` does install S's inline dependencies into the
script's environment, unchecked (no uv.lock); so do ``uv lock --frozen`` / ``uv add --frozen``,
which neither lock nor sync.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from safe_pip import exit_codes
from safe_pip.commands.own_options import OwnOptions
from safe_pip.console import say
from safe_pip.errors import UsageError
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
# Runs that install nothing, or (``--script``) that install no uv.lock: uv's own.
_PASS_THROUGH = ("--dry-run", "--check", "--script", "-h", "--help")


def wants_pass_through(command: str, args: Sequence[str]) -> bool:
    """True when ``safe-uv COMMAND ARGS`` goes to uv unchanged. ``uv lock`` / ``uv add``
    with ``--frozen`` neither lock nor sync; ``uv sync --frozen`` installs uv.lock and is
    checked (``sync_project``)."""
    passing = _PASS_THROUGH if command == "sync" else (*_PASS_THROUGH, "--frozen")
    return any(arg.partition("=")[0] in passing for arg in args)


def sync_project(
    uv: str, global_args: list[str], args: list[str], own: OwnOptions, env: Mapping[str, str]
) -> int:
    """``uv sync``: lock, check, then install exactly the checked lock."""
    if "--frozen" in global_args + args:
        return _sync_as_locked(uv, global_args, args, own, env)
    locking = [uv, *global_args, "lock", *_options(args, _RESOLUTION_VALUES, _RESOLUTION_FLAGS)]
    sync = [uv, *global_args, "sync", "--frozen", *_sync_options(args)]
    code, build_args = _lock_checked(
        locking, uv, global_args, args, own, env, ("uv.lock",), inspect=sync
    )
    if code != exit_codes.OK:
        return code
    sync += build_args
    return _sync_frozen(sync, env, own)


def _sync_as_locked(
    uv: str, global_args: list[str], args: list[str], own: OwnOptions, env: Mapping[str, str]
) -> int:
    """``uv sync --frozen``: no locking run, uv.lock is installed as it is -- so it is checked
    as it is (as ``_lock_checked`` checks a new lock), its wheels opened, and uv builds only
    what the guard would allow with nothing vetted (the project itself). uv.lock is never
    written."""
    from safe_pip.installers.uv.project_builds import refuse_unvetted_builds

    lock = nearest_file(_start_dir(global_args + args), "uv.lock")
    if lock is None:
        raise UsageError("uv sync --frozen: no uv.lock to check (run `safe-uv sync` to lock)")
    policy = own.policy()
    settings = uv_index_settings(global_args + args, env)
    with _build_guard(uv, global_args, args, own, policy, env) as guard:
        if not guard.pins_pass():
            return exit_codes.BLOCKED
        sync = [uv, *global_args, "sync", "--frozen", *_sync_options(args), *guard.build_args()]
    blocked = _check_lock(lock, own, policy, settings)
    if blocked is None:
        refuse_unvetted_builds(sync, env)
        if not _contents_blocked(sync, lock, own, policy, settings, env):
            return _sync_frozen(sync, env, own)
    elif blocked:
        _hint_other_versions(blocked)
    return exit_codes.BLOCKED


def lock_project(
    uv: str, global_args: list[str], args: list[str], own: OwnOptions, env: Mapping[str, str]
) -> int:
    """``uv lock``: lock and check; a blocked lock is not kept."""
    locking = [uv, *global_args, "lock", *args]
    return _lock_checked(locking, uv, global_args, args, own, env, ("uv.lock",))[0]


def add_to_project(
    uv: str, global_args: list[str], args: list[str], own: OwnOptions, env: Mapping[str, str]
) -> int:
    no_sync = "--no-sync" in args
    adding = [uv, *global_args, "add", *([] if no_sync else ["--no-sync"]), *args]
    files = ("pyproject.toml", "uv.lock")
    sync = [uv, *global_args, "sync", "--frozen", *_sync_options(args)]
    inspect = None if no_sync else sync
    code, build_args = _lock_checked(
        adding, uv, global_args, args, own, env, files, inspect=inspect
    )
    if code != exit_codes.OK or no_sync:
        return code
    sync += build_args
    return _sync_frozen(sync, env, own)


def _lock_checked(
    command: list[str],
    uv: str,
    global_args: list[str],
    args: list[str],
    own: OwnOptions,
    env: Mapping[str, str],
    kept_files: Sequence[str],
    *,
    inspect: Sequence[str] | None = None,
) -> tuple[int, list[str]]:
    """Run the locking ``command`` through the build guard and check uv.lock (and, given the
    ``inspect`` sync command, open the wheels it will install): (exit 0, the build options
    ``uv sync --frozen`` needs for it), else ``kept_files`` are put back as they were (exit 1
    blocked, or the error raised)."""
    start = _start_dir(global_args + args)
    saved = _SavedFiles(start, kept_files)
    policy = own.policy()
    try:
        with _build_guard(uv, global_args, args, own, policy, env) as guard:
            blocked: list[str] | None = None
            if guard.lock(command):
                settings = uv_index_settings(global_args + args, env)
                lock = _lock_path(global_args + args)
                blocked = _check_lock(lock, own, policy, settings)
                if (
                    blocked is None
                    and inspect is not None
                    and _contents_blocked(
                        [*inspect, *guard.build_args()], lock, own, policy, settings, env
                    )
                ):
                    blocked = []  # reported; no other version to lock is known
                if blocked is None:
                    return exit_codes.OK, guard.build_args()
    except BaseException:
        saved.restore()
        raise
    saved.restore()
    say(f"{' and '.join(kept_files)} {'were' if len(kept_files) > 1 else 'was'} left as before.")
    if blocked:
        _hint_other_versions(blocked)
    return exit_codes.BLOCKED, []


def _hint_other_versions(blocked: Sequence[str]) -> None:
    names = " ".join(f"-P {name}" for name in blocked)
    say(
        f"hint: to lock other versions of {', '.join(blocked)}: raise or remove what "
        f"pins them in pyproject.toml, then `safe-uv lock {names}` (uv's --upgrade-package)"
    )


class _SavedFiles:
    """The bytes of the project files a locking run may change, to put them back."""

    def __init__(self, start: Path, names: Sequence[str]) -> None:
        self._start = start
        self._saved: dict[Path, bytes] = {}
        for name in names:
            path = nearest_file(start, name)
            if path is not None:
                self._saved[path] = path.read_bytes()

    def restore(self) -> None:
        for path, content in self._saved.items():
            if not path.exists() or path.read_bytes() != content:
                path.write_bytes(content)
        lock_now = nearest_file(self._start, "uv.lock")
        if lock_now is not None and lock_now not in self._saved:
            lock_now.unlink()


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


def _contents_blocked(
    sync: list[str],
    lock: Path,
    own: OwnOptions,
    policy: Policy,
    settings: IndexSettings,
    env: Mapping[str, str],
) -> bool:
    """Open the wheels ``sync`` (``uv sync --frozen``) would install, before it runs
    (``inspect_project``); True (reported) when what they carry blocks."""
    import tempfile

    from safe_pip.installers.inspection import show_inspection
    from safe_pip.installers.uv.inspect_project import inspect_sync

    with tempfile.TemporaryDirectory(prefix="safe-pip-uv-inspect-") as work:
        result = inspect_sync(sync, lock, policy, settings, env, Path(work))
    show_inspection(result, own.report_options())
    return result.verdict.blocked


def _check_lock(
    lock: Path, own: OwnOptions, policy: Policy, settings: IndexSettings
) -> list[str] | None:
    """Check every file uv.lock lists, reading its indexes with uv's network ``settings``;
    None when it passes, else the names of the blocked packages (reported)."""
    from safe_pip.models import Action
    from safe_pip.producers.lockfiles.check import check_lock_files

    result = check_lock_files([lock], policy, index_settings=settings)
    if report(result, own.report_options()) == exit_codes.OK:
        return None
    decisions = result.verdict.decisions
    return sorted({d.finding.name for d in decisions if d.action is Action.BLOCK})


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
