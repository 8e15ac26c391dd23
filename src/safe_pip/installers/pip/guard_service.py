"""safe-pip's side of the guard inside pip: answer the questions the guard asks while pip runs.

The guard (``hook/runtime/pip_patch.py``) asks, one JSON object per question:

``candidates``  the files pip may choose for one project; with steering on (``resolve =
                "avoid"``) the answer names those policy blocks, and pip never sees them;
``gate``        one distribution pip is about to download, prepare or build;
``check``       the resolved set (the install, or build dependencies): the full check;
``failed``      pip's resolution failed: if steering removed every version a requirement
                allows, that is a block, reported with what was removed;
``inspect``     the wheels pip is about to install (after their hash check, before pip
                writes anything): what they carry (``pipeline.contents``);
``needs-build`` (audits) resolving would run an sdist's build: a ``NEEDS-BUILD`` finding;
``refuse``      the guard refuses pip's command line (a usage error);
``unsupported`` the guard does not recognise this pip (``safe-pip install`` prints the one
                line: the error, or the fail-open fallback's warning);
``unchecked``   pip installed something the full check did not allow (the guard's backstop at
                the end of the run): could not check, exit 3;
``origin``      (the hook) the interpreter and the user's pip command, for the decision log.

Every answer carries ``exit_code`` (0 go on, 1 blocked, 3 could not check). Reports are
printed here (``safe-pip install``: this process owns the terminal) or returned as text for
the guard to print (the hook's ``guard-serve`` checker, whose stdout is the channel).

The advisory database and the seen-hashes record are opened by ``preload`` in a thread while
pip starts and resolves; a question waits for them.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from safe_pip import exit_codes
from safe_pip.advisories.database import AdvisoryDatabase
from safe_pip.console import say
from safe_pip.errors import CannotCheckError, SafePipError, UsageError
from safe_pip.index.files import FileMatcher, IndexFile, ProjectStatus
from safe_pip.index.settings import IndexSettings, settings_from_json
from safe_pip.installers.pip.page_facts import PipPages, ProjectFacts
from safe_pip.models import (
    Action,
    ArtifactSource,
    Category,
    Decision,
    Finding,
    PlanItem,
    Verdict,
    plan_from_json,
)
from safe_pip.pipeline import decision_log
from safe_pip.pipeline.candidates import Candidate as ResolverCandidate
from safe_pip.pipeline.candidates import CandidateJudge, candidate_blockers
from safe_pip.pipeline.check_plan import (
    GuardResult,
    check_plan,
    unless_fail_open,
    with_index_facts,
)
from safe_pip.pipeline.checks import AdvisoryMatchLike
from safe_pip.pipeline.confusion import ConfusionRule
from safe_pip.pipeline.dependency_paths import (
    attach_required_by,
    requirement_names,
    requirements_in_effect,
)
from safe_pip.pipeline.gate import Candidate, candidate_decisions, candidate_from_json, is_allowed
from safe_pip.pipeline.policy import Policy
from safe_pip.pipeline.report import print_verdict
from safe_pip.pipeline.report_options import ReportOptions
from safe_pip.pipeline.seen_hashes import SeenHashes
from safe_pip.times import parse_timestamp

NEEDS_BUILD_ID = "NEEDS-BUILD"
BUILD_DEPENDENCIES_STEP = "build dependencies"
# How pip names a requirement it found no version for ("... for vulnlib<1.1").
_UNSATISFIED = re.compile(
    r"(?:satisfies the requirement|No matching distribution found for) ([^\s(]+)"
)
MAX_AVOIDED_VERSIONS_SHOWN = 3


@dataclass
class Avoided:
    """One version steering kept from pip, and why."""

    version: str
    ids: tuple[str, ...]  # what blocks it (the report recomputes the decisions, with fixes)
    item: PlanItem


@dataclass
class GuardOutcome:
    """What the guard saw during one pip run (read by the front end after pip ends)."""

    main_result: GuardResult | None = None  # the full check of the install plan
    stop_result: GuardResult | None = None  # the verdict that stopped pip, if one did
    stop_code: int = exit_codes.OK
    error: str | None = None  # a check that could not run (exit 3), one line
    usage_error: str | None = None  # the guard refused the command line (exit 2)
    dry_run: bool = False  # pip was run with --dry-run
    failed_index: IndexSettings | None = None  # where pip looked when its resolution failed
    steering_notes: list[str] = field(default_factory=list)
    audit_items: list[Any] = field(default_factory=list)  # audits: the resolved plan
    needs_build: list[Decision] = field(default_factory=list)
    unsupported: str | None = None  # the guard does not recognise this pip (why, one line)


class GuardService:
    """Answers the guard's questions for one pip run (and the pips it starts)."""

    def __init__(
        self,
        policy: Policy,
        *,
        print_reports: bool,
        report: ReportOptions | None = None,
        audit: bool = False,
        now: datetime | None = None,
    ) -> None:
        self.policy = policy
        self.outcome = GuardOutcome()
        self._print_reports = print_reports
        self._report_options = report or ReportOptions()
        self._audit = audit
        self._now = now or datetime.now(timezone.utc)
        self._lock = threading.Lock()  # one question at a time, whichever connection asks
        self._loaded = threading.Event()
        self._preloading = False
        self._load_error: str | None = None
        self._notes: list[str] = []
        self._advisories: AdvisoryDatabase | None = None
        self._seen: SeenHashes | None = None
        self._avoided: dict[str, list[Avoided]] = {}
        # projects whose exact pin policy blocks: steering leaves them alone (the gate blocks)
        self._pinned_blocked: set[str] = set()
        self._pages = PipPages()  # the pages pip read, in safe-pip's own reading
        self._index_settings: IndexSettings | None = None  # how pip reached its indexes
        # the install's page entries, in safe-pip's reading (provenance links among them)
        self._page_files: Mapping[str, Sequence[IndexFile]] = {}

    @classmethod
    def refusing(cls, error: SafePipError) -> GuardService:
        """A service that answers every question with ``error`` (the policy could not be
        loaded): pip stops at once, and the front end reports the error as its one line."""
        service = cls(Policy(), print_reports=True)
        if isinstance(error, UsageError):
            service.outcome.usage_error = str(error)
            service.outcome.stop_code = exit_codes.USAGE
        else:
            service.outcome.error = str(error)
            service.outcome.stop_code = exit_codes.CANNOT_CHECK
        return service

    # ------------------------------------------------------------ lifecycle

    def preload(self) -> None:
        """Start opening the advisory database and the seen-hashes record; returns at once.
        Questions wait until they are open, and are answered one at a time (one lock), in the
        thread of the connection that asks: no hand-over to another thread per question."""
        self._preloading = True
        threading.Thread(target=self._open_data, daemon=True, name="safe-pip-preload").start()
        threading.Thread(target=_prepare_answers, daemon=True, name="safe-pip-prepare").start()

    def _open_data(self) -> None:
        try:
            with self._lock:
                self._advisories = unless_fail_open(AdvisoryDatabase.open, self.policy, self._notes)
                self._seen = unless_fail_open(SeenHashes.open, self.policy, self._notes)
        except SafePipError as exc:
            self._load_error = str(exc)
        finally:
            self._loaded.set()

    def close(self) -> None:
        self._wait_for_data()
        with self._lock:
            self._close_data()
            self._pages.close()

    def _wait_for_data(self) -> None:
        if self._preloading:
            self._loaded.wait()

    def _close_data(self) -> None:
        if self._advisories is not None:
            self._advisories.close()
        if self._seen is not None:
            self._seen.close()

    # ------------------------------------------------------------ questions

    def handle(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The answer to one question; never raises for bad input (``error`` instead)."""
        self._wait_for_data()
        with self._lock:
            return self._handle(request)

    def _handle(self, request: Mapping[str, Any]) -> dict[str, Any]:
        handlers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "candidates": self._candidates,
            "gate": self._gate,
            "check": self._check,
            "failed": self._failed,
            "needs-build": self._needs_build,
            "inspect": self._inspect,
            "refuse": self._refuse,
            "unchecked": self._unchecked,
            "unsupported": self._unsupported,
            "origin": self._origin,
        }
        handler = handlers.get(str(request.get("op")))
        if handler is None:
            return {"error": f"unknown question {request.get('op')!r}"}
        if self.outcome.stop_code in (exit_codes.USAGE, exit_codes.CANNOT_CHECK):
            return {"exit_code": self.outcome.stop_code}  # a stop is final
        try:
            self._pages.take(request)
            answered_unready = ("failed", "refuse", "origin", "unchecked", "unsupported")
            if request.get("op") not in answered_unready and not self._ready():
                return self._cannot_check(str(self._load_error))
            return handler(request)
        except CannotCheckError as exc:
            return self._cannot_check(str(exc))
        except (KeyError, TypeError, ValueError) as exc:
            return {"error": f"safe-pip could not read the guard's question: {exc}"}
        except SafePipError as exc:  # e.g. a policy or index error found while answering
            if exc.exit_code == exit_codes.USAGE:
                self.outcome.usage_error = str(exc)
                return self._stop_with(exit_codes.USAGE, str(exc))
            return self._cannot_check(str(exc))
        except Exception as exc:  # anything else: a stop with one line, never a traceback
            return self._cannot_check(f"checking failed ({type(exc).__name__}: {exc})")

    def _ready(self) -> bool:
        return self._load_error is None  # the data was opened (or failed to) before any question

    def _candidates(self, request: Mapping[str, Any]) -> dict[str, Any]:
        # An audit reports what pip would choose unguarded; steering is an install's business.
        name = canonicalize_name(str(request["name"]))
        if not self.policy.steers or self._audit or name in self._pinned_blocked:
            return {"exit_code": 0, "remove": []}
        from safe_pip.index.client import few_collections

        # Thousands of files and versions, nearly all kept for the run: the collector's
        # passes over them would find nothing to free.
        with few_collections():
            return self._steering_answer(name, request)

    def _steering_answer(self, name: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """The positions of the listed candidates policy blocks (what pip must not see)."""
        pinned = request.get("pinned")
        listed = request["candidates"]  # [version, yanked, reason, upload time] per file
        versions = [str(version) for version, *_ in listed]  # ValueError: an empty entry
        verdicts = self._listed_verdicts(name, versions)
        remove: list[int] = []
        for position, (version, entry) in enumerate(zip(versions, listed)):
            _, yanked, reason, upload_time = entry
            avoided = verdicts.of(version, bool(yanked), reason, upload_time)
            if avoided is None:
                continue
            if pinned is not None and _same_version(version, str(pinned)):
                # The user asked for exactly this version, which policy blocks: steering
                # steps aside for this project only, so the gate reports its findings (before
                # anything of it is downloaded) instead of pip's "Could not find a version";
                # every other project is still steered.
                self._pinned_blocked.add(name)
                self._avoided.pop(name, None)
                return {"exit_code": 0, "remove": []}
            remove.append(position)
            self._avoided.setdefault(name, []).append(avoided)
        return {"exit_code": 0, "remove": remove}

    def _listed_verdicts(self, name: str, versions: Sequence[str]) -> _ListedVerdicts:
        """How steering judges the versions pip lists for ``name``: on the word of the pages
        pip read when they are all known (a version on none of them: a local file), else on
        pip's. Every listed version's advisories are looked up at once; fixed versions only
        for what is reported (``_failed``)."""
        advisories = self._advisories or _NoAdvisories()
        matches = advisories.matches_for_versions(name, versions)
        facts = self._pages.project(name)
        own = _VersionFacts(facts) if facts is not None else None
        return _ListedVerdicts(name, CandidateJudge(self.policy, self._now), matches, own)

    def _gate(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Everything that blocks and is known before download (vulnerabilities included:
        with steering on, pip only gets here with a version steering allowed or an exact pin)
        stops pip before it downloads, prepares or builds this distribution, judged on
        safe-pip's own reading of the pages pip read. An audit, which never builds, leaves
        vulnerabilities to its check of the whole resolved plan."""
        candidate, facts = self._own_reading(candidate_from_json(request["item"]))
        decisions = self._decisions(candidate, facts, request)
        if self._audit:  # nothing is ever built in an audit: it reports the whole plan
            decisions = [d for d in decisions if d.finding.category is not Category.VULNERABILITY]
        if is_allowed(decisions):
            return {"exit_code": 0}
        verdict = Verdict(plan=[candidate.item], decisions=_blocking(decisions))
        return self._stop(GuardResult(verdict=verdict, notes=list(self._notes)), request)

    def _check(self, request: Mapping[str, Any]) -> dict[str, Any]:
        plan = request["plan"]
        items, index_urls = plan_from_json(plan)
        settings = settings_from_json(plan.get("network"), index_urls)
        if self._audit and request.get("context") == "install":
            self.outcome.audit_items = items
            return {"exit_code": 0}
        build = request.get("context") == "build"
        if not items:
            if not build:
                self.outcome.main_result = GuardResult(verdict=Verdict(plan=[]))
            return {"exit_code": 0}
        # Yanked status, upload times and project status come from safe-pip's reading of
        # the pages pip read (every index's and find-links location's, for dependency
        # confusion too), never from pip's; when pip could not read one of them, the check
        # reads every index's page itself.
        items = [_without_pips_reading(item) for item in items]
        names = sorted({item.name for item in items if item.source is ArtifactSource.INDEX})
        own = self._pages.projects(names)
        index_files: dict[str, list[IndexFile]] | None = None
        statuses: list[ProjectStatus] = []
        find_links: list[str] = []
        if own is not None:
            index_files, statuses = own
            find_links = self._pages.find_links
        items = attach_required_by(items, _dependency_edges(plan))
        result = check_plan(
            items,
            self.policy,
            index_urls,
            now=self._now,
            record_seen=not request.get("dry_run"),
            index_files=index_files,
            index_settings=settings or IndexSettings(index_urls=tuple(index_urls)),
            project_statuses=statuses,
            find_links=find_links,
        )
        result.notes[:0] = self._notes
        if not build:
            result = self._with_kept_dependencies(result, items, plan)
            self.outcome.main_result = result
            self.outcome.dry_run = bool(request.get("dry_run"))
            self._index_settings = settings or IndexSettings(index_urls=tuple(index_urls))
            self._page_files = index_files or {}
        answer: dict[str, Any] = {"exit_code": result.exit_code}
        steering = self._steering_lines(items, _specifiers_by_name(plan))
        self.outcome.steering_notes.extend(steering)
        if result.verdict.blocked:
            return self._stop(result, request, steering, logged=True)
        if build and not result.verdict.decisions and not result.notes:
            return answer  # clean build dependencies: nothing to say
        answer.update(self._report(result, request, steering, intermediate=build))
        return answer

    def _inspect(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Open every wheel pip is about to install; a block stops pip before it writes."""
        from safe_pip.pipeline.contents.inspect import check_wheels, wheels_from_json

        wheels, target = wheels_from_json(request)
        main = self.outcome.main_result
        plan = main.verdict.plan if main else []
        result = check_wheels(wheels, target, self.policy, plan=plan, now=self._now)
        if self._index_settings is not None:
            provenance = _check_provenance(
                plan, wheels, self.policy, self._index_settings, self._page_files
            )
            result.verdict.decisions.extend(provenance.verdict.decisions)
            result.notes.extend(provenance.notes)
        result.notes[:0] = self._notes
        if main is not None:  # the machine report at the end carries them too
            main.verdict.decisions.extend(result.verdict.decisions)
            main.notes.extend(note for note in result.notes if note not in main.notes)
        if result.verdict.blocked:
            return self._stop(result, request)
        if not result.verdict.decisions:
            return {"exit_code": 0}
        return {"exit_code": 0, **self._report(result, request, ())}

    def _with_kept_dependencies(
        self, result: GuardResult, items: Sequence[PlanItem], plan: Mapping[str, Any]
    ) -> GuardResult:
        """The installed packages the plan depends on and pip keeps, checked (warnings: the
        rule in ``pipeline.kept``, the same as safe-uv's)."""
        from safe_pip.pipeline.kept import kept_dependencies, with_kept

        edges = _dependency_edges(plan)
        python = (plan.get("origin") or {}).get("python")
        planned = {item.name for item in items}
        if not python or not any(set(names) - planned for names in edges.values()):
            return result  # every dependency is in the plan: nothing is kept
        from safe_pip.producers.installed import installed_plan

        try:
            kept = kept_dependencies(items, edges, installed_plan(str(python)))
        except SafePipError:
            return result  # the environment could not be listed: the plan's check stands
        if not kept:
            return result
        return with_kept(result, check_plan(kept, self.policy, [], record_seen=False))

    def _failed(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """pip found no version it may install: was it steering's doing?"""
        message = str(request.get("error", ""))
        index_urls = [str(url) for url in request.get("index_urls") or []]
        self.outcome.failed_index = settings_from_json(
            request.get("network"), index_urls
        ) or IndexSettings(index_urls=tuple(index_urls))
        culprits = self._kept_back_for(message)
        if not culprits or not self._ready():
            return {"exit_code": 0}  # not steering's doing: pip reports its own error
        shown = _newest_first(culprits)[:MAX_AVOIDED_VERSIONS_SHOWN]
        decisions = [decision for avoided in shown for decision in self._with_fixes(avoided)]
        verdict = Verdict(plan=[avoided.item for avoided in shown], decisions=decisions)
        notes = [*self._notes, "no version that policy allows satisfies the requirements"]
        return self._stop(GuardResult(verdict=verdict, notes=notes), request)

    def _with_fixes(self, avoided: Avoided) -> list[Decision]:
        """The decisions that kept ``avoided`` from pip, with the first fixed versions the
        report names (steering looked the advisories up without them)."""
        item = avoided.item
        advisories = self._advisories or _NoAdvisories()
        candidate = ResolverCandidate(
            name=item.name,
            version=item.version,
            upload_time=item.upload_time,
            yanked=bool(item.yanked),
            yanked_reason=item.yanked_reason,
            advisories=advisories.matches(item.name, item.version),
            index_url=item.index_url,
            file_url=item.url,
        )
        return candidate_blockers(candidate, self.policy, self._now)

    def _kept_back_for(self, message: str) -> list[Avoided]:
        """The versions steering kept from pip that would have met a requirement pip's error
        names as unsatisfiable (none: the requirement fails whatever safe-pip allows)."""
        culprits: list[Avoided] = []
        for text in _UNSATISFIED.findall(message):
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            for avoided in self._avoided.get(canonicalize_name(requirement.name), []):
                if requirement.specifier.contains(avoided.version, prereleases=True):
                    culprits.append(avoided)
        return culprits

    def _origin(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The hook's pip run: its interpreter and the user's command, for the decision log
        (``safe-pip install`` logs its own)."""
        if not self._print_reports:
            decision_log.note_origin(request.get("origin"))
        return {"exit_code": 0}

    def _refuse(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The guard refuses the command line (a usage error, exit 2)."""
        self.outcome.usage_error = str(request["message"])
        self.outcome.stop_code = exit_codes.USAGE
        return {"exit_code": exit_codes.USAGE}

    def _unsupported(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The guard could not load into this pip: pip stops (exit 3)."""
        self.outcome.unsupported = str(request["message"])
        return self._cannot_check(f"{self.outcome.unsupported}; nothing was installed")

    def _unchecked(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """pip installed something the full check did not allow (exit 3, one line)."""
        return self._cannot_check(str(request["message"]))

    def _needs_build(self, request: Mapping[str, Any]) -> dict[str, Any]:
        candidate = candidate_from_json(request["item"])
        decisions = self._decisions(candidate)
        item = candidate.item
        where = item.filename or item.url or item.name
        finding = Finding(
            name=item.name,
            version=item.version if candidate.version_known else "?",
            category=Category.UNVERIFIABLE,
            id=NEEDS_BUILD_ID,
            summary=(
                f"resolving it would run the build of {where}, which an audit never does; "
                "pin it with a hash or check it with `safe-pip install --dry-run`"
            ),
        )
        self.outcome.needs_build.extend([*_blocking(decisions), Decision(finding, Action.BLOCK)])
        self.outcome.stop_code = exit_codes.BLOCKED
        return {"exit_code": exit_codes.BLOCKED}

    # ------------------------------------------------------------ helpers

    def _decisions(
        self,
        candidate: Candidate,
        facts: ProjectFacts | None = None,
        request: Mapping[str, Any] | None = None,
    ) -> list[Decision]:
        confusion, served = self._confusion_at_gate(candidate, facts, request or {})
        return candidate_decisions(
            candidate,
            self._advisories or _NoAdvisories(),
            self._seen or _NoSeenHashes(),
            self.policy,
            self._now,
            confusion,
            served,
            facts.statuses if facts is not None else (),
        )

    def _own_reading(self, candidate: Candidate) -> tuple[Candidate, ProjectFacts | None]:
        """``candidate`` with what safe-pip's reading of the pages pip read says of its file
        (yanked, upload time, the index it is on), and those pages' facts of its project
        (every index's files, PEP 792 markers); as pip described it when the pages are not
        all known (the full check reads them itself)."""
        item = candidate.item
        if item.source is not ArtifactSource.INDEX:
            return candidate, None
        facts = self._pages.project(item.name)
        if facts is None:
            return candidate, None
        matcher = FileMatcher(facts.files, [item])
        bare = _without_pips_reading(item)
        page = matcher.match(bare)
        own = replace(candidate, item=with_index_facts(bare, matcher), page=page)
        return own, facts

    def _confusion_at_gate(
        self, candidate: Candidate, facts: ProjectFacts | None, request: Mapping[str, Any]
    ) -> tuple[ConfusionRule | None, list[IndexFile]]:
        """The dependency-confusion rule for the gate, with every file the pages pip read
        list for the project (every index and find-links location), when that view is
        complete or there is one index only; else (None) the full check decides, after
        reading every page itself."""
        first_index = self._seen.first_index if self._seen is not None else _no_first_index
        if facts is not None:
            sources = list(dict.fromkeys([*self._pages.index_urls, *self._pages.find_links]))
            others = [file for file in facts.files if file is not candidate.page]
            if sources:
                return ConfusionRule(sources, self.policy.index_for, first_index), others
        raw_urls = request.get("index_urls")
        if isinstance(raw_urls, list) and len({str(url) for url in raw_urls}) == 1:
            index_urls = [str(url) for url in raw_urls]
            return ConfusionRule(index_urls, self.policy.index_for, first_index), []
        return None, []

    def _steering_lines(
        self, items: Sequence[Any], wanted: Mapping[str, SpecifierSet] | None
    ) -> list[str]:
        """One line per project where steering kept a newer version from pip that the
        requirements allow (``wanted``: the specifiers the plan's requirements put on each
        name; None when unknown): a version the user's own ``<2`` rules out is not news."""
        lines = []
        for item in items:
            allowed = (wanted or {}).get(item.name)
            avoided = [
                a
                for a in self._avoided.get(item.name, [])
                if _newer(a.version, item.version)
                and (allowed is None or allowed.contains(a.version, prereleases=True))
            ]
            if not avoided:
                continue
            first = min(avoided, key=lambda a: _version_key(a.version))
            ids = ", ".join(dict.fromkeys(first.ids))
            more = len({a.version for a in avoided}) - 1
            extra = f" (and {more} newer)" if more > 0 else ""
            lines.append(f"chose {item.name} {item.version}, not {first.version}{extra}: {ids}")
        return lines

    def _stop(
        self,
        result: GuardResult,
        request: Mapping[str, Any],
        steering: Sequence[str] = (),
        *,
        logged: bool = False,
    ) -> dict[str, Any]:
        """Stop pip with ``result`` (``logged``: ``check_plan`` already told the decision
        log about it)."""
        code = result.exit_code or exit_codes.BLOCKED
        if not logged:
            decision_log.note_check_started()
            decision_log.note_verdict(result.verdict)
        self.outcome.stop_result = result
        self.outcome.stop_code = code
        answer: dict[str, Any] = {"exit_code": code}
        if not self._audit:
            answer.update(self._report(result, request, steering))
        return answer

    def _cannot_check(self, message: str) -> dict[str, Any]:
        self.outcome.error = message
        return self._stop_with(exit_codes.CANNOT_CHECK, message)

    def _stop_with(self, exit_code: int, message: str) -> dict[str, Any]:
        """Stop pip with ``exit_code``; the hook's pip prints ``message`` (safe-pip install
        reports the outcome itself)."""
        self.outcome.stop_code = exit_code
        if self._print_reports:
            return {"exit_code": exit_code}
        return {"exit_code": exit_code, "stderr": f"safe-pip: error: {message}\n"}

    def _report(
        self,
        result: GuardResult,
        request: Mapping[str, Any],
        steering: Sequence[str],
        *,
        intermediate: bool = False,
    ) -> dict[str, str]:
        """Print the report here, or return it for the guard to print. ``intermediate``:
        build dependencies checked mid-run, whose last line must not read like the verdict."""
        options = self._report_options
        if intermediate:
            options = options._replace(intermediate=BUILD_DEPENDENCIES_STEP)
        if self._print_reports and options.machine_stdout:
            for line in steering:
                say(line)
            return {}  # the front end prints one JSON document when pip ends
        if self._print_reports:
            on_stderr = bool(request.get("report_on_stderr"))
            _print(result, steering, options, on_stderr=on_stderr)
            return {}
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            _print(result, steering, options, on_stderr=False)
        return {"stdout": out.getvalue(), "stderr": err.getvalue()}


def _check_provenance(
    plan: Sequence[PlanItem],
    wheels: Sequence[Any],
    policy: Policy,
    settings: IndexSettings,
    pages: Mapping[str, Sequence[IndexFile]],
) -> GuardResult:
    """PEP 740 provenance of the downloaded index wheels (built wheels are not the file the
    index attested), from the page entries pip read (no page is fetched again)."""
    from safe_pip.pipeline.provenance.check import DownloadedFile, check_provenance

    by_name = {item.name: item for item in plan if item.source is ArtifactSource.INDEX}
    files = [
        DownloadedFile(by_name[canonicalize_name(wheel.name)], wheel.path)
        for wheel in wheels
        if canonicalize_name(wheel.name) in by_name
    ]
    return check_provenance(files, policy, settings, pages=pages)


def _print(
    result: GuardResult, steering: Sequence[str], options: ReportOptions, *, on_stderr: bool
) -> None:
    for line in steering:
        say(line)
    if on_stderr:
        with contextlib.redirect_stdout(_StderrProxy()):
            print_verdict(result, options)
    else:
        print_verdict(result, options)


class _StderrProxy(io.TextIOBase):
    """``sys.stderr`` as it is at write time (tests and the channel replace it)."""

    def write(self, text: str) -> int:
        import sys

        return sys.stderr.write(text)


def _blocking(decisions: Sequence[Decision]) -> list[Decision]:
    return [d for d in decisions if d.action is Action.BLOCK]


def _without_pips_reading(item: PlanItem) -> PlanItem:
    """An index item without what pip read off the page (yanked, its reason, the upload
    time): safe-pip's own reading of the page fills them in."""
    if item.source is not ArtifactSource.INDEX:
        return item
    return replace(item, yanked=None, yanked_reason=None, upload_time=None)


class _ListedVerdicts:
    """What steering decides about the versions pip lists for one project: an ``Avoided``
    for a version policy blocks, None for one it allows. pip lists each file (wheels, the
    sdist) of a version; a version is described and judged once: on the pages' word
    (``own``) once per version, on pip's once per distinct description."""

    def __init__(
        self,
        name: str,
        judge: CandidateJudge,
        matches: Mapping[str, Sequence[AdvisoryMatchLike]],
        own: _VersionFacts | None,
    ) -> None:
        self._name = name
        self._judge = judge
        self._matches = matches
        self._own = own
        self._verdicts: dict[object, Avoided | None] = {}

    def of(
        self, version: str, yanked: bool, reason: str | None, upload_time: str | None
    ) -> Avoided | None:
        key = version if self._own is not None else (version, yanked, reason, upload_time)
        if key not in self._verdicts:
            if self._own is not None:
                candidate = self._own.describe(self._name, version, self._matches[version])
            else:
                candidate = ResolverCandidate(
                    name=self._name,
                    version=version,
                    upload_time=upload_time,
                    yanked=yanked,
                    yanked_reason=reason,
                    advisories=self._matches[version],
                )
            self._verdicts[key] = self._judged(candidate)
        return self._verdicts[key]

    def _judged(self, candidate: ResolverCandidate) -> Avoided | None:
        blockers = self._judge.blocking_ids(candidate)
        if not blockers:
            return None
        item = PlanItem(
            name=candidate.name,
            version=candidate.version,
            url=candidate.file_url,
            index_url=candidate.index_url,
            yanked=candidate.yanked,
            yanked_reason=candidate.yanked_reason,
            upload_time=candidate.upload_time,
        )
        return Avoided(candidate.version, blockers, item)


class _VersionFacts:
    """For steering: each listed version of a project as its files on the pages describe
    it, the worst file deciding (``_deciding_file``; one yanked file makes the version
    yanked). A version on none of the pages is a local file pip found itself
    (``--find-links`` directory), which no page marks yanked or dates. Files are grouped by
    the version text of their names (cheap: a page can list 20,000 files)."""

    def __init__(self, facts: ProjectFacts) -> None:
        self._by_text: dict[str, list[IndexFile]] = {}
        for file in facts.files:
            text = _version_text(file.filename)
            if text is not None:
                self._by_text.setdefault(text, []).append(file)
        self._by_version: dict[Version, list[IndexFile]] | None = None

    def describe(
        self, name: str, version: str, advisories: Sequence[AdvisoryMatchLike]
    ) -> ResolverCandidate:
        files = self._by_text.get(version)
        parsed = _parsed(version) if files is None else None
        if parsed is not None:  # spelled otherwise in the file names ("1.0.0rc1", "1.0.0-rc1")
            files = self._normalized().get(parsed)
        if files is None:
            return ResolverCandidate(name=name, version=version, advisories=advisories)
        worst, upload_time = _deciding_file(files)
        yanked, reason = _yank(files)
        return ResolverCandidate(
            name=name,
            version=version,
            upload_time=upload_time,
            yanked=yanked,
            yanked_reason=reason,
            advisories=advisories,
            index_url=worst.index_url,
            file_url=worst.url,
        )

    def _normalized(self) -> dict[Version, list[IndexFile]]:
        if self._by_version is None:
            self._by_version = {}
            for text, files in self._by_text.items():
                parsed = _parsed(text)
                if parsed is not None:
                    self._by_version.setdefault(parsed, []).extend(files)
        return self._by_version


def _yank(files: Sequence[IndexFile]) -> tuple[bool, str | None]:
    """Is a version yanked (one of its files is), and the first reason a yanked file gives."""
    yanked = [f for f in files if f.yanked]
    if not yanked:
        return False, None
    return True, next((f.yanked_reason for f in yanked if f.yanked_reason), None)


def _deciding_file(files: Sequence[IndexFile]) -> tuple[IndexFile, str | None]:
    """The file whose upload time stands for a version's files, and that time: the first
    file without a (readable) upload time, with none (one such file leaves the version
    without one; its index and URL tell where it was read from); else the latest (the first
    of equals), with its time as written. A single file is passed on as it is, with nothing
    parsed here."""
    if len(files) == 1:
        return files[0], files[0].upload_time
    latest, latest_moment = files[0], None
    for file in files:
        moment = parse_timestamp(file.upload_time)
        if moment is None:
            return file, None
        if latest_moment is None or moment > latest_moment:
            latest, latest_moment = file, moment
    return latest, latest.upload_time


_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")


def _version_text(filename: str) -> str | None:
    """The version part of a wheel or sdist file name, as written (None: neither)."""
    if filename.endswith(".whl"):
        parts = filename.split("-")
        return parts[1] if len(parts) >= 5 else None
    lowered = filename.lower()
    for suffix in _SDIST_SUFFIXES:
        if lowered.endswith(suffix):
            stem = filename[: -len(suffix)]
            return stem.rpartition("-")[2] if "-" in stem else None
    return None


def _parsed(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def _specifiers_by_name(plan: Mapping[str, Any]) -> dict[str, SpecifierSet] | None:
    """name -> every version specifier the plan's requirements put on it: the root
    requirements of the resolution (the user's and constraints, which pip's guard sends) and
    the planned distributions' ``Requires-Dist`` in pip's marker environment. None when the
    root requirements are not known."""
    roots = plan.get("root_requirements")
    if not isinstance(roots, list):
        return None
    environment = plan.get("marker_environment")
    requirements = requirements_in_effect(roots, None)
    for raw in plan["items"]:
        requirements += requirements_in_effect(
            raw.get("requires_dist") or [],
            environment if isinstance(environment, dict) else None,
            raw.get("extras") or [],
        )
    wanted: dict[str, SpecifierSet] = {}
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        wanted[name] = wanted.get(name, SpecifierSet()) & requirement.specifier
    return wanted


def _dependency_edges(plan: Mapping[str, Any]) -> dict[str, list[str]]:
    """name -> the names its ``Requires-Dist`` asks for, in pip's marker environment."""
    environment = plan.get("marker_environment")
    return {
        canonicalize_name(str(raw["name"])): requirement_names(
            raw.get("requires_dist") or [],
            environment if isinstance(environment, dict) else None,
            raw.get("extras") or [],
        )
        for raw in plan["items"]
    }


def _version_key(version: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def _newer(version: str, than: str) -> bool:
    try:
        return Version(version) > Version(than)
    except InvalidVersion:
        return False


def _newest_first(avoided: Sequence[Avoided]) -> list[Avoided]:
    unique = {a.version: a for a in avoided}
    return sorted(unique.values(), key=lambda a: _version_key(a.version), reverse=True)


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


class _NoAdvisories:
    def matches(self, name: str, version: str, *, with_fix: bool = True) -> list[Any]:
        return []

    def matches_for_versions(self, name: str, versions: Iterable[str]) -> dict[str, list[Any]]:
        return {version: [] for version in versions}

    def malicious_for_project(self, name: str) -> list[Any]:
        return []


def _prepare_answers() -> None:
    """While pip starts: import what answering pip's questions needs (reading the pages it
    read, opening wheels, provenance: ~100 ms of imports pip would otherwise wait for at its
    first questions) and build the popular-names lookups the gate asks about typed names.
    Only a head start: whatever fails here fails again, reported, where it is needed."""
    with contextlib.suppress(Exception):
        import urllib.request  # noqa: F401  (find-links file:// locations)

        import safe_pip.index.client
        import safe_pip.pipeline.contents.inspect
        import safe_pip.pipeline.provenance.check  # noqa: F401
        from safe_pip.pipeline.typosquat import prepare

        prepare()


def _no_first_index(name: str) -> None:
    return None


class _NoSeenHashes:
    def lookup(self, filename: str) -> None:
        return None
