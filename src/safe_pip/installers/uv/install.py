"""Install exactly the checked plan with uv, without resolving again.

uv's own pylock.toml of the plan, cut down to the checked file of each package
(``vetted_lock``), is handed to ``uv pip install -r pylock.toml`` (``uv pip sync pylock.toml``):
uv installs what the lock lists and nothing else, downloading each file from the URL that
was checked and refusing one whose sha256 differs. The build permits of the plan
(``builds.BuildPermits``) go along, so an sdist in the plan is built exactly as checked; a
build requirement uv meets only now (a VCS checkout's) is checked and pinned before uv
builds with it (``run_building_only_checked``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from safe_pip.console import say
from safe_pip.installers.base import InstallOutcome
from safe_pip.installers.process import InstallerRun, run_installer
from safe_pip.installers.uv.build_gate import BuildGate
from safe_pip.installers.uv.builds import needed_build_requirements
from safe_pip.installers.uv.plan import MAX_BUILD_ROUNDS, UvPlan
from safe_pip.installers.uv.vetted_lock import write_vetted_lock

_HASH_MISMATCH_MARKERS = ("hash mismatch for",)
PYLOCK_PREVIEW = ("--preview-features", "pylock")


def install_with_uv(
    uv: str,
    global_args: Sequence[str],
    command: str,
    plan: UvPlan,
    install_args: Sequence[str],
    env: Mapping[str, str],
    gate: BuildGate,
    stdout: TextIO | None = None,
) -> InstallOutcome:
    """Run ``uv pip install``/``sync`` of exactly ``plan``; uv's output goes to the user
    (uv's stdout to ``stdout`` when given)."""
    if command not in ("install", "sync"):
        raise ValueError(f"unsupported uv pip command {command!r}")
    default_index = next(iter(plan.index_urls), None)
    write_vetted_lock(plan.lock_file, plan.items, default_index, document=plan.lock_document)
    lock = str(plan.lock_file)
    inputs = ["-r", lock] if command == "install" else [lock]
    arguments = [uv, *global_args, "pip", command, *inputs, *PYLOCK_PREVIEW]
    return run_building_only_checked(arguments, install_args, gate, plan.index_urls, env, stdout)


def run_building_only_checked(
    command: Sequence[str],
    options: Sequence[str],
    gate: BuildGate,
    index_urls: Sequence[str],
    env: Mapping[str, str],
    stdout: TextIO | None = None,
) -> InstallOutcome:
    """Run an installing uv ``command`` with the gate's build options. uv prepares (and
    builds) every distribution before it installs any, so when a build stops for a build
    requirement without a pinned hash nothing is installed yet: the gate checks and pins it
    (``BuildBlocked`` when it is flagged) and uv runs again."""
    for _ in range(MAX_BUILD_ROUNDS):
        build_args = gate.permits.args(gate.work, resolving=False)
        run = run_installer([*command, *build_args, *options], env, stdout)
        needed = needed_build_requirements(run.stderr) if run.returncode != 0 else None
        if needed is None or not needed.requirements:
            break
        pins_before = list(gate.permits.build_pins)
        gate.pin_build_requirements(needed, index_urls)
        if gate.permits.build_pins == pins_before:
            break
        say(f"checked what the build of {needed.for_package or 'a source'} needs; running uv again")
    return _outcome(run)


def run_uv_install(
    command: Sequence[str], env: Mapping[str, str], stdout: TextIO | None = None
) -> InstallOutcome:
    """Run a uv command that installs (``pip install``/``pip sync``/``sync --frozen``) with
    its output shown live; a refused hash is recognised in what uv printed."""
    return _outcome(run_installer(command, env, stdout))


def _outcome(run: InstallerRun) -> InstallOutcome:
    mismatch = any(marker in run.stderr.lower() for marker in _HASH_MISMATCH_MARKERS)
    return InstallOutcome(run.returncode, hash_mismatch=run.returncode != 0 and mismatch)
