"""Install exactly the vetted plan, and nothing else.

The plan is written as a hashed requirements file and installed with
``pip install --no-deps --require-hashes -r vetted.txt``: pip installs no other
distribution (``--no-deps``) and refuses any file whose sha256 is not the vetted one. If the
index serves different bytes than those vetted, pip fails with a hash mismatch and installs
nothing; ``InstallResult.hash_mismatch`` says so, so the caller can block with a clear reason.

Limitation: VCS checkouts, editables and local directories have no file hash. They are
installed afterwards, by a second ``pip install --no-deps`` with their exact requirement (a
VCS URL pinned to the resolved commit), and only if the hashed install succeeded. Their
build dependencies (build isolation) are fetched by pip without safe-pip's checks.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from safe_pip.errors import CannotCheckError
from safe_pip.hook.runtime import run_token
from safe_pip.installers.base import InstallOutcome
from safe_pip.installers.pip.report import HashMismatch, hash_mismatches, is_hash_mismatch
from safe_pip.installers.process import check_interpreter, pip_child_env, run_installer
from safe_pip.models import ArtifactSource, PlanItem

_UNHASHABLE = (ArtifactSource.VCS, ArtifactSource.EDITABLE)


@dataclass(frozen=True)
class InstallResult(InstallOutcome):
    """``InstallOutcome`` plus the mismatches pip listed when it refused a file."""

    mismatches: tuple[HashMismatch, ...] = field(default=())


def is_hashable(item: PlanItem) -> bool:
    """Whether the item is a file pip can verify (index, direct URL or local archive)."""
    return item.source not in _UNHASHABLE and not (
        item.source is ArtifactSource.LOCAL_PATH and item.filename is None
    )


def hashed_requirement(item: PlanItem) -> str:
    """``name==version --hash=sha256:...`` (index) or ``name @ URL --hash=...`` (direct)."""
    if item.sha256 is None:
        raise CannotCheckError(
            f"cannot install {item.spec} with a verified hash: its sha256 is not known"
        )
    if item.source is ArtifactSource.INDEX:
        return f"{item.spec} --hash=sha256:{item.sha256}"
    if item.url is None:
        raise CannotCheckError(f"cannot install {item.spec}: its URL is not known")
    return f"{item.name} @ {item.url} --hash=sha256:{item.sha256}"


def unhashed_requirement(item: PlanItem) -> list[str]:
    """The pip arguments that install exactly this VCS checkout, editable or directory."""
    if item.url is None:
        raise CannotCheckError(f"cannot install {item.spec}: its location is not known")
    if item.source is ArtifactSource.EDITABLE:
        return ["-e", item.url]
    return [f"{item.name} @ {item.url}"]


def write_vetted_requirements(
    plan: Sequence[PlanItem], path: Path | str, *, options: Sequence[str] = ()
) -> list[PlanItem]:
    """Write the hashable items as a ``--require-hashes`` file; returns the items written.

    ``options`` are index option lines (``--index-url URL``...) from the user's requirement
    files, written first so that pip looks in the same places as during the dry run.
    """
    written = [item for item in plan if is_hashable(item)]
    lines = ["# safe-pip: the vetted install plan; every file must have exactly this hash"]
    lines.extend(options)
    lines.extend(hashed_requirement(item) for item in written)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


def install_vetted(
    python: str,
    plan: Sequence[PlanItem],
    passthrough_args: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    requirement_options: Sequence[str] = (),
    stdout: TextIO | None = None,
) -> InstallResult:
    """Install exactly ``plan`` into ``python``; pip's output goes to the user as it runs
    (pip's stdout to ``stdout`` when given, so stdout can carry a JSON report)."""
    interpreter = check_interpreter(python)
    hashed_plan = [item for item in plan if is_hashable(item)]
    # Built before anything is installed, so an unknown location fails first.
    unhashed_arguments = [
        argument
        for item in plan
        if not is_hashable(item)
        for argument in unhashed_requirement(item)
    ]
    child_env = dict(os.environ if env is None else env)
    base = [interpreter, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps"]
    result = InstallResult(0)
    if hashed_plan:
        result = _install_hashed(
            base, hashed_plan, passthrough_args, requirement_options, child_env, stdout
        )
    if unhashed_arguments and result.ok:
        result = _run_pip([*base, *unhashed_arguments, *passthrough_args], child_env, stdout)
    return result


def _install_hashed(
    base: list[str],
    plan: Sequence[PlanItem],
    passthrough_args: Sequence[str],
    requirement_options: Sequence[str],
    env: dict[str, str],
    stdout: TextIO | None,
) -> InstallResult:
    work_dir = Path(tempfile.mkdtemp(prefix="safe-pip-"))
    try:
        requirements = work_dir / "vetted-requirements.txt"
        write_vetted_requirements(plan, requirements, options=requirement_options)
        return _run_pip(
            [*base, "--require-hashes", "-r", str(requirements), *passthrough_args], env, stdout
        )
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def _run_pip(command: list[str], env: dict[str, str], stdout: TextIO | None) -> InstallResult:
    with run_token.issue() as token:  # this pip installs a vetted plan: the hook stays off
        run = run_installer(command, pip_child_env(env, token), stdout)
    if run.returncode != 0 and is_hash_mismatch(run.stderr):
        return InstallResult(run.returncode, True, tuple(hash_mismatches(run.stderr)))
    return InstallResult(run.returncode)
