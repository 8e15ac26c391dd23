"""``safe-uv sync`` / ``add``: what the wheels ``uv sync --frozen`` installs carry, first.

uv.lock lists the files of every platform. The same ``uv sync --frozen`` run with
``--dry-run --output-format json`` names the packages it would install and the environment
(its interpreter's version and implementation). For each package the lock's wheel that ranks
best for that interpreter on this machine (``packaging.tags``; every wheel of the version
with ``--python-platform``) is downloaded, its sha256 compared with the lock's -- uv
verifies the same sha256 -- and inspected as ``safe-uv pip install`` does
(``inspect_wheels``). A package without such a wheel (uv builds it: an sdist, a git or path
source, the project itself) is named in a warning: nothing opened what uv builds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging import tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from safe_pip.index.settings import IndexSettings
from safe_pip.installers.uv.inspect_wheels import inspect_for_uv
from safe_pip.installers.uv.runs import run_uv_completed, uv_error_line
from safe_pip.models import PlanItem, Verdict
from safe_pip.pipeline.check_plan import GuardResult
from safe_pip.pipeline.policy import Policy
from safe_pip.producers.lockfiles.detect import read_lock_file
from safe_pip.producers.lockfiles.model import LockedPackage
from safe_pip.producers.lockfiles.plan import package_item

_NOT_INSTALLING = {"uninstalled", "removed"}


def inspect_sync(
    sync_command: Sequence[str],
    lock: Path,
    policy: Policy,
    settings: IndexSettings,
    env: Mapping[str, str],
    work: Path,
) -> GuardResult:
    """Contents findings of the wheels ``sync_command`` (a ``uv sync --frozen``) installs."""
    dry = run_uv_completed(dry_run_command(sync_command), env)
    if dry.returncode != 0:  # the sync itself fails the same way (exit 4), or says why
        reason = uv_error_line(dry.stderr)
        return _only_note(f"contents not inspected: uv sync --dry-run failed: {reason}")
    try:
        planned = json.loads(dry.stdout)
        sync = planned["sync"]
        environment: str | None = sync["environment"]["path"]
        python = sync["environment"]["python"]
        changes = [c for c in sync["changes"] if c.get("action") not in _NOT_INSTALLING]
        ranking = tag_ranking(str(python["version"]), str(python["implementation"]), sync_command)
        installing = [(canonicalize_name(c["name"]), str(c.get("version") or "")) for c in changes]
    except (ValueError, KeyError, TypeError) as exc:
        return _only_note(f"contents not inspected: uv sync --dry-run said no plan ({exc!r})")
    locked = read_lock_file(lock)
    by_version: dict[tuple[str, str], list[LockedPackage]] = {}
    for package in locked.packages:
        by_version.setdefault((package.name, package.version), []).append(package)
    items: list[PlanItem] = []
    built: list[str] = []
    for name, version in installing:
        chosen = best_wheels(by_version.get((name, version), []), ranking)
        if not chosen:
            built.append(f"{name}=={version}" if version else name)
        items.extend(chosen)
    result = inspect_for_uv(
        items, policy, settings, environment, work, index_urls=locked.index_urls
    )
    if built:
        result.notes.append(
            f"contents not inspected: uv builds {', '.join(built)} from source while "
            "installing (no wheel to open before)"
        )
    return result


def dry_run_command(sync_command: Sequence[str]) -> list[str]:
    """``sync_command`` with ``--dry-run --output-format json`` (the user's format dropped)."""
    command: list[str] = []
    skip = False
    for token in sync_command:
        if skip:
            skip = False
        elif token == "--output-format":
            skip = True
        elif not token.startswith("--output-format="):
            command.append(token)
    return [*command, "--dry-run", "--output-format", "json"]


def tag_ranking(
    version: str, implementation: str, sync_command: Sequence[str]
) -> dict[tags.Tag, int] | None:
    """Each tag the interpreter accepts -> its rank (0 best); None with
    ``--python-platform`` (another platform's tags: every wheel is a candidate)."""
    if any(t.partition("=")[0] == "--python-platform" for t in sync_command):
        return None
    major, minor = (int(part) for part in version.split(".")[:2])
    platforms = list(tags.platform_tags())
    ranked: list[tags.Tag] = []
    interpreter = None
    if implementation.lower() == "cpython":
        ranked += tags.cpython_tags((major, minor), platforms=platforms)
        interpreter = f"cp{major}{minor}"
    ranked += tags.compatible_tags((major, minor), interpreter, platforms)
    return {tag: rank for rank, tag in reversed(list(enumerate(ranked)))}


def best_wheels(
    packages: Sequence[LockedPackage], ranking: dict[tags.Tag, int] | None
) -> list[PlanItem]:
    """The lock's wheels of one version that uv installs here: the best-ranked ones (all of
    them without a ranking); none when uv builds it."""
    candidates: list[tuple[int, PlanItem]] = []
    for package in packages:
        for artifact in package.artifacts:
            if not (artifact.filename or "").endswith(".whl"):
                continue
            try:
                wheel_tags = parse_wheel_filename(artifact.filename or "")[3]
            except InvalidWheelFilename:
                continue
            ranks = [ranking[t] for t in wheel_tags if t in ranking] if ranking else [0]
            if ranks:
                candidates.append((min(ranks), package_item(package, artifact)))
    if not candidates:
        return []
    best = min(rank for rank, _ in candidates)
    return [item for rank, item in candidates if rank == best]


def _only_note(note: str) -> GuardResult:
    return GuardResult(verdict=Verdict(plan=[]), notes=[note])
