"""What the plan's wheels carry, as an installer front end reports it before installing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from safe_pip import exit_codes
from safe_pip.errors import SafePipError
from safe_pip.pipeline.check_plan import GuardResult
from safe_pip.pipeline.report_options import ReportOptions

if TYPE_CHECKING:
    from safe_pip.installers.base import InstallOutcome


class ContentsBlocked(SafePipError):
    """A wheel of the plan carries what policy blocks; ``result`` says what."""

    exit_code = exit_codes.BLOCKED

    def __init__(self, result: GuardResult, installer: str = "uv") -> None:
        super().__init__(f"blocked before {installer} installed anything")
        self.result = result


def only_a_hash_mismatch(result: GuardResult) -> bool:
    """Every block is a downloaded file whose sha256 is not the checked one: the install
    ends as the installer's own refusal of that file would (the hash-mismatch exit)."""
    from safe_pip.models import Action
    from safe_pip.pipeline.checks import HASH_DOWNLOAD_ID

    blocking = [d for d in result.verdict.decisions if d.action is Action.BLOCK]
    return bool(blocking) and all(d.finding.id == HASH_DOWNLOAD_ID for d in blocking)


def show_inspection(result: GuardResult, options: ReportOptions) -> None:
    """The report when the inspection decided something, else just its warnings (a second
    full report of an allowed plan would repeat the first)."""
    from safe_pip.console import warn
    from safe_pip.installers.base import report

    if result.verdict.decisions:
        report(result, options)
        return
    for note in result.notes:
        warn(note)


def act_on_inspection(
    result: GuardResult, options: ReportOptions, installer: str
) -> InstallOutcome | None:
    """What a front end does with its plan's inspection before it installs: a downloaded
    file with other bytes than were checked ends the install as the installer's own refusal
    would (nothing installed, the hash-mismatch exit); otherwise the findings are shown and a
    block raises ``ContentsBlocked``. None: go on and install."""
    from safe_pip.installers.base import InstallOutcome

    if only_a_hash_mismatch(result):
        return InstallOutcome(exit_codes.BLOCKED, hash_mismatch=True)
    show_inspection(result, options)
    if result.verdict.blocked:
        raise ContentsBlocked(result, installer)
    return None
