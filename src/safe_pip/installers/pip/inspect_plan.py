"""The two-pass fallback (a pip the guard does not recognise): what the plan's wheels carry,
before the vetted install writes anything.

pip downloads while it installs, out of sight, so each wheel of the checked plan is fetched
first (``pipeline.contents.fetch``: its sha256 compared with the checked one, which the
vetted ``--require-hashes`` install pins too, so the bytes opened are the bytes pip installs)
and opened against the target environment. What pip builds from an sdist, a VCS checkout or
a directory is named in a warning: nothing opened it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from safe_pip.index.settings import IndexSettings
from safe_pip.installers.pip.args import InstallArgs
from safe_pip.models import PlanItem
from safe_pip.pipeline.check_plan import GuardResult
from safe_pip.pipeline.contents.inspect import InstallTarget
from safe_pip.pipeline.policy import Policy

_PATHS = (
    "import json, sysconfig; p = sysconfig.get_paths(); "
    "print(json.dumps([p['purelib'], p['platlib'], p['scripts']]))"
)


def inspect_pip_plan(
    python: str,
    items: Sequence[PlanItem],
    policy: Policy,
    settings: IndexSettings | None,
    install_args: InstallArgs,
    work: Path,
) -> GuardResult:
    """Contents findings of the wheels of ``items``, before ``install_vetted`` runs."""
    from safe_pip.pipeline.contents.fetch import inspect_plan_wheels

    elsewhere = install_args.target or install_args.prefix or install_args.root
    target = InstallTarget() if elsewhere or install_args.user else target_of(python)
    index_urls = settings.index_urls if settings is not None else ()
    return inspect_plan_wheels(
        items, policy, settings, target, work, index_urls=index_urls, builder="pip"
    )


def target_of(python: str) -> InstallTarget:
    """The site-packages and scripts directories of ``python``'s default install scheme
    (nothing to compare with when the interpreter cannot say)."""
    try:
        completed = subprocess.run(
            [python, "-c", _PATHS],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        purelib, platlib, scripts = json.loads(completed.stdout)
    except (OSError, ValueError, TypeError):
        return InstallTarget()
    return InstallTarget(tuple(dict.fromkeys([str(purelib), str(platlib)])), str(scripts))
