"""Check lock files: read them, pin what is unpinned, and run the shared checks once.

Every file a lock lists is checked against the index; the verdict then reports one item per
package version (``check_plan.one_item_per_version``). Nothing is downloaded or installed, and no
hash is recorded for trust-on-first-use (a lock's hashes are claims, not observations).

A requirements file whose every line is an exact pin (``pip freeze``) is checked as written:
each pin stands for the files its version publishes, and the dependencies its wheels' index
metadata names that the file does not pin are named in a note (``pin_dependencies``).
Anything else a resolver must pin goes to the installer (``LockResolver``, given by the
command: pip's dry run, ``installers.pip.lock_resolution``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Protocol

from safe_pip.console import show_installer_output
from safe_pip.errors import SafePipError, UsageError
from safe_pip.index.files import IndexFile, ProjectStatus
from safe_pip.index.settings import IndexSettings
from safe_pip.models import ArtifactSource, Decision, PlanItem, Verdict
from safe_pip.pipeline.check_plan import (
    GuardResult,
    check_plan,
    one_item_per_version,
    read_index_pages,
)
from safe_pip.pipeline.dependency_paths import attach_required_by
from safe_pip.pipeline.policy import Policy, decide
from safe_pip.producers.lockfiles.detect import read_lock_file
from safe_pip.producers.lockfiles.index_match import attach_file_names
from safe_pip.producers.lockfiles.model import LockFile, LockKind
from safe_pip.producers.lockfiles.pin_dependencies import unpinned_dependency_notes
from safe_pip.producers.lockfiles.plan import to_plan


class LockResolver(Protocol):
    """What checking a lock needs from the installer that would install it."""

    def resolve(
        self, lock: LockFile, policy: Policy, notes: list[str]
    ) -> tuple[list[PlanItem], list[Decision]]:
        """Items for ``lock.unresolved`` (and decisions that stopped the resolution)."""
        ...

    def index_settings(
        self, *, required: bool, meanwhile: Callable[[], object] | None = None
    ) -> IndexSettings | None:
        """The installer's index URLs and network settings (``meanwhile`` runs while it
        works them out); None when it has none and they are not ``required``."""
        ...

    def marker_environment(self) -> Mapping[str, str]:
        """The target environment's values for environment markers."""
        ...


class UnresolvableFile(Exception):
    """Raised by a ``LockResolver`` when the installer cannot resolve a file that has exact
    pins among other lines: ``error`` is its failure told in the file's own terms."""

    def __init__(self, error: SafePipError) -> None:
        super().__init__(str(error))
        self.error = error


def check_lock_files(
    files: Sequence[Path],
    policy: Policy,
    *,
    resolver: LockResolver | None = None,
    index_urls: Sequence[str] = (),
    index_settings: IndexSettings | None = None,
) -> GuardResult:
    """``resolver``: resolves lines only a resolver can pin, and gives the installer's index
    and network settings (without one, such lines are a usage error); ``index_urls``: where
    to verify hashes when a file names no index (default: the installer's);
    ``index_settings``: the network settings to read indexes with (default: the resolver's;
    the uv front end passes uv's)."""
    items: list[PlanItem] = []
    urls: list[str] = list(index_urls)
    needs_default_index = False
    audit_decisions: list[Decision] = []
    audit_notes: list[str] = []
    as_written: list[LockFile] = []
    failures: list[SafePipError] = []  # files pip could not resolve (their pins were checked)
    for lock in (read_lock_file(path) for path in files):
        lock_items = to_plan(lock.packages, requested=lock.requested)
        if lock.dependencies:
            lock_items = attach_required_by(lock_items, lock.dependencies)
        if lock.unresolved and only_exact_pins(lock):
            lock_items += to_plan(lock.exact_pins)
            as_written.append(lock)
        elif lock.unresolved:
            if resolver is None:
                raise UsageError(f"{lock.path}: only exact pins can be checked here")
            try:
                resolved, stops = resolver.resolve(lock, policy, audit_notes)
            except UnresolvableFile as unresolvable:
                # pip's error, in the user's file and lines; the exact pins still name their
                # versions: checked as written, and the error stands unless one blocks
                show_installer_output(unresolvable.error.details)
                audit_notes.append(
                    f"{unresolvable.error}; checked the exact pins as written, without their "
                    "dependencies"
                )
                failures.append(unresolvable.error)
                resolved, stops = to_plan(lock.exact_pins), []
            lock_items += resolved
            audit_decisions += stops
        urls += lock.index_urls
        if lock.kind is LockKind.REQUIREMENTS:
            needs_default_index |= not lock.index_urls and _any_from_index(lock_items)
        else:
            needs_default_index |= _any_from_index(i for i in lock_items if not i.index_url)
        items += lock_items
    if not items:
        if failures:
            raise failures[0]
        return GuardResult(verdict=Verdict(plan=[], decisions=audit_decisions), notes=audit_notes)
    settings = index_settings
    if settings is None and resolver is not None and _any_from_index(items):
        # pip's index and network settings (CA bundle, proxy, trusted hosts) for the target:
        # the same ones an install would use to reach these indexes.
        required = needs_default_index and not index_urls
        settings = resolver.index_settings(required=required, meanwhile=_import_http_client)
        if settings is not None and needs_default_index and not index_urls:
            urls += settings.index_urls
    urls = list(dict.fromkeys(urls))
    notes: list[str] = []
    statuses: list[ProjectStatus] = []
    pages = _index_pages(items, urls, policy, notes, settings, statuses)  # once per run
    items, hash_findings = attach_file_names(items, pages)
    for lock in as_written:
        environment = resolver.marker_environment() if resolver is not None else None
        notes += unpinned_dependency_notes(lock, items, settings, environment)
    result = check_plan(
        items, policy, urls, record_seen=False, index_files=pages, project_statuses=statuses
    )
    result.verdict.decisions.extend(decide(hash_findings, policy, date.today()))
    result.verdict.decisions.extend(audit_decisions)
    result.notes[:0] = [*audit_notes, *notes]
    if failures and not result.verdict.blocked:
        raise failures[0]  # the pins pass, but the rest of the file could not be checked
    return one_item_per_version(result)


def only_exact_pins(lock: LockFile) -> bool:
    """Is every requirement of ``lock`` an exact pin (``name==version``, hashed or not, no
    marker, no URL)? Such a file is checked as written: no resolver is needed."""
    return len(lock.exact_pins) == len(lock.unresolved)


def _index_pages(
    items: list[PlanItem],
    index_urls: list[str],
    policy: Policy,
    notes: list[str],
    settings: IndexSettings | None,
    statuses: list[ProjectStatus],
) -> dict[str, list[IndexFile]]:
    """The index pages of every index artifact, read once: requirement pins need them to
    find their files' names, and every check after that reads the same pages (and the PEP
    792 status markers they carry, appended to ``statuses``)."""
    names = sorted({item.name for item in items if item.source is ArtifactSource.INDEX})
    if not names or not index_urls:
        return {}
    return read_index_pages(index_urls, names, policy, notes, settings, statuses=statuses) or {}


def _any_from_index(items: Iterable[PlanItem]) -> bool:
    return any(item.source is ArtifactSource.INDEX for item in items)


def _import_http_client() -> None:
    """httpx, which reading the index pages needs: its import (40-90 ms) overlaps the wait
    for pip's settings instead of following it."""
    import httpx  # noqa: F401
