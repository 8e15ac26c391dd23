"""The decision-log line of one refusal by the guarded index (``tween``).

The same file and line format as a guarded install (``pipeline.decision_log``, read by
``safe-pip log``), with ``command`` the request (``["devpi", "GET", PATH]``), ``target`` the
index (``user/index``) and ``client`` the address the request came from (devpi's own rule:
``X-Real-IP`` when a proxy sets it, else the peer). Writing never fails a request: a problem
is one line in devpi's log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from safe_pip.devpi.guard import VersionVerdict

_log = logging.getLogger(__name__)


def refusal_entry(
    *,
    method: str,
    path: str,
    client: str | None,
    index: str,
    verdict: str,
    verdicts: Sequence[VersionVerdict],
    filename: str | None,
    error: str | None,
    when: datetime,
) -> dict[str, object]:
    from safe_pip import exit_codes
    from safe_pip.pipeline.decision_log import SCHEMA, decisions_json
    from safe_pip.redaction import redact_document

    decisions = [d for v in verdicts for d in v.blockers]
    document = {
        "schema": SCHEMA,
        "time": when.isoformat(timespec="seconds"),
        "command": ["devpi", method, path],
        "target": index,
        "client": client,
        "verdict": verdict,
        "exit_code": exit_codes.BLOCKED if verdict == "blocked" else exit_codes.CANNOT_CHECK,
        "error": error,
        "plan": [
            {"name": v.name, "version": v.version, "source": "index", "filename": filename}
            for v in verdicts
        ],
        **decisions_json(decisions),
    }
    return cast("dict[str, object]", redact_document(document))


def log_refusal(log_path: Path | None, **fields: object) -> None:
    """Append one refusal line; never raises."""
    from safe_pip.pipeline.decision_log import append

    try:
        append(refusal_entry(**fields), log_path)  # type: ignore[arg-type]
    except (OSError, ValueError, TypeError) as exc:
        _log.warning("safe-pip: decision log not written: %s", exc)
