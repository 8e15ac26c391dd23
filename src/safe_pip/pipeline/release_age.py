"""The release-age cooldown: is an artifact older than ``min-release-age``?

Upload times come from PEP 700 ``upload-time`` on index pages and from plans and lock files
that carry them (pylock.toml, uv.lock). A release younger than the minimum age is a
``TOO-NEW`` finding that says how old it is and from when it is allowed; an index artifact
with no known upload time is a ``NO-UPLOAD-TIME`` finding (policy ``unknown-upload-time``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from safe_pip.models import Action, Category, Finding
from safe_pip.pipeline.policy import NO_UPLOAD_TIME_ID, TOO_NEW_ID, Policy
from safe_pip.times import format_duration, parse_timestamp


@dataclass(frozen=True)
class ReleaseAgeRule:
    """What the check needs from policy, and the moment it runs at."""

    min_age: timedelta
    now: datetime  # timezone-aware
    report_unknown: bool = True

    @classmethod
    def from_policy(cls, policy: Policy, now: datetime | None = None) -> ReleaseAgeRule:
        return cls(
            min_age=policy.min_release_age,
            now=now or datetime.now(timezone.utc),
            report_unknown=policy.unknown_upload_time is not Action.IGNORE,
        )

    @property
    def enabled(self) -> bool:
        return self.min_age > timedelta(0)


def parse_upload_time(text: str | None) -> datetime | None:
    """An upload time as timezone-aware UTC; None when missing or unreadable."""
    return parse_timestamp(text)


def release_age_finding(
    name: str, version: str, upload_time: str | None, rule: ReleaseAgeRule
) -> Finding | None:
    """``TOO-NEW`` for a release younger than the rule's age, ``NO-UPLOAD-TIME`` when the
    upload time is unknown (and the rule reports that), else None."""
    if not rule.enabled:
        return None
    uploaded = parse_upload_time(upload_time)
    if uploaded is None:
        if not rule.report_unknown:
            return None
        summary = "no upload time known, so its release age cannot be checked"
        return _finding(name, version, NO_UPLOAD_TIME_ID, summary)
    allowed_from = uploaded + rule.min_age
    if rule.now >= allowed_from:
        return None
    age = format_duration(max(rule.now - uploaded, timedelta(0)))
    when = "just now" if age == "0" else f"{age} ago"
    summary = (
        f"uploaded {when}, allowed from {allowed_from:%Y-%m-%d %H:%M} UTC"
        f" (min-release-age {format_duration(rule.min_age)})"
    )
    return _finding(name, version, TOO_NEW_ID, summary)


def _finding(name: str, version: str, finding_id: str, summary: str) -> Finding:
    return Finding(
        name=name, version=version, category=Category.RELEASE_AGE, id=finding_id, summary=summary
    )
