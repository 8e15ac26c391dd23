"""Install exactly the vetted plan with uv: ``uv pip install --no-deps --require-hashes``.

The plan is written as a requirements file with one exact, hashed line per file; uv installs
no other distribution (``--no-deps``; ``uv pip sync`` installs only what is listed) and
refuses a file whose sha256 differs. VCS checkouts, editables and local directories have no
file hash: when the plan holds any, ``--require-hashes`` is left out, and uv still verifies
every hash that is given. Their build dependencies are fetched by uv without safe-pip's checks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from safe_pip.installers.pip.vetted_install import hashed_requirement, is_hashable
from safe_pip.installers.process import run_installer
from safe_pip.models import ArtifactSource, PlanItem

_HASH_MISMATCH_MARKERS = ("hash mismatch for",)


@dataclass(frozen=True)
class UvInstallResult:
    returncode: int
    hash_mismatch: bool = False  # uv refused a file whose sha256 is not the vetted one

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def vetted_lines(plan: Sequence[PlanItem], options: Sequence[str] = ()) -> list[str]:
    """One requirements line per plan item (hashed when the item is a file), after the index
    ``options`` of the user's requirement files, so uv looks where it looked when planning."""
    lines = ["# safe-pip: the vetted install plan; every file must have exactly this hash"]
    lines.extend(options)
    for item in plan:
        if is_hashable(item):
            lines.append(hashed_requirement(item))
        elif item.source is ArtifactSource.EDITABLE:
            lines.append(f"-e {item.url}")
        else:
            lines.append(f"{item.name} @ {item.url}")
    return lines


def install_with_uv(
    uv: str,
    global_args: Sequence[str],
    command: str,
    plan: Sequence[PlanItem],
    install_args: Sequence[str],
    env: Mapping[str, str],
    *,
    requirement_options: Sequence[str] = (),
) -> UvInstallResult:
    """Run ``uv pip install`` (or ``sync``) of exactly ``plan``; uv's output goes to the user."""
    if command not in ("install", "sync"):
        raise ValueError(f"unsupported uv pip command {command!r}")
    with tempfile.TemporaryDirectory(prefix="safe-pip-uv-") as tmp:
        vetted = Path(tmp) / "vetted-requirements.txt"
        vetted.write_text(
            "\n".join(vetted_lines(plan, requirement_options)) + "\n", encoding="utf-8"
        )
        arguments = [uv, *global_args, "pip", command]
        arguments += ["--no-deps", "-r", str(vetted)] if command == "install" else [str(vetted)]
        if all(is_hashable(item) for item in plan):
            arguments.append("--require-hashes")
        return _run_showing_output([*arguments, *install_args], env)


def _run_showing_output(command: list[str], env: Mapping[str, str]) -> UvInstallResult:
    run = run_installer(command, env)
    mismatch = any(marker in run.stderr.lower() for marker in _HASH_MISMATCH_MARKERS)
    return UvInstallResult(run.returncode, hash_mismatch=run.returncode != 0 and mismatch)
