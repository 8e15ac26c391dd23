"""Install exactly the checked plan with uv, without resolving again.

uv's own pylock.toml of the plan, cut down to the checked file of each package
(``vetted_lock``), is handed to ``uv pip install -r pylock.toml`` (``uv pip sync pylock.toml``):
uv installs what the lock lists and nothing else, downloading each file from the URL that
was checked and refusing one whose sha256 differs. The build permits of the plan
(``builds.BuildPermits``) go along, so an sdist in the plan is built exactly as checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from safe_pip.installers.base import InstallOutcome
from safe_pip.installers.process import run_installer
from safe_pip.installers.uv.plan import UvPlan
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
    stdout: TextIO | None = None,
) -> InstallOutcome:
    """Run ``uv pip install``/``sync`` of exactly ``plan``; uv's output goes to the user
    (uv's stdout to ``stdout`` when given)."""
    if command not in ("install", "sync"):
        raise ValueError(f"unsupported uv pip command {command!r}")
    write_vetted_lock(plan.lock_file, plan.items, next(iter(plan.index_urls), None))
    lock = str(plan.lock_file)
    arguments = [
        uv,
        *global_args,
        "pip",
        command,
        *(["-r", lock] if command == "install" else [lock]),
    ]
    arguments += [*PYLOCK_PREVIEW, *plan.build_args, *install_args]
    return run_uv_install(arguments, env, stdout)


def run_uv_install(
    command: Sequence[str], env: Mapping[str, str], stdout: TextIO | None = None
) -> InstallOutcome:
    """Run a uv command that installs (``pip install``/``pip sync``/``sync --frozen``) with
    its output shown live; a refused hash is recognised in what uv printed."""
    run = run_installer(command, env, stdout)
    mismatch = any(marker in run.stderr.lower() for marker in _HASH_MISMATCH_MARKERS)
    return InstallOutcome(run.returncode, hash_mismatch=run.returncode != 0 and mismatch)
