"""Check lock files: read them, pin what is unpinned, and run the shared checks once.

Every file a lock lists is checked against the index; the verdict then reports one item per
package version (``check_plan.one_item_per_version``). Nothing is downloaded or installed, and no
hash is recorded for trust-on-first-use (a lock's hashes are claims, not observations).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path

from safe_pip.errors import PipError, UnsatisfiableError
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
from safe_pip.producers.lockfiles.plan import to_plan


def check_lock_files(
    files: Sequence[Path],
    policy: Policy,
    *,
    python: str | None = None,
    index_urls: Sequence[str] = (),
    index_settings: IndexSettings | None = None,
) -> GuardResult:
    """``python``: interpreter for resolving unpinned requirements (default: the target one);
    ``index_urls``: where to verify hashes when a file names no index (default: pip's);
    ``index_settings``: the network settings to read indexes with (default: the target pip's;
    the uv front end passes uv's)."""
    from safe_pip.installers.target_python import resolve_target_python

    target: str | None = None
    items: list[PlanItem] = []
    urls: list[str] = list(index_urls)
    needs_default_index = False
    audit_decisions: list[Decision] = []
    audit_notes: list[str] = []
    for lock in (read_lock_file(path) for path in files):
        lock_items = to_plan(lock.packages, requested=lock.requested)
        if lock.dependencies:
            lock_items = attach_required_by(lock_items, lock.dependencies)
        if lock.unresolved:
            target = target or resolve_target_python(python)
            resolved, stops = resolve_unresolved(lock, target, policy, audit_notes)
            lock_items += resolved
            audit_decisions += stops
        urls += lock.index_urls
        if lock.kind is LockKind.REQUIREMENTS:
            needs_default_index |= not lock.index_urls and _any_from_index(lock_items)
        else:
            needs_default_index |= _any_from_index(i for i in lock_items if not i.index_url)
        items += lock_items
    if not items:
        return GuardResult(verdict=Verdict(plan=[], decisions=audit_decisions), notes=audit_notes)
    settings = index_settings
    if settings is None and _any_from_index(items):
        # pip's index and network settings (CA bundle, proxy, trusted hosts) for the target:
        # the same ones an install would use to reach these indexes.
        target = target or resolve_target_python(python)
        required = needs_default_index and not index_urls
        settings = pip_settings(target, required=required, meanwhile=_import_http_client)
        if settings is not None and needs_default_index and not index_urls:
            urls += settings.index_urls
    urls = list(dict.fromkeys(urls))
    notes: list[str] = []
    statuses: list[ProjectStatus] = []
    pages = _index_pages(items, urls, policy, notes, settings, statuses)  # once per run
    items, hash_findings = attach_file_names(items, pages)
    result = check_plan(
        items, policy, urls, record_seen=False, index_files=pages, project_statuses=statuses
    )
    result.verdict.decisions.extend(decide(hash_findings, policy, date.today()))
    result.verdict.decisions.extend(audit_decisions)
    result.notes[:0] = [*audit_notes, *notes]
    return one_item_per_version(result)


def resolve_unresolved(
    lock: LockFile, python: str, policy: Policy, notes: list[str]
) -> tuple[list[PlanItem], list[Decision]]:
    """Resolve ``lock.unresolved`` with pip's dry run, guarded as an install is and building
    nothing; complete pins are constraints. Returns the resolved items and the decisions that
    stopped the resolution early (a blocked candidate, ``NEEDS-BUILD``).

    Items for packages the file pins completely are left out (they are checked as pinned).
    Exact pins the resolution did not reach (it stopped early, or pip could not resolve a
    file of nothing but exact pins: conflicting pins still name their versions) are checked
    as written, with a note in ``notes``.
    """
    from safe_pip.installers.pip.one_pass import audit

    pinned_versions: dict[str, set[str]] = {}
    for package in lock.packages:
        pinned_versions.setdefault(package.name, set()).add(package.version)
    constraints = [f"{name}=={v.pop()}" for name, v in pinned_versions.items() if len(v) == 1]
    with tempfile.TemporaryDirectory(prefix="safe-pip-check-") as tmp:
        requirements_file = Path(tmp) / "requirements.txt"
        requirements_file.write_text("\n".join([*lock.resolver_options, *lock.unresolved]) + "\n")
        constraints_file = Path(tmp) / "constraints.txt"
        constraints_file.write_text("\n".join(constraints) + "\n")
        args = ["--ignore-installed", "-r", str(requirements_file), "-c", str(constraints_file)]
        for extra in lock.constraint_files:
            args += ["-c", str(extra)]
        try:
            found = audit(python, args, policy)
        except (PipError, UnsatisfiableError) as exc:
            # conflicting pins, or a pinned version pip finds no distribution of for this
            # Python (an old release): each pin still names its version
            if len(lock.exact_pins) < len(lock.unresolved):
                raise  # a range or a URL that nothing but a resolver can pin
            notes.append(f"{exc}; checked the pinned versions as written")
            return to_plan(lock.exact_pins), []
    items = [item for item in found.items if item.name not in pinned_versions]
    reached = {item.name for item in items} | {d.finding.name for d in found.decisions}
    as_written = [pin for pin in lock.exact_pins if pin.name not in reached]
    if as_written:
        notes.append(
            "the resolution stopped early: checked "
            f"{', '.join(f'{pin.name}=={pin.version}' for pin in as_written)} as written, "
            "without their dependencies"
        )
    return items + to_plan(as_written), found.decisions


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


def pip_settings(
    python: str, *, required: bool, meanwhile: Callable[[], object] | None = None
) -> IndexSettings | None:
    """pip's configured index URLs and network settings for ``python``: what an install would
    have used. Without pip in that environment (e.g. a uv-made venv) the lock file's own index
    URLs are still checked, with default network settings, unless pip's index is ``required``.
    ``meanwhile`` runs while the target pip works out its answer (~0.1 s of waiting)."""
    from safe_pip.installers.pip.args import parse_install_args
    from safe_pip.installers.pip.config import start_effective_index_urls

    try:
        with start_effective_index_urls(python, parse_install_args([])) as pending:
            if meanwhile is not None:
                meanwhile()
            return pending.result()
    except PipError:
        if required:
            raise
        return None


def _import_http_client() -> None:
    """httpx, which reading the index pages needs: its import (40-90 ms) overlaps the wait
    for pip's settings instead of following it."""
    import httpx  # noqa: F401
