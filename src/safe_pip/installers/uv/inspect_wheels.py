"""safe-uv: what the wheels of the checked plan carry, before uv installs them.

uv downloads into its own cache while it installs, so the files are not there to open before
it writes. Each wheel of the plan is fetched first into safe-uv's work directory and its
sha256 compared with the checked one; uv installs from the vetted pylock.toml, which pins the
same sha256, so the bytes inspected are the bytes uv installs. (Each wheel is downloaded
twice; the wheel uv builds from an sdist, a VCS checkout or a directory is not inspected: a
warning names each.)
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path

from safe_pip.index.settings import IndexSettings
from safe_pip.models import PlanItem
from safe_pip.pipeline.check_plan import GuardResult
from safe_pip.pipeline.contents.inspect import InstallTarget
from safe_pip.pipeline.policy import Policy


def inspect_for_uv(
    items: Sequence[PlanItem],
    policy: Policy,
    settings: IndexSettings | None,
    environment: str | None,
    work: Path,
    index_urls: Sequence[str] = (),
) -> GuardResult:
    """Contents findings of the plan's wheels against the environment uv installs into
    (``environment``: its path as uv names it; None: unknown, compared with nothing)."""
    from safe_pip.pipeline.contents.fetch import inspect_plan_wheels

    target = target_of(environment)
    return inspect_plan_wheels(
        items, policy, settings, target, work / "inspect", index_urls=index_urls, builder="uv"
    )


def target_of(environment: str | None) -> InstallTarget:
    """The site-packages and scripts directories of a virtual environment uv named."""
    if not environment or not os.path.isdir(environment):
        return InstallTarget()
    posix = glob.glob(os.path.join(environment, "lib", "python*", "site-packages"))
    windows = os.path.join(environment, "Lib", "site-packages")
    lib_dirs = tuple(posix) + ((windows,) if os.path.isdir(windows) else ())
    scripts = os.path.join(environment, "Scripts" if os.name == "nt" else "bin")
    return InstallTarget(lib_dirs, scripts)
