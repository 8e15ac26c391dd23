"""The release-age cooldown: is an artifact older than ``min-release-age``?

Upload times come from PEP 700 ``upload-time`` on index pages and from plans and lock files
that carry them (pylock.toml, uv.lock). A release younger than the minimum age is a
``TOO-NEW`` finding that says how old it is and from when it is allowed.

A file with no known upload time: from a *remote* source (an index or ``--find-links`` page
read over HTTP(S)) it counts as too new (``TOO-NEW``: any hostile or old index could switch
the cooldown off by leaving the times out), unless policy ``indexes-without-upload-time``
names that index as one that publishes none. From a *local* source (a ``file://`` index or
mirror, a local ``--find-links`` directory or file) or an index so named, it is a
``NO-UPLOAD-TIME`` finding (policy ``unknown-upload-time``), as it always was. (Before
this, ``check_plan`` gives such a file the time another configured index publishes for the
very same bytes.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from safe_pip.models import Action, Category, Finding
from safe_pip.pipeline.policy import NO_UPLOAD_TIME_ID, TOO_NEW_ID, Policy
from safe_pip.redaction import index_identity
from safe_pip.times import format_duration, parse_timestamp

REMOTE_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True)
class ReleaseAgeRule:
    """What the check needs from policy, and the moment it runs at."""

    min_age: timedelta
    now: datetime  # timezone-aware
    report_unknown: bool = True
    # index identities (``redaction.index_identity``) that publish no upload times
    untimed_indexes: frozenset[str] = frozenset()

    @classmethod
    def from_policy(cls, policy: Policy, now: datetime | None = None) -> ReleaseAgeRule:
        return cls(
            min_age=policy.min_release_age,
            now=now or datetime.now(timezone.utc),
            report_unknown=policy.unknown_upload_time is not Action.IGNORE,
            untimed_indexes=frozenset(
                index_identity(url) for url in policy.indexes_without_upload_time
            ),
        )

    @property
    def enabled(self) -> bool:
        return self.min_age > timedelta(0)

    def missing_time_is_too_new(self, index_url: str | None, file_url: str | None) -> bool:
        """Does a file without an upload time count as too new? Yes when it was read from a
        remote source (``index_url``, else the file's own URL, is HTTP(S)) that policy does
        not name as one publishing no times; no for a local one or an unknown source."""
        where = index_url or file_url
        if not where or not is_remote(where):
            return False
        return index_url is None or index_identity(index_url) not in self.untimed_indexes


def is_remote(url: str) -> bool:
    """Is ``url`` read over the network (HTTP(S), whatever the host, 127.0.0.1 included)?
    ``file://`` URLs and paths are local."""
    try:
        return urlsplit(url).scheme.lower() in REMOTE_SCHEMES
    except ValueError:
        return False


def parse_upload_time(text: str | None) -> datetime | None:
    """An upload time as timezone-aware UTC; None when missing or unreadable."""
    return parse_timestamp(text)


def release_age_finding(
    name: str,
    version: str,
    upload_time: str | None,
    rule: ReleaseAgeRule,
    *,
    index_url: str | None = None,
    file_url: str | None = None,
) -> Finding | None:
    """``TOO-NEW`` for a release younger than the rule's age, or with no upload time from a
    remote source (``index_url``/``file_url``, see ``missing_time_is_too_new``);
    ``NO-UPLOAD-TIME`` when the upload time is otherwise unknown (and the rule reports that);
    else None."""
    if not rule.enabled:
        return None
    uploaded = parse_upload_time(upload_time)
    if uploaded is None:
        if rule.missing_time_is_too_new(index_url, file_url):
            where = index_identity(index_url) if index_url else "a remote source"
            summary = (
                f"{where} publishes no upload time for it, so it counts as too new "
                f"(min-release-age {format_duration(rule.min_age)}); if that index never "
                "publishes upload times, name it in indexes-without-upload-time"
            )
            return _finding(name, version, TOO_NEW_ID, summary)
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
