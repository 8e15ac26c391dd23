"""What the guarded index may serve: one verdict per version of a project page.

The server's policy (the administrator's policy file) and advisory database are opened once
and opened again when one of their files changes (``mtime``/size checked at most every
``RECHECK_SECONDS``), so ``safe-pip db update`` and a policy edit take effect without
restarting devpi. Each version on a page is asked the resolver's predicate
(``pipeline.candidates``: malicious, vulnerable per ``min-severity``, yanked, too new)
plus what only the page as a whole tells: the project's PEP 792 status on the upstream
index and dependency confusion between the stages the serving index inherits from
(``pipeline.confusion``). Nothing here knows devpi: ``tween`` hands over the page's files.

Closed by default: without a usable database (missing, unreadable, malicious-package data
older than ``max-malware-age``) ``state()`` raises ``CannotCheckError`` and the index
refuses to serve (HTTP 503); with ``fail-mode = "open"`` it serves unfiltered instead.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from safe_pip import paths
from safe_pip.artifacts import name_and_version
from safe_pip.errors import CannotCheckError, SafePipError
from safe_pip.models import Action, ArtifactSource, Category, Decision, Finding, PlanItem
from safe_pip.pipeline.candidates import Candidate, candidate_blockers
from safe_pip.pipeline.checks import project_status_id
from safe_pip.pipeline.confusion import ConfusionRule, Serving, confusion_findings
from safe_pip.pipeline.policy import Policy, decide
from safe_pip.pipeline.release_age import ReleaseAgeRule
from safe_pip.times import format_duration

if TYPE_CHECKING:
    from safe_pip.advisories.database import AdvisoryDatabase, AdvisoryMatch

RECHECK_SECONDS = 1.0
# Stands for the version of a file whose name does not tell one (legacy .egg, .exe, .zip):
# records that affect every version still match, as in the gate (``pipeline.gate``).
UNKNOWN_VERSION = "0"
STAGE_SCHEME = "devpi:"
MAX_CACHED_VERSIONS = 500_000  # how a devpi index names itself in confusion findings


@dataclass(frozen=True)
class ServedFile:
    """One link on a project page as the serving index renders it."""

    filename: str
    stage: str  # the devpi index that holds the file, "user/index"
    sha256: str | None = None
    yanked: bool = False
    yanked_reason: str | None = None

    @property
    def index_url(self) -> str:  # pipeline.confusion.ServedFile
        return STAGE_SCHEME + self.stage


@dataclass(frozen=True)
class Upstream:
    """What the upstream index of a mirror says beyond devpi's own page: PEP 700 upload
    times (by file name) and the project's PEP 792 status, if not "active"."""

    upload_times: Mapping[str, str] = field(default_factory=dict)
    status: tuple[str, str | None] | None = None


@dataclass(frozen=True)
class VersionVerdict:
    """Why a version may not be served: the decisions that block it."""

    name: str
    version: str
    blockers: tuple[Decision, ...]

    @property
    def depends_on_view(self) -> bool:
        """Blocked for what the serving index merges (dependency confusion between its
        stages), not for the release itself."""
        return any(d.finding.category is Category.CONFUSION for d in self.blockers)

    def line(self) -> str:
        """``vulnlib 1.0: PYSEC-2099-1 (vulnerability), fix: 1.1``: for pages and headers."""
        parts = [f"{d.finding.id} ({d.finding.category.value})" for d in self.blockers]
        fixes = sorted({d.finding.fixed_in for d in self.blockers if d.finding.fixed_in})
        fix = f"; fix: upgrade to {', '.join(fixes)}" if fixes else ""
        return f"{self.name} {self.version}: {', '.join(parts)}{fix}"


@dataclass(frozen=True)
class _Stamp:
    files: tuple[tuple[str, int, int], ...]  # (path, mtime_ns, size); -1 when missing


@dataclass
class State:
    """The policy and database in force, and when they were opened."""

    policy: Policy
    database: AdvisoryDatabase | None  # None only under fail-mode "open"
    generation: int
    notes: tuple[str, ...] = ()
    # (name, version) -> its advisories: the costly part of a verdict, the same for every
    # page and index until the database changes (a new State)
    matches: dict[tuple[str, str], list[AdvisoryMatch]] = field(default_factory=dict)


class ServerGuard:
    """The server's one policy and one database; thread-safe (devpi serves in threads)."""

    def __init__(
        self,
        *,
        policy_file: Path | None = None,
        database_path: Path | None = None,
        start_dir: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.policy_file = policy_file
        self.database_path = database_path or paths.advisory_db_path()
        self._start_dir = start_dir or Path.cwd()
        self._clock = clock
        self._lock = threading.Lock()
        self._stamp: _Stamp | None = None
        self._checked_at = 0.0
        self._state: State | None = None
        self._error: SafePipError | None = None
        self._generation = 0

    # ------------------------------------------------------------ data

    def _environ(self) -> dict[str, str]:
        environ = dict(os.environ)
        if self.policy_file is not None:
            environ[paths.ADMIN_POLICY_ENV_VAR] = str(self.policy_file)
        return environ

    def _watched(self) -> list[Path]:
        environ = self._environ()
        config = environ.get("SAFE_PIP_CONFIG_FILE")
        user_config = Path(config) if config else paths.user_config_file()
        return [*paths.admin_policy_files(environ), user_config, self.database_path]

    def _current_stamp(self) -> _Stamp:
        entries = []
        for path in self._watched():
            try:
                stat = path.stat()
                entries.append((str(path), stat.st_mtime_ns, stat.st_size))
            except OSError:
                entries.append((str(path), -1, -1))
        return _Stamp(tuple(entries))

    def state(self) -> State:
        """The policy and database in force, reopened when a file changed;
        ``CannotCheckError`` (or ``UsageError`` for a bad policy file) when they are not
        usable and policy does not fail open."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= RECHECK_SECONDS or (
                self._state is None and self._error is None
            ):
                self._checked_at = now
                stamp = self._current_stamp()
                if stamp != self._stamp:
                    self._stamp = stamp
                    self._reopen()
            if self._error is not None:
                raise self._error
            assert self._state is not None
            self._check_fresh(self._state)
            return self._state

    def _reopen(self) -> None:
        from safe_pip.advisories.database import AdvisoryDatabase
        from safe_pip.pipeline.config import load_policy

        old = self._state
        self._state, self._error = None, None
        self._generation += 1
        try:
            policy = load_policy(self._start_dir, env=self._environ())
        except SafePipError as exc:
            self._error = exc
            return
        notes: list[str] = []
        try:
            database: AdvisoryDatabase | None = AdvisoryDatabase.open(self.database_path)
        except CannotCheckError as exc:
            if not policy.fails_open:
                self._error = exc
                return
            database = None
            notes.append(f"fail-mode open: serving unchecked ({exc})")
        self._state = State(policy, database, self._generation, tuple(notes))
        if old is not None and old.database is not None:
            old.database.close()

    def _check_fresh(self, state: State) -> None:
        if state.database is None:
            return
        limit = state.policy.max_malware_age
        age = state.database.status().malware_age_at(self._clock())
        if limit > timedelta(0) and age > limit and not state.policy.fails_open:
            raise CannotCheckError(
                f"malicious-package data is {format_duration(age)} old, older than "
                f"max-malware-age {format_duration(limit)}; the index administrator runs "
                "`safe-pip db update`"
            )

    # ------------------------------------------------------------ verdicts

    def page_verdicts(
        self,
        project: str,
        files: Sequence[ServedFile],
        *,
        stages: Sequence[str],
        upstream: Upstream | None = None,
        state: State | None = None,
    ) -> dict[str, VersionVerdict]:
        """{version: verdict} for every version on the page that policy blocks."""
        state = state or self.state()
        if state.database is None:
            return {}
        policy = state.policy
        name = canonicalize_name(project)
        now = self._clock()
        rule = ReleaseAgeRule.from_policy(policy, now)
        upstream = upstream or Upstream()
        by_version: dict[str, list[ServedFile]] = {}
        for served in files:
            parsed = name_and_version(served.filename)
            version = parsed[1] if parsed is not None and parsed[0] == name else UNKNOWN_VERSION
            by_version.setdefault(version, []).append(served)
        page_wide = _page_findings(name, files, stages, policy, upstream)
        serving = Serving.of(files)
        verdicts: dict[str, VersionVerdict] = {}
        for version, version_files in by_version.items():
            blockers = self._version_blockers(
                name, version, version_files, state, rule, now, upstream.upload_times
            )
            findings = list(page_wide)
            findings += _confusion(name, version, version_files, files, stages, policy, serving)
            blockers += [d for d in decide(findings, policy, now.date()) if _blocks(d)]
            if version == UNKNOWN_VERSION:
                blockers = [d for d in blockers if d.finding.category is Category.MALICIOUS]
            if blockers:
                verdicts[version] = VersionVerdict(name, version, tuple(blockers))
        return verdicts

    def _version_blockers(
        self,
        name: str,
        version: str,
        version_files: Sequence[ServedFile],
        state: State,
        rule: ReleaseAgeRule,
        now: datetime,
        upload_times: Mapping[str, str],
    ) -> list[Decision]:
        assert state.database is not None
        matches = state.matches.get((name, version))
        if matches is None:
            if len(state.matches) >= MAX_CACHED_VERSIONS:
                state.matches.clear()
            matches = state.matches[(name, version)] = state.database.matches(name, version)
        times = [upload_times[f.filename] for f in version_files if f.filename in upload_times]
        yanked = [f for f in version_files if f.yanked]
        candidate = Candidate(
            name=name,
            version=version,
            upload_time=min(times) if times else None,
            # Every file yanked: the version is (PEP 592 yanks a release's files together).
            yanked=bool(yanked) and len(yanked) == len(version_files),
            yanked_reason=yanked[0].yanked_reason if yanked else None,
            advisories=matches,
        )
        return candidate_blockers(candidate, state.policy, now, rule)


def _blocks(decision: Decision) -> bool:
    return decision.action is Action.BLOCK


def _page_findings(
    name: str,
    files: Sequence[ServedFile],
    stages: Sequence[str],
    policy: Policy,
    upstream: Upstream,
) -> list[Finding]:
    """Findings about the project rather than a version: its PEP 792 status upstream."""
    if upstream.status is None:
        return []
    status, reason = upstream.status
    summary = f"the index marks the project {status}" + (f": {reason}" if reason else "")
    return [
        Finding(
            name=name,
            version="*",
            category=Category.PROJECT_STATUS,
            id=project_status_id(status),
            summary=summary,
        )
    ]


def _confusion(
    name: str,
    version: str,
    version_files: Sequence[ServedFile],
    files: Sequence[ServedFile],
    stages: Sequence[str],
    policy: Policy,
    serving: Serving,
) -> list[Finding]:
    """Dependency confusion between the stages the serving index inherits from: a name
    served by a private stage and the mirror, or from another stage than ``index-for``."""
    rule = ConfusionRule(
        index_urls=[STAGE_SCHEME + stage for stage in stages],
        bindings={key: STAGE_SCHEME + stage_of(value) for key, value in policy.index_for.items()},
    )
    findings: list[Finding] = []
    for stage in dict.fromkeys(f.stage for f in version_files):
        item = PlanItem(
            name=name, version=version, source=ArtifactSource.INDEX, index_url=STAGE_SCHEME + stage
        )
        findings += confusion_findings(item, files, rule, serving=serving)
    return list({(f.id, f.summary): f for f in findings}.values())


def stage_of(index: str) -> str:
    """``user/index`` from an ``index-for`` value: a stage name or a devpi index URL
    (``https://host/user/index/+simple/``)."""
    text = index.strip()
    if "://" in text:
        text = text.split("://", 1)[1].split("/", 1)[1] if "/" in text.split("://", 1)[1] else ""
    parts = [part for part in text.split("/") if part and not part.startswith("+")]
    return "/".join(parts[-2:]) if len(parts) >= 2 else text
