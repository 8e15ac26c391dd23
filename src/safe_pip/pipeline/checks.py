"""Turn a plan plus its data sources (advisories, index pages, seen hashes) into findings.

This module only *finds* problems; ``policy.decide`` says what to do about them. The data
sources are described as small protocols so any object of the right shape works:
``advisory_db.AdvisoryDatabase``, ``index_client.IndexFile``, ``seen_hashes.SeenHashes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from packaging.utils import canonicalize_name

from safe_pip.models import ArtifactSource, Category, Finding, PlanItem
from safe_pip.pipeline.confusion import ConfusionRule, Serving, confusion_findings
from safe_pip.pipeline.release_age import ReleaseAgeRule, release_age_finding

# Stable ids of the findings that do not come from an advisory.
YANKED_ID = "YANKED"
HASH_INDEX_ID = "HASH-INDEX"
HASH_PINNED_ID = "HASH-PINNED"
HASH_CHANGED_ID = "HASH-CHANGED"
UNVERIFIED_SOURCE_ID = "UNVERIFIED-SOURCE"
NO_HASH_ID = "NO-HASH"
# The installer refused a downloaded file whose sha256 differs from a pinned/published one.
HASH_DOWNLOAD_ID = "HASH-DOWNLOAD"

# Most serious first: the order findings are reported in.
CATEGORY_ORDER: tuple[Category, ...] = (
    Category.MALICIOUS,
    Category.HASH_MISMATCH,
    Category.CONTENTS,
    Category.PROVENANCE,
    Category.PROJECT_STATUS,
    Category.CONFUSION,
    Category.VULNERABILITY,
    Category.RELEASE_AGE,
    Category.YANKED,
    Category.TYPOSQUAT,
    Category.UNVERIFIABLE,
)

# Artifacts downloaded from somewhere: the same file name must always mean the same bytes.
# Local paths, VCS checkouts and editables are built here, so their hashes legitimately vary.
_DOWNLOADED_SOURCES = frozenset({ArtifactSource.INDEX, ArtifactSource.DIRECT_URL})
# The sources no index can vouch for, and how findings describe them.
_SOURCE_DESCRIPTIONS = {
    ArtifactSource.DIRECT_URL: "direct URL",
    ArtifactSource.LOCAL_PATH: "local path",
    ArtifactSource.VCS: "VCS checkout",
    ArtifactSource.EDITABLE: "editable install",
}
_UNVERIFIABLE_SOURCES = frozenset(_SOURCE_DESCRIPTIONS)


class AdvisoryMatchLike(Protocol):
    """One advisory that affects one version (``advisory_db.AdvisoryMatch``)."""

    @property
    def id(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def summary(self) -> str: ...
    @property
    def fixed_in(self) -> str | None: ...
    @property
    def severity(self) -> float | None: ...
    @property
    def malicious(self) -> bool: ...
    @property
    def url(self) -> str: ...


class AdvisorySource(Protocol):
    def matches(self, name: str, version: str) -> Sequence[AdvisoryMatchLike]: ...


class IndexFileLike(Protocol):
    """One file listed on an index project page (``index_client.IndexFile``)."""

    @property
    def filename(self) -> str: ...
    @property
    def sha256(self) -> str | None: ...
    @property
    def yanked(self) -> bool: ...
    @property
    def yanked_reason(self) -> str | None: ...
    @property
    def index_url(self) -> str: ...


class ProjectStatusLike(Protocol):
    """A PEP 792 status marker on an index's project page (``index_client.ProjectStatus``)."""

    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str | None: ...


class SeenHashLike(Protocol):
    @property
    def sha256(self) -> str: ...
    @property
    def first_seen(self) -> str: ...


class SeenHashesLike(Protocol):
    def lookup(self, filename: str) -> SeenHashLike | None: ...


def find_problems(
    plan: Sequence[PlanItem],
    advisories: AdvisorySource,
    index_files: Mapping[str, Sequence[IndexFileLike]],
    seen: SeenHashesLike,
    release_age: ReleaseAgeRule | None = None,
    confusion: ConfusionRule | None = None,
    project_statuses: Sequence[ProjectStatusLike] = (),
) -> list[Finding]:
    """Every problem with every plan item, most serious category first.

    ``release_age``: check upload times against the cooldown (items carry them, filled in
    from index pages by ``check_plan``). ``confusion``: the configured indexes and
    ``index-for`` bindings for the dependency-confusion check. ``project_statuses``: PEP 792
    markers the index pages carry."""
    planned: dict[str, set[str]] = {}  # the file names the plan names, per project
    for item in plan:
        planned.setdefault(canonicalize_name(item.name), set()).add(item.filename or "")
    projects = {
        key: _Project(files, planned.get(key, set()))
        for key, files in ((canonicalize_name(name), files) for name, files in index_files.items())
    }
    no_project = _Project((), set())
    findings: list[Finding] = []
    # A lock file lists every platform's file of a version: look each version up once.
    by_version: dict[tuple[str, str], list[Finding]] = {}
    for item in plan:
        project = projects.get(canonicalize_name(item.name), no_project)
        published = _published_files(item, project.by_filename.get(item.filename or "", ()))
        version_key = (item.name, item.version)
        if version_key not in by_version:
            by_version[version_key] = advisory_findings(item.name, item.version, advisories)
        findings.extend(by_version[version_key])
        if release_age is not None:
            findings.extend(_release_age_findings(item, release_age))
        findings.extend(_project_status_findings(item, project_statuses))
        findings.extend(_yanked_findings(item, published))
        findings.extend(_hash_findings(item, published, seen))
        findings.extend(_unverifiable_findings(item, published))
        if confusion is not None:
            findings.extend(
                confusion_findings(item, project.files, confusion, serving=project.serving())
            )
    if any(item.requested for item in plan):
        from safe_pip.pipeline.typosquat import typosquat_findings

        findings.extend(typosquat_findings(one_item_per_name(plan)))
    return sorted(findings, key=_sort_key)


def one_item_per_name(plan: Sequence[PlanItem]) -> list[PlanItem]:
    """The first item of each project (a lock lists every platform's file of a version)."""
    return list({canonicalize_name(item.name): item for item in reversed(plan)}.values())


class _Project:
    """One project's index files, grouped once: a lock lists thousands of a project's files,
    and matching each against every listed file took time quadratic in the page size. Only
    the ``planned`` file names are grouped (a page lists every file of every version)."""

    def __init__(self, files: Sequence[IndexFileLike], planned: set[str]) -> None:
        self.files = files
        self.by_filename: dict[str, list[IndexFileLike]] = {}
        for file in files:
            if file.filename in planned:
                self.by_filename.setdefault(file.filename, []).append(file)
        self._serving: Serving | None = None

    def serving(self) -> Serving:
        if self._serving is None:
            self._serving = Serving.of(self.files)
        return self._serving


def _sort_key(finding: Finding) -> tuple[int, str, str, str]:
    return (CATEGORY_ORDER.index(finding.category), finding.name, finding.version, finding.id)


def _published_files(item: PlanItem, same_name: Sequence[IndexFileLike]) -> list[IndexFileLike]:
    """The index entries for exactly this artifact (``same_name``: the files of its file
    name on every index), preferring the index it came from."""
    if item.source not in _DOWNLOADED_SOURCES or not item.filename:
        return []
    from_its_index = [f for f in same_name if _same_index(f.index_url, item.index_url)]
    return from_its_index or list(same_name)


def _same_index(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.rstrip("/") == b.rstrip("/")


def advisory_findings(name: str, version: str, advisories: AdvisorySource) -> list[Finding]:
    """One finding per advisory that affects this version."""
    return [
        Finding(
            name=name,
            version=version,
            category=Category.MALICIOUS if match.malicious else Category.VULNERABILITY,
            id=match.id,
            summary=match.summary,
            aliases=tuple(match.aliases),
            fixed_in=match.fixed_in,
            severity=match.severity,
            url=match.url or None,
        )
        for match in advisories.matches(name, version)
    ]


def _release_age_findings(item: PlanItem, rule: ReleaseAgeRule) -> list[Finding]:
    # Only an index artifact can have an upload time; anything else is reported by the
    # unverifiable check instead of once more for its missing upload time.
    if item.upload_time is None and item.source is not ArtifactSource.INDEX:
        return []
    finding = release_age_finding(
        item.name, item.version, item.upload_time, rule, index_url=item.index_url, file_url=item.url
    )
    return [] if finding is None else [finding]


def _project_status_findings(
    item: PlanItem, statuses: Sequence[ProjectStatusLike]
) -> list[Finding]:
    """One finding per distinct PEP 792 status an index gives the item's project."""
    name = canonicalize_name(item.name)
    found: dict[str, str | None] = {}
    for marker in statuses:
        if canonicalize_name(marker.name) == name:
            found.setdefault(marker.status, marker.reason)
    return [
        item_finding(
            item,
            Category.PROJECT_STATUS,
            project_status_id(status),
            f"the index marks the project {status}" + (f": {reason}" if reason else ""),
        )
        for status, reason in sorted(found.items())
    ]


def project_status_id(status: str) -> str:
    """``PROJECT-QUARANTINED``, ``PROJECT-ARCHIVED``, ``PROJECT-DEPRECATED``..."""
    return "PROJECT-" + status.upper()


def _yanked_findings(item: PlanItem, published: Sequence[IndexFileLike]) -> list[Finding]:
    yanked_files = [f for f in published if f.yanked and not guarded_index_yank(f.yanked_reason)]
    # pip's report says "yanked" without the reason: the page's reason tells whose yank it is
    hidden_by_index = any(f.yanked and guarded_index_yank(f.yanked_reason) for f in published)
    item_yanked = item.yanked and not (
        guarded_index_yank(item.yanked_reason) or (not item.yanked_reason and hidden_by_index)
    )
    if not item_yanked and not yanked_files:
        return []
    reasons = [item.yanked_reason] + [f.yanked_reason for f in yanked_files]
    reason = next((r.strip() for r in reasons if r and r.strip()), None)
    return [item_finding(item, Category.YANKED, YANKED_ID, yanked_summary(reason))]


# A guarded index (safe-pip's devpi plugin) keeps a version its policy blocks on its pages as
# yanked, the reason starting with this: safe-pip behind it reports its own findings about
# that version, not the index's yank of it once more.
GUARDED_INDEX_YANK_PREFIX = "safe-pip: "


def guarded_index_yank(reason: str | None) -> bool:
    """Is this yank a guarded index hiding a version (not its publisher yanking it)?"""
    return bool(reason) and str(reason).startswith(GUARDED_INDEX_YANK_PREFIX)


def yanked_summary(reason: str | None) -> str:
    """How a yanked finding reads, with the index's reason when it gives one."""
    reason = reason.strip() if reason else None
    return f"yanked: {reason}" if reason else "yanked (no reason given)"


def _hash_findings(
    item: PlanItem, published: Sequence[IndexFileLike], seen: SeenHashesLike
) -> list[Finding]:
    findings: list[Finding] = []
    actual = item.sha256.lower() if item.sha256 else None

    published_hashes = {f.sha256.lower() for f in published if f.sha256}
    if actual and published_hashes and actual not in published_hashes:
        expected = ", ".join(_short(h) for h in sorted(published_hashes))
        summary = f"sha256 {_short(actual)} differs from the index's {expected}"
        findings.append(item_finding(item, Category.HASH_MISMATCH, HASH_INDEX_ID, summary))

    pinned = {h.lower() for h in item.pinned_hashes}
    if pinned and actual not in pinned:
        got = f"sha256 {_short(actual)}" if actual else "no sha256 known"
        summary = f"{got}, not one of the hashes pinned in the requirements"
        findings.append(item_finding(item, Category.HASH_MISMATCH, HASH_PINNED_ID, summary))

    if actual and item.filename and item.source in _DOWNLOADED_SOURCES:
        first = seen.lookup(item.filename)
        if first is not None and first.sha256.lower() != actual:
            summary = (
                f"artifact changed since first seen on {first.first_seen[:10]}: "
                f"was {_short(first.sha256.lower())}, now {_short(actual)}"
            )
            findings.append(item_finding(item, Category.HASH_MISMATCH, HASH_CHANGED_ID, summary))
    return findings


def _short(sha256: str) -> str:
    """Enough of a hash to tell two apart in a one-line message (like a short git hash)."""
    return sha256[:10]


def _unverifiable_findings(item: PlanItem, published: Sequence[IndexFileLike]) -> list[Finding]:
    if item.source in _UNVERIFIABLE_SOURCES:
        where = item.url or item.filename
        kind = _SOURCE_DESCRIPTIONS[item.source]
        summary = f"cannot be verified against an index: {kind}" + (f" {where}" if where else "")
        return [item_finding(item, Category.UNVERIFIABLE, UNVERIFIED_SOURCE_ID, summary)]
    if item.source is ArtifactSource.INDEX and not item.sha256:
        summary = "no sha256 known for the artifact, so it cannot be verified"
        return [item_finding(item, Category.UNVERIFIABLE, NO_HASH_ID, summary)]
    if item.source is ArtifactSource.INDEX and published and not any(f.sha256 for f in published):
        summary = f"the index publishes no sha256 for {item.filename}, so it cannot be compared"
        return [item_finding(item, Category.UNVERIFIABLE, NO_HASH_ID, summary)]
    return []


def item_finding(item: PlanItem, category: Category, finding_id: str, summary: str) -> Finding:
    """A finding of one of safe-pip's own checks (not an advisory) about ``item``."""
    return Finding(
        name=item.name, version=item.version, category=category, id=finding_id, summary=summary
    )


def download_hash_finding(
    name: str, version: str, got: str | None, expected: Sequence[str]
) -> Finding:
    """The installer refused a downloaded file of ``name`` ``version``: its sha256 ``got``
    is none of the ``expected`` (pinned or published) ones."""
    wanted = " or ".join(digest[:12] for digest in expected) or "a pinned hash"
    return Finding(
        name=name,
        version=version,
        category=Category.HASH_MISMATCH,
        id=HASH_DOWNLOAD_ID,
        summary=(
            f"downloaded file has sha256 {(got or 'unknown')[:12]}..., "
            f"expected {wanted}... (pinned or published by the index)"
        ),
    )
