"""The one pipeline every front end shares: plan -> checks -> policy -> verdict.

Front ends (``safe-pip install``, ``safe-pip check``, the pip hook, the uv wrapper) produce a
plan, call :func:`check_plan`, print the verdict with ``report.print_verdict``, and install only
when the verdict is not blocked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, TypeVar

from safe_pip import exit_codes
from safe_pip.advisories.database import AdvisoryDatabase, AdvisoryMatch
from safe_pip.errors import CannotCheckError
from safe_pip.index.files import FileMatcher, IndexFile, ProjectStatus
from safe_pip.models import ArtifactSource, Decision, PlanItem, Verdict
from safe_pip.pipeline import decision_log
from safe_pip.pipeline.checks import find_problems
from safe_pip.pipeline.confusion import ConfusionRule
from safe_pip.pipeline.fresh_data import open_fresh_database
from safe_pip.pipeline.policy import Policy, decide
from safe_pip.pipeline.release_age import ReleaseAgeRule, is_remote
from safe_pip.pipeline.seen_hashes import SeenHashes
from safe_pip.redaction import index_identity
from safe_pip.times import parse_timestamp

if TYPE_CHECKING:
    from safe_pip.index.settings import IndexSettings


@dataclass
class GuardResult:
    """A verdict plus the notes that are not findings (stale DB, fail-open skips)."""

    verdict: Verdict
    notes: list[str] = field(default_factory=list)
    # Checks that did not run (fail-mode open), so the report cannot say "no problems found".
    skipped: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return exit_codes.BLOCKED if self.verdict.blocked else exit_codes.OK


def check_plan(
    plan: Sequence[PlanItem],
    policy: Policy,
    index_urls: Sequence[str],
    *,
    today: date | None = None,
    now: datetime | None = None,
    record_seen: bool = True,
    index_files: Mapping[str, Sequence[IndexFile]] | None = None,
    index_settings: IndexSettings | None = None,
    project_statuses: Sequence[ProjectStatus] = (),
    find_links: Sequence[str] = (),
) -> GuardResult:
    """Run every check on ``plan`` and apply ``policy``.

    Raises :class:`CannotCheckError` when a check cannot run and policy is fail-closed;
    with ``fail-mode = "open"`` the failure becomes a note and the remaining checks still run.
    When the verdict allows the plan and ``record_seen`` is true, the artifacts' hashes are
    recorded for trust-on-first-use. ``index_files`` skips fetching the index pages when the
    caller already has them; ``index_settings`` are pip's network settings (CA bundle, client
    certificate, proxy, trusted hosts) for fetching them. Plan items come back with the index
    they came from, their yanked status and upload time filled in from the index pages where
    the producer did not know them. ``now`` is the moment release ages are measured at.
    ``find_links``: the ``--find-links`` locations whose files ``index_files`` has too:
    sources like the indexes for dependency confusion and ``index-for``; a file found only
    in a local one (a directory) has no index hash to be compared with.
    """
    now = now or datetime.now(timezone.utc)
    decision_log.note_check_started()
    notes: list[str] = []
    items = list(plan)
    # Only index artifacts are looked up: the names of local, VCS and editable projects are
    # not sent to any index.
    names = sorted({item.name for item in items if item.source is ArtifactSource.INDEX})

    skipped: list[str] = []
    advisories = unless_fail_open(lambda: open_fresh_database(policy, notes), policy, notes)
    if advisories is None:
        skipped.append("advisories (vulnerabilities, malicious packages)")
    statuses: list[ProjectStatus] = list(project_statuses)
    if index_files is None and index_urls and names:
        index_files = read_index_pages(
            index_urls, names, policy, notes, index_settings, statuses=statuses
        )
        if index_files is None:
            skipped.append("index hashes and yanked releases")
    index_files = index_files or {}
    by_name: dict[str, list[PlanItem]] = {}
    for item in items:
        by_name.setdefault(item.name, []).append(item)
    matchers = {
        name: FileMatcher(files, by_name.get(name, [])) for name, files in index_files.items()
    }
    items = [with_index_facts(item, matchers.get(item.name, _NO_FILES)) for item in items]
    local_links = {index_identity(url) for url in find_links if not is_remote(url)}
    notes.extend(_not_on_any_index_notes(items, matchers, local_links))
    opened_seen = unless_fail_open(SeenHashes.open, policy, notes)
    if opened_seen is None:
        skipped.append("hashes seen before")
    seen: SeenHashes | _NoSeenHashes = opened_seen or _NoSeenHashes()
    try:
        if advisories is not None:
            notes.extend(_staleness_notes(advisories, policy))
            notes.extend(unknown_ignore_notes(advisories, policy))
        release_age = ReleaseAgeRule.from_policy(policy, now)
        sources = list(dict.fromkeys([*index_urls, *find_links]))
        confusion = ConfusionRule(sources, policy.index_for, seen.first_index)
        findings = find_problems(
            items,
            advisories or _NO_ADVISORIES,
            index_files,
            seen,
            release_age,
            confusion,
            statuses,
        )
        decisions: list[Decision] = decide(findings, policy, today or date.today())
        verdict = Verdict(plan=items, decisions=decisions)
        if record_seen and not verdict.blocked:
            unless_fail_open(lambda: seen.record(items), policy, notes)
    finally:
        seen.close()
        if advisories is not None:
            advisories.close()
    decision_log.note_verdict(verdict)
    return GuardResult(verdict=verdict, notes=notes, skipped=skipped)


def read_index_pages(
    index_urls: Sequence[str],
    names: Sequence[str],
    policy: Policy,
    notes: list[str],
    settings: IndexSettings | None,
    *,
    statuses: list[ProjectStatus] | None = None,
) -> dict[str, list[IndexFile]] | None:
    """The project pages of ``names`` on every index, within the policy's deadlines; None
    (and a note) when they cannot be read and fail-mode is open. ``statuses`` collects the
    PEP 792 status markers the pages carry."""
    # Only here: an install checks the pages pip read, and a checker that never reads a page
    # need not import the HTTP and HTML code.
    from safe_pip.index.client import fetch_index_files

    return unless_fail_open(
        lambda: fetch_index_files(
            index_urls,
            names,
            settings=settings,
            request_deadline=policy.request_deadline,
            run_deadline=policy.run_deadline,
            statuses=statuses,
        ),
        policy,
        notes,
    )


def _not_on_any_index_notes(
    items: Sequence[PlanItem],
    matchers: Mapping[str, FileMatcher],
    local_links: Set[str] = frozenset(),
) -> list[str]:
    """Say so when an index artifact is on no index page that was read (--no-index,
    --find-links, an index that does not list the file): its hash could not be compared with
    an index's, and that must not pass silently."""
    unlisted = sorted(
        item.spec
        for item in items
        if item.source is ArtifactSource.INDEX
        and not _listed_by_an_index(item, matchers.get(item.name, _NO_FILES), local_links)
    )
    if not unlisted:
        return []
    return [
        "not on any index page safe-pip could read (--no-index, --find-links, an index "
        f"that was skipped), so the index hash could not be compared: {', '.join(unlisted)}"
    ]


def _listed_by_an_index(item: PlanItem, files: FileMatcher, local_links: Set[str]) -> bool:
    """Is the item's file on a page that was read, other than a local find-links
    directory's listing (which publishes no hash of its own)?"""
    match = files.match(item)
    if match is None:
        return False
    listed = [match, *files.same_name(match)]
    return any(index_identity(file.index_url) not in local_links for file in listed)


def with_index_facts(item: PlanItem, files: FileMatcher) -> PlanItem:
    """Fill in what the index page knows and the producer did not: which index, yanked,
    uploaded when."""
    match = files.match(item)
    if match is None:
        return item
    # The page is the authority: what it says is never lost to what the producer read
    # (pip's reading of a valueless data-yanked, a lock file without yanked status).
    return replace(
        item,
        index_url=item.index_url or match.index_url,
        yanked=match.yanked or bool(item.yanked),
        yanked_reason=match.yanked_reason or item.yanked_reason,
        upload_time=match.upload_time
        or item.upload_time
        or _mirrored_upload_time(match, files.same_name(match)),
    )


def _mirrored_upload_time(match: IndexFile, same_name: Sequence[IndexFile]) -> str | None:
    """A mirror's page (a PEP 503 page, a ``file://`` tree) often gives no upload time; when
    another configured index lists the very same file (same name and sha256), its upload time
    is the file's. With several, the latest: the release-age check errs on the young side."""
    if match.sha256 is None:
        return None
    moments = {
        moment: file.upload_time
        for file in same_name
        if file.sha256 == match.sha256 and (moment := parse_timestamp(file.upload_time)) is not None
    }
    return moments[max(moments)] if moments else None


class _NoSeenHashes:
    """Stands in for the trust-on-first-use record when fail-mode is open and it is unusable."""

    def lookup(self, filename: str) -> None:
        return None

    def first_index(self, name: str) -> None:
        return None

    def record(self, items: Sequence[PlanItem]) -> int:
        return 0

    def close(self) -> None:
        pass


class _NoAdvisories:
    """Stands in for the database when fail-mode is open and it could not be opened."""

    def matches(self, name: str, version: str) -> list[AdvisoryMatch]:
        return []


_NO_ADVISORIES = _NoAdvisories()
_NO_FILES = FileMatcher(())
# Advisory ids (PYSEC-2021-7, GHSA-xxxx-..., CVE-2024-1, MAL-...) as opposed to safe-pip's own
# check ids (YANKED, HASH-INDEX, TOO-NEW: no digits), which no database lists.
_ADVISORY_ID = re.compile(r"(GHSA-|[A-Za-z]+-\d)")

T = TypeVar("T")


def unless_fail_open(load: Callable[[], T], policy: Policy, notes: list[str]) -> T | None:
    """Run ``load``; on failure re-raise when fail-closed, else note it and return None."""
    try:
        return load()
    except CannotCheckError as exc:
        if not policy.fails_open:
            raise
        notes.append(f"check skipped (fail-mode is open): {exc}")
        return None


def unknown_ignore_notes(advisories: AdvisoryDatabase, policy: Policy) -> list[str]:
    """A warning for each ignore naming an advisory id the database does not know (a typo,
    or an id from another ecosystem): it would silently never match."""
    unknown = [
        rule
        for rule in policy.ignore
        if _ADVISORY_ID.match(rule.id) and not advisories.knows(rule.id)
    ]
    return [
        f"ignore {rule.id}"
        + (f" ({rule.source})" if rule.source else "")
        + " matches no advisory in the database: check the id (ids and aliases such as "
        "PYSEC-, GHSA-, CVE- are accepted)"
        for rule in unknown
    ]


def _staleness_notes(advisories: AdvisoryDatabase, policy: Policy) -> list[str]:
    """One warning when the advisory data is older than ``max-db-age-days``, with the
    command that refreshes it (printed once per run: ``report`` drops repeated notes)."""
    status = advisories.status()
    age_days = status.data_age.days
    if not policy.database_is_stale(age_days):
        return []
    newest = [s.newest_modified for s in status.sources if s.newest_modified is not None]
    since = f", newest record {max(newest):%Y-%m-%d}" if newest else ""
    return [
        f"advisory data is {age_days} days old{since} (max-db-age-days = "
        f"{policy.max_db_age_days}): refresh it with `safe-pip db update` (an OSV export of "
        "your own: `safe-pip db update --source PATH_OR_URL`)"
    ]


def one_item_per_version(result: GuardResult) -> GuardResult:
    """The same verdict with one plan item per (name, version) and no repeated decision."""
    firsts: dict[tuple[str, str], PlanItem] = {}
    for item in result.verdict.plan:
        firsts.setdefault((item.name, item.version), item)
    decisions = list(dict.fromkeys(result.verdict.decisions))
    verdict = Verdict(plan=list(firsts.values()), decisions=decisions)
    return GuardResult(
        verdict=verdict,
        notes=list(dict.fromkeys(result.notes)),
        skipped=list(dict.fromkeys(result.skipped)),
    )
