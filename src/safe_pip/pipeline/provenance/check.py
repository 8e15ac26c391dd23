"""The provenance check of the files about to be installed.

For each downloaded index file: the index page's ``provenance`` link (PEP 740; ``data-
provenance`` in HTML) is fetched and verified against the file. Then, against the project's
first-seen publisher (``project_history``):

``PUBLISHER-CHANGED``   (blocks) the file verifies, but from another repository or workflow
                        than the project's first attested release;
``ATTESTATION-DROPPED`` (``attestation-dropped``, warns) earlier releases were attested, this
                        file is not;
``ATTESTATION-INVALID`` (blocks) the provenance does not verify against the file;
``PROVENANCE-MISSING``  (blocks) ``require-provenance`` names the project and there is no
                        verified provenance.

Without the ``provenance`` extra nothing is verified and a note says so (a project named by
``require-provenance`` is then ``PROVENANCE-MISSING``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from packaging.utils import canonicalize_name

from safe_pip.index.files import IndexFile
from safe_pip.index.settings import IndexSettings
from safe_pip.models import Category, Finding, PlanItem, Verdict
from safe_pip.pipeline.check_plan import GuardResult, unless_fail_open
from safe_pip.pipeline.policy import (
    ATTESTATION_DROPPED_ID,
    ATTESTATION_INVALID_ID,
    PROVENANCE_MISSING_ID,
    PUBLISHER_CHANGED_ID,
    Policy,
    decide,
)
from safe_pip.pipeline.project_history import ProjectHistory
from safe_pip.pipeline.provenance.verify import (
    EXTRA_HINT,
    InvalidProvenance,
    ProvenanceUnavailable,
    Publisher,
    available,
    verify_provenance,
)

SKIPPED_NOTE = f"PEP 740 provenance was not verified: {EXTRA_HINT}"


@dataclass(frozen=True)
class DownloadedFile:
    """A plan item and the file the installer got for it (the bytes that were hash-checked)."""

    item: PlanItem
    path: Path


@dataclass
class ProvenanceOutcome:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # name -> (version, publisher values) of verified files, for the first-seen record
    publishers: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def provenance_findings(
    files: Sequence[DownloadedFile],
    pages: Mapping[str, Sequence[IndexFile]],
    documents: Mapping[str, bytes | None],
    history: ProjectHistory | None,
    policy: Policy,
) -> ProvenanceOutcome:
    """``pages``: the index files of each project; ``documents``: provenance URL -> bytes
    (None: not served)."""
    outcome = ProvenanceOutcome()
    can_verify = available()
    for file in files:
        item = file.item
        name = canonicalize_name(item.name)
        entry = _entry(item, pages.get(name, ()))
        url = entry.provenance if entry is not None else None
        first = history.first_publisher(name) if history is not None else None

        def finding(finding_id: str, summary: str, item: PlanItem = item) -> Finding:
            return Finding(item.name, item.version, Category.PROVENANCE, finding_id, summary)

        required = name in policy.require_provenance
        if url is None:
            if first is not None:
                summary = (
                    f"no attestation, but earlier releases were attested (first: {first.version} "
                    f"by {Publisher.from_values(first.values).describe()})"
                )
                outcome.findings.append(finding(ATTESTATION_DROPPED_ID, summary))
            if required:
                outcome.findings.append(
                    finding(PROVENANCE_MISSING_ID, "require-provenance names it; none is served")
                )
            continue
        if not can_verify:
            if SKIPPED_NOTE not in outcome.notes:
                outcome.notes.append(SKIPPED_NOTE)
            if required:
                outcome.findings.append(finding(PROVENANCE_MISSING_ID, SKIPPED_NOTE))
            continue
        document = documents.get(url)
        if document is None:
            summary = f"the index links a provenance it does not serve ({url})"
            outcome.findings.append(finding(ATTESTATION_INVALID_ID, summary))
            continue
        try:
            publishers = verify_provenance(document, file.path)
        except InvalidProvenance as exc:
            outcome.findings.append(finding(ATTESTATION_INVALID_ID, f"does not verify: {exc}"))
            continue
        except ProvenanceUnavailable:
            outcome.notes.append(SKIPPED_NOTE)
            continue
        if first is not None:
            before = Publisher.from_values(first.values)
            if all(p.identity != before.identity for p in publishers):
                summary = (
                    f"published by {publishers[0].describe()}; first seen {first.version} by "
                    f"{before.describe()}"
                )
                outcome.findings.append(finding(PUBLISHER_CHANGED_ID, summary))
        elif publishers:
            outcome.publishers[name] = (item.version, publishers[0].to_values())
    return outcome


def _entry(item: PlanItem, files: Sequence[IndexFile]) -> IndexFile | None:
    same = [f for f in files if f.filename == item.filename]
    if item.index_url:
        own = [f for f in same if f.index_url.rstrip("/") == item.index_url.rstrip("/")]
        same = own or same
    return same[0] if same else None


def _must_look(name: str, policy: Policy, history: ProjectHistory | None) -> bool:
    name = canonicalize_name(name)
    if name in policy.require_provenance:
        return True
    return history is not None and history.first_publisher(name) is not None


def check_provenance(
    files: Sequence[DownloadedFile],
    policy: Policy,
    settings: IndexSettings,
    *,
    pages: Mapping[str, Sequence[IndexFile]] | None = None,
    now: datetime | None = None,
    record: bool = True,
    history_path: Path | None = None,
) -> GuardResult:
    """Fetch the provenance of ``files`` (and their index pages, unless ``pages`` are given:
    the entries the installer read), verify, decide with ``policy``; when nothing blocks and
    ``record`` is true, remember each project's first attested publisher."""
    from safe_pip.index.client import fetch_index_files, fetch_small_files

    now = now or datetime.now(timezone.utc)
    notes: list[str] = []
    files = [f for f in files if f.item.filename and f.item.filename == f.path.name]
    items = [f.item for f in files]
    history = unless_fail_open(lambda: ProjectHistory.open(history_path), policy, notes)
    if not available():
        # nothing can be verified: only a project that was attested before (dropped?) or
        # that must be attested is worth reading its page for
        files = [f for f in files if _must_look(f.item.name, policy, history)]
    if not files or (pages is None and not settings.index_urls):
        if history is not None:
            history.close()
        return GuardResult(verdict=Verdict(plan=items), notes=notes)

    def read() -> tuple[Mapping[str, Sequence[IndexFile]], dict[str, bytes | None]]:
        read_pages: Mapping[str, Sequence[IndexFile]] = (
            pages
            if pages is not None
            else fetch_index_files(
                settings.index_urls,
                [f.item.name for f in files],
                settings=settings,
                request_deadline=policy.request_deadline,
                run_deadline=policy.run_deadline,
            )
        )
        urls = [
            entry.provenance
            for f in files
            for entry in [_entry(f.item, read_pages.get(canonicalize_name(f.item.name), ()))]
            if entry is not None and entry.provenance
        ]
        documents = fetch_small_files(urls, settings=settings) if urls and available() else {}
        return read_pages, documents

    try:
        read_data = unless_fail_open(read, policy, notes)
        if read_data is None:
            return GuardResult(verdict=Verdict(plan=items), notes=notes)
        pages, documents = read_data
        outcome = provenance_findings(files, pages, documents, history, policy)
        verdict = Verdict(plan=items, decisions=decide(outcome.findings, policy, now.date()))
        if record and history is not None and not verdict.blocked and outcome.publishers:
            history_ = history
            unless_fail_open(
                lambda: history_.record_publishers(outcome.publishers, now), policy, notes
            )
        return GuardResult(verdict=verdict, notes=[*notes, *outcome.notes])
    finally:
        if history is not None:
            history.close()
