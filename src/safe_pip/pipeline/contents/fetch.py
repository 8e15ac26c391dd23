"""The wheels of a plan, fetched for inspection by a front end that does not hold them itself
(safe-uv before ``uv pip install``, ``safe-pip check --inspect``): each index or URL wheel is
downloaded into ``work`` and its sha256 compared with the checked one -- the installer
verifies the same sha256, so the bytes inspected are the bytes installed -- and a local wheel
is read where it is. The downloaded index wheels' PEP 740 provenance is checked too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from safe_pip.index.settings import IndexSettings
from safe_pip.models import ArtifactSource, Decision, PlanItem, Verdict
from safe_pip.pipeline.check_plan import GuardResult, unless_fail_open
from safe_pip.pipeline.checks import download_hash_finding
from safe_pip.pipeline.contents.inspect import InstallTarget, WheelToInspect, check_wheels
from safe_pip.pipeline.policy import Policy, decide
from safe_pip.pipeline.provenance.check import DownloadedFile, check_provenance

_DOWNLOADED = (ArtifactSource.INDEX, ArtifactSource.DIRECT_URL)


def inspect_plan_wheels(
    items: Sequence[PlanItem],
    policy: Policy,
    settings: IndexSettings | None,
    target: InstallTarget,
    work: Path,
    *,
    index_urls: Sequence[str] = (),
    now: datetime | None = None,
    record: bool = True,
    builder: str = "the installer",
) -> GuardResult:
    """Contents findings for every wheel of ``items`` (sdists, directories and VCS checkouts
    are built by the installer: their wheels are not inspected here, and a note names them),
    and the provenance of the index wheels (``index_urls``: where to look for items that do
    not name their index; ``builder``: who builds the others, for that note)."""
    from safe_pip.index.client import download_files

    work.mkdir(parents=True, exist_ok=True)
    local: list[WheelToInspect] = []
    downloads: list[tuple[PlanItem, str, Path]] = []
    notes: list[str] = []
    built = not_inspected_builds(items, builder)
    if built:
        notes.append(built)
    for item in items:
        if not item.filename or not item.filename.endswith(".whl") or not item.url:
            continue
        if item.url.startswith("file:"):
            local.append(
                WheelToInspect(item.name, item.version, Path(unquote(urlsplit(item.url).path)))
            )
        elif item.source in _DOWNLOADED:
            downloads.append((item, item.url, work / item.filename))
    written = unless_fail_open(
        lambda: download_files([(url, path) for _, url, path in downloads], settings=settings),
        policy,
        notes,
    )
    if written is None:
        return GuardResult(verdict=Verdict(plan=list(items)), notes=notes)
    mismatched: list[Decision] = []
    wheels = list(local)
    for item, _, path in downloads:
        got = written.get(path)
        if item.sha256 and got != item.sha256:
            finding = download_hash_finding(item.name, item.version, got, [item.sha256])
            mismatched.extend(decide([finding], policy, (now or datetime.now()).date()))
            continue
        wheels.append(WheelToInspect(item.name, item.version, path))
    result = check_wheels(wheels, target, policy, plan=items, now=now, record=record)
    result.verdict.decisions[:0] = mismatched
    result.notes[:0] = notes
    attested = [
        DownloadedFile(item, path)
        for item, _, path in downloads
        if item.source is ArtifactSource.INDEX and written.get(path) == item.sha256
    ]
    if attested:
        named = [f.item.index_url for f in attested if f.item.index_url]
        provenance = check_provenance(
            attested,
            policy,
            replace(
                settings or IndexSettings(), index_urls=tuple(dict.fromkeys([*named, *index_urls]))
            ),
            now=now,
            record=record,
        )
        result.verdict.decisions.extend(provenance.verdict.decisions)
        result.notes.extend(provenance.notes)
    return result


def not_inspected_builds(items: Sequence[PlanItem], builder: str = "the installer") -> str | None:
    """The warning naming the items installed from source (an sdist, a VCS checkout, a local
    directory) and no wheel: ``builder`` makes their wheels while it installs, so nothing
    opened them."""
    wheels = {item.spec for item in items if (item.filename or "").endswith(".whl")}
    names = [item.spec for item in items if item.spec not in wheels]
    if not names:
        return None
    return (
        f"contents not inspected: {builder} builds {', '.join(dict.fromkeys(names))} "
        "from source while installing (no wheel to open before)"
    )
