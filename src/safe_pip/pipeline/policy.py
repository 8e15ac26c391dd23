"""What to do about findings: the policy model and the decisions it makes.

Where the policy comes from (pyproject.toml, user config, environment, command line) is
``policy_config``'s job; every key is documented there and in docs/policy.md.

Malicious packages are always blocked unless explicitly ignored.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from packaging.utils import canonicalize_name

from safe_pip.limits import DEFAULT_REQUEST_DEADLINE_SECONDS, DEFAULT_RUN_DEADLINE_SECONDS
from safe_pip.models import Action, Category, Decision, Finding
from safe_pip.pipeline.contents.pth_allow import PthAllowance


class FailMode(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"


class ContentsMode(str, enum.Enum):
    """``default``: the serious kind of each contents finding blocks, the rest warn
    (``CONTENTS_BLOCKING_BY_DEFAULT``); ``block``: every one blocks; ``warn``: none does."""

    WARN = "warn"
    DEFAULT = "default"
    BLOCK = "block"


class ResolveMode(str, enum.Enum):
    """``avoid``: steer the resolver to the newest allowed version; ``block``: do not steer."""

    AVOID = "avoid"
    BLOCK = "block"


# A malicious upload is usually reported and removed within a day or two: waiting two days
# lets most of them be caught before they reach this machine, while a fix can still be
# installed the day after tomorrow (or at once, with an exemption).
DEFAULT_MIN_RELEASE_AGE = timedelta(days=2)
# A refresh that finds nothing new costs one conditional request per source, so a few hours
# keeps the data close to the feed without a round trip on every install.
DEFAULT_REFRESH_AFTER = timedelta(hours=4)
# Offline for a week: the malicious-package data has missed a week of reports, too many to
# install on a warning alone.
DEFAULT_MAX_MALWARE_AGE = timedelta(days=7)
# Finding ids of the release-age and project-status checks that policy treats one by one.
# How a decision's reason says that the ignore naming its finding has expired.
IGNORE_EXPIRED_NOTE = "ignore expired on"
TOO_NEW_ID = "TOO-NEW"
NO_UPLOAD_TIME_ID = "NO-UPLOAD-TIME"
QUARANTINED_ID = "PROJECT-QUARANTINED"

# What a wheel carries (``pipeline.contents``). An alias marks the kind that blocks by default
# (``policy.CONTENTS_BLOCKING_BY_DEFAULT``); an ignore naming the id covers both kinds.
PTH_EXEC_ID = "PTH-EXEC"  # a .pth line site.py executes at every interpreter start
PTH_EXEC_NEW_ALIAS = "PTH-EXEC-NEW"  # ... that the installed or first-seen release did not have
STARTUP_HOOK_ID = "STARTUP-HOOK"  # sitecustomize / usercustomize at the top level
SCRIPT_SHADOW_ID = "SCRIPT-SHADOW"  # a command named like one another distribution owns
SCRIPT_SHADOW_RESERVED_ALIAS = "SCRIPT-SHADOW-RESERVED"  # python*, pip*, uv, safe-pip...
FILE_CLASH_ID = "FILE-CLASH"  # a file another installed distribution owns
FILE_CLASH_OUTSIDE_ALIAS = "FILE-CLASH-OUTSIDE"  # an absolute path or one with ".."
RECORD_MISMATCH_ID = "RECORD-MISMATCH"  # RECORD missing, or not what the archive holds
# Publisher provenance (``pipeline.provenance``, PEP 740).
PUBLISHER_CHANGED_ID = "PUBLISHER-CHANGED"
ATTESTATION_DROPPED_ID = "ATTESTATION-DROPPED"
ATTESTATION_INVALID_ID = "ATTESTATION-INVALID"
PROVENANCE_MISSING_ID = "PROVENANCE-MISSING"  # require-provenance names it; none served
# A name the user typed that is close to a popular project's (``pipeline.typosquat``).
TYPOSQUAT_ID = "TYPOSQUAT"
# Contents findings that block by default (``contents = "default"``): their serious kind.
CONTENTS_BLOCKING_BY_DEFAULT = frozenset(
    {
        PTH_EXEC_NEW_ALIAS,
        STARTUP_HOOK_ID,
        SCRIPT_SHADOW_RESERVED_ALIAS,
        FILE_CLASH_OUTSIDE_ALIAS,
        RECORD_MISMATCH_ID,
    }
)


SEVERITY_LEVELS: Mapping[str, float] = {
    "any": 0.0,
    "low": 0.1,
    "medium": 4.0,
    "high": 7.0,
    "critical": 9.0,
}

# Categories a user may reasonably accept (an ignore entry, --allow PACKAGE).
IGNORABLE_CATEGORIES = frozenset(
    {Category.VULNERABILITY, Category.YANKED, Category.UNVERIFIABLE, Category.TYPOSQUAT}
)
ALLOWED_PACKAGE_REASON = "allowed package"
WARN_ONLY_REASON = "warn-only mode"


@dataclass(frozen=True)
class IgnoreRule:
    id: str
    reason: str
    expires: date | None = None  # last day the rule applies
    package: str | None = None  # PEP 503-normalized; None: any package
    source: str = ""  # where it was configured, for messages
    # False for an entry from a project the user has not trusted: it may only ignore
    # vulnerability advisories, never a malicious package or one of safe-pip's own checks.
    trusted: bool = True

    def applies_to(self, finding: Finding) -> bool:
        """Does this rule name the finding, and may it ignore a finding of that category?"""
        return (self.trusted or finding.category is Category.VULNERABILITY) and self.names(finding)

    def names(self, finding: Finding) -> bool:
        """Does this rule name the finding (id or alias, and package if set)?"""
        if self.package is not None and self.package != canonicalize_name(finding.name):
            return False
        wanted = self.id.casefold()
        if finding.category is Category.MALICIOUS:
            return wanted == finding.id.casefold()
        return any(wanted == known.casefold() for known in (finding.id, *finding.aliases))

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires


@dataclass(frozen=True)
class Policy:
    """The effective policy. ``policy_config``'s docstring says what each key means."""

    fail_mode: FailMode = FailMode.CLOSED
    vulnerability: Action = Action.BLOCK
    min_severity: float = 0.0  # CVSS score; 0.0 means "any"
    yanked: Action = Action.WARN
    hash_mismatch: Action = Action.BLOCK
    unverifiable: Action = Action.WARN
    max_db_age_days: int = 30  # 0: never warn about the database age
    min_release_age: timedelta = DEFAULT_MIN_RELEASE_AGE  # 0: no release-age check
    unknown_upload_time: Action = Action.WARN  # no upload time published (IGNORE: say nothing)
    # index URLs that publish no upload times: a file of theirs without one is NO-UPLOAD-TIME
    # (``unknown_upload_time``), not TOO-NEW as from any other remote index
    indexes_without_upload_time: tuple[str, ...] = ()
    too_new: Action = Action.BLOCK  # not a key: audits of installed environments only warn
    resolve: ResolveMode = ResolveMode.AVOID
    refresh_after: timedelta = DEFAULT_REFRESH_AFTER  # 0: never refresh before a check
    max_malware_age: timedelta = DEFAULT_MAX_MALWARE_AGE  # 0: no limit
    advisory_sources: tuple[str, ...] = ()  # `db update` sources; empty: the OSV PyPI export
    warn_only: bool = False
    confusion: Action = Action.BLOCK
    request_deadline: float = DEFAULT_REQUEST_DEADLINE_SECONDS
    run_deadline: float = DEFAULT_RUN_DEADLINE_SECONDS
    contents: ContentsMode = ContentsMode.DEFAULT
    pth_allow: tuple[PthAllowance, ...] = ()  # added to the shipped allow-list
    typosquat: Action = Action.WARN
    attestation_dropped: Action = Action.WARN
    require_provenance: tuple[str, ...] = ()  # PEP 503-normalized names
    allow: tuple[str, ...] = ()  # PEP 503-normalized names
    ignore: tuple[IgnoreRule, ...] = ()
    # PEP 503-normalized name -> the only index it may come from (dependency confusion)
    index_for: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ("built-in defaults",)  # the layers it was built from
    # One line per layer whose loosening values were dropped (untrusted project, locked keys)
    warnings: tuple[str, ...] = ()

    @property
    def fails_open(self) -> bool:
        return self.fail_mode is FailMode.OPEN

    def database_is_stale(self, age_days: float) -> bool:
        """Should a database of this age get a warning line?"""
        return self.max_db_age_days > 0 and age_days > self.max_db_age_days

    @property
    def steers(self) -> bool:
        """May the resolver be steered away from disallowed versions (``resolve = "avoid"``)?"""
        return self.resolve is ResolveMode.AVOID

    def finding_action(self, finding: Finding) -> Action:
        """The configured action for a finding before ignores, severity and warn-only."""
        if finding.category is Category.RELEASE_AGE:
            return self.too_new if finding.id == TOO_NEW_ID else self.unknown_upload_time
        if finding.category is Category.PROJECT_STATUS:
            return Action.BLOCK if finding.id == QUARANTINED_ID else Action.WARN
        if finding.category is Category.CONTENTS:
            return self._contents_action(finding)
        if finding.category is Category.PROVENANCE:
            return (
                self.attestation_dropped if finding.id == ATTESTATION_DROPPED_ID else Action.BLOCK
            )
        return self.category_action(finding.category)

    def _contents_action(self, finding: Finding) -> Action:
        if self.contents is not ContentsMode.DEFAULT:
            return Action.BLOCK if self.contents is ContentsMode.BLOCK else Action.WARN
        kinds = {finding.id, *finding.aliases}
        return Action.BLOCK if kinds & CONTENTS_BLOCKING_BY_DEFAULT else Action.WARN

    def category_action(self, category: Category) -> Action:
        """The configured action for a category before ignores, severity and warn-only."""
        if category in (
            Category.MALICIOUS,
            Category.RELEASE_AGE,
            Category.PROJECT_STATUS,
            Category.CONTENTS,
            Category.PROVENANCE,
        ):
            return Action.BLOCK
        return {
            Category.VULNERABILITY: self.vulnerability,
            Category.YANKED: self.yanked,
            Category.HASH_MISMATCH: self.hash_mismatch,
            Category.UNVERIFIABLE: self.unverifiable,
            Category.CONFUSION: self.confusion,
            Category.TYPOSQUAT: self.typosquat,
        }[category]


@dataclass
class PolicyOverrides:
    """Policy values given on the command line (the last and strongest layer)."""

    warn_only: bool | None = None
    ignore_vulns: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)
    allow: list[str] = field(default_factory=list)
    fail_mode: str | None = None


# ---------------------------------------------------------------------------- decide


def decide(findings: Sequence[Finding], policy: Policy, today: date) -> list[Decision]:
    """One decision per finding, in the same order."""
    return [_decide_one(finding, policy, today) for finding in findings]


def _decide_one(finding: Finding, policy: Policy, today: date) -> Decision:
    rules = [rule for rule in policy.ignore if rule.applies_to(finding)]
    active = [rule for rule in rules if not rule.expired(today)]
    if active:
        return Decision(finding, Action.IGNORE, active[0].reason)
    if finding.category in IGNORABLE_CATEGORIES and canonicalize_name(finding.name) in policy.allow:
        return Decision(finding, Action.IGNORE, ALLOWED_PACKAGE_REASON)

    notes: list[str] = []
    if rules:
        last_day = max(rule.expires for rule in rules if rule.expires is not None)
        notes.append(f"{IGNORE_EXPIRED_NOTE} {last_day.isoformat()}")

    action = policy.finding_action(finding)
    if (
        action is Action.BLOCK
        and finding.category is Category.VULNERABILITY
        and finding.severity is not None
        and finding.severity < policy.min_severity
    ):
        action = Action.WARN
        notes.append(f"severity {finding.severity:g} below min-severity {policy.min_severity:g}")
    if action is Action.BLOCK and policy.warn_only and finding.category is not Category.MALICIOUS:
        action = Action.WARN
        notes.append(WARN_ONLY_REASON)
    return Decision(finding, action, "; ".join(notes) or None)
