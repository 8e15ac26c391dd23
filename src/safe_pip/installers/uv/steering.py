"""Keep uv away from versions policy does not allow (``resolve = "avoid"``).

When the checked plan is blocked, every blocked package the user did not pin with ``==``
has its versions on the index pages run through the candidate predicate
(``pipeline.candidates``); the disallowed ones become constraints (``name!=version``) and uv
resolves again, so it picks the newest allowed version within the user's own requirements.
A package pinned with ``==`` is never changed: it blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    canonicalize_name,
)

from safe_pip.artifacts import name_and_version
from safe_pip.models import Action

if TYPE_CHECKING:
    from safe_pip.index.client import IndexFile
    from safe_pip.index.settings import IndexSettings
    from safe_pip.installers.uv.args import UvInstallArgs
    from safe_pip.pipeline.check_plan import GuardResult
    from safe_pip.pipeline.policy import Policy


@dataclass(frozen=True)
class Avoided:
    """A version uv chose first, and why policy did not allow it."""

    name: str
    version: str
    ids: tuple[str, ...]


def blocked_versions(result: GuardResult) -> dict[str, Avoided]:
    """name -> the blocked version of that package in ``result``'s plan, with its ids."""
    ids: dict[tuple[str, str], list[str]] = {}
    for decision in result.verdict.decisions:
        if decision.action is Action.BLOCK:
            key = (decision.finding.name, decision.finding.version)
            ids.setdefault(key, []).append(decision.finding.id)
    return {
        name: Avoided(name, version, tuple(dict.fromkeys(found)))
        for (name, version), found in ids.items()
    }


def disallowed_versions(
    names: Iterable[str],
    policy: Policy,
    index_urls: Sequence[str],
    settings: IndexSettings | None,
) -> dict[str, list[str]]:
    """name -> every version on its index pages that policy does not allow."""
    from safe_pip.advisories.database import AdvisoryDatabase
    from safe_pip.index.client import fetch_index_files
    from safe_pip.pipeline.candidates import Candidate, CandidateJudge

    wanted = sorted(set(names))
    pages = fetch_index_files(index_urls, wanted, settings=settings)
    now = datetime.now(timezone.utc)
    refused: dict[str, list[str]] = {}
    judge = CandidateJudge(policy, now)
    database = AdvisoryDatabase.open()
    try:
        for name in wanted:
            listed = _versions(pages.get(name, ()))
            matches = database.matches_for_versions(name, listed)  # all at once: big pages
            for version, files in listed.items():
                untimed = [f for f in files if not f.upload_time]
                candidate = Candidate(
                    name=name,
                    version=version,
                    upload_time=min((f.upload_time for f in files if f.upload_time), default=None),
                    yanked=all(f.yanked for f in files),
                    advisories=matches[version],
                    # where a version without any upload time is from (a remote index's
                    # counts as too new)
                    index_url=untimed[0].index_url if untimed else None,
                    file_url=untimed[0].url if untimed else None,
                )
                if judge.blocking_ids(candidate):
                    refused.setdefault(name, []).append(version)
    finally:
        database.close()
    return refused


def pinned_names(request: UvInstallArgs) -> set[str]:
    """Names the user pinned to one version (``==``/``===``) on the command line or in a
    requirements, constraints or overrides file: those are never steered (and uv may choose
    a yanked version for them)."""
    from safe_pip.producers.requirements_file import read_requirements_file

    texts = list(request.requirements)
    args = request.plan_args
    pinning_files = [
        value for option, value in zip(args, args[1:]) if option in ("--constraints", "--overrides")
    ]
    for file in [*request.requirement_files, *pinning_files]:
        path = Path(file)
        if path.is_file() and not path.name.endswith((".toml", ".cfg", ".py")):
            entries = read_requirements_file(path, read_constraints=True)
            texts += [entry.requirement for entry in entries if entry.requirement]
    pinned: set[str] = set()
    for text in texts:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if any(spec.operator in ("==", "===") for spec in requirement.specifier):
            pinned.add(canonicalize_name(requirement.name))
    return pinned


def steering_line(avoided: Avoided, chosen: str | None) -> str:
    ids = ", ".join(avoided.ids)
    if chosen is None:
        return f"left out {avoided.name} {avoided.version}: {ids}"
    return f"chose {avoided.name} {chosen}, not {avoided.version}: {ids}"


def _versions(files: Iterable[IndexFile]) -> dict[str, list[IndexFile]]:
    versions: dict[str, list[IndexFile]] = {}
    for file in files:
        version = _file_version(file.filename)
        if version is not None:
            versions.setdefault(version, []).append(file)
    return versions


def _file_version(filename: str) -> str | None:
    parsed = name_and_version(filename)
    return parsed[1] if parsed is not None else None
