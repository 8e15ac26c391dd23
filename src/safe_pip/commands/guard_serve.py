"""``safe-pip guard-serve``: the pip hook's checker (internal; started by the hook itself).

Answers the guard's questions (see ``installers/pip/guard_service.py``) on stdin/stdout
until pip closes stdin; reports go back in the answers, for the guard to print where pip
prints. The policy is read from where pip runs (the working directory it shares).
"""

from __future__ import annotations

from safe_pip.commands.own_options import OwnOptions
from safe_pip.installers.pip.guard_server import serve_stdio
from safe_pip.installers.pip.guard_service import GuardService


def run_guard_serve() -> int:
    from safe_pip.pipeline.report_options import ReportOptions

    report = ReportOptions(through_hook=True)  # hints for a plain pip command
    service = GuardService(OwnOptions().policy(), print_reports=False, report=report)
    service.preload()  # returns at once; questions wait for the data
    try:
        serve_stdio(service)
    finally:
        service.close()
    return service.outcome.stop_code  # what the guard made of the pip run (decision log)
