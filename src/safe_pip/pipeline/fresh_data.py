"""Advisory data that is never stale: refresh the database before a check when it is older
than ``refresh-after``.

The refresh asks each source only for what changed (``advisories.update.refresh_database``),
within ``REFRESH_BUDGET_SECONDS``. When it cannot (offline, a source gone, another process
updating), the check goes on with the data it has and a warning, unless the malicious-package
data is older than ``max-malware-age``: then the check cannot run (exit 3, or a warning with
``fail-mode = "open"``). A fresh database costs nothing more than opening it: the update
machinery (httpx, zip reading) is imported only when a refresh is due.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from safe_pip.advisories.database import AdvisoryDatabase, DatabaseStatus
from safe_pip.errors import CannotCheckError, UsageError
from safe_pip.pipeline.policy import Policy
from safe_pip.times import format_duration

REFRESH_BUDGET_SECONDS = 10.0


def open_fresh_database(
    policy: Policy, notes: list[str], path: Path | None = None
) -> AdvisoryDatabase:
    """The advisory database, refreshed first when policy says it is due.

    ``CannotCheckError`` when there is no usable database, or when it could not be refreshed
    and its malicious-package data is older than ``max-malware-age``."""
    database = AdvisoryDatabase.open(path)
    status = database.status()
    if not _refresh_due(status, policy):
        return database
    database.close()
    from safe_pip.advisories.update import refresh_database

    try:
        refresh_database(path, timeout=REFRESH_BUDGET_SECONDS, configured=policy.advisory_sources)
    except (CannotCheckError, UsageError) as exc:
        notes.append(_offline_note(status, policy, exc))
    return AdvisoryDatabase.open(path)


def _refresh_due(status: DatabaseStatus, policy: Policy) -> bool:
    return policy.refresh_after > timedelta(0) and status.age > policy.refresh_after


def _offline_note(status: DatabaseStatus, policy: Policy, error: Exception) -> str:
    reason = str(error).split("; ", 1)[0]
    malware_age = status.malware_age
    limit = policy.max_malware_age
    if limit > timedelta(0) and malware_age > limit:
        raise CannotCheckError(
            f"malicious-package data is {format_duration(malware_age)} old, older than "
            f"max-malware-age {format_duration(limit)}, and could not be refreshed ({reason})"
        )
    return (
        f"could not refresh the advisory database ({reason}); using data fetched "
        f"{format_duration(status.age)} ago"
    )
