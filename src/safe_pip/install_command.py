"""``safe-pip install ARGS``: plan with pip's resolver, check, then install exactly the plan."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from safe_pip import exit_codes
from safe_pip.cli_common import policy_from_args
from safe_pip.guard import check_plan, print_verdict
from safe_pip.own_options import split_own_options
from safe_pip.pip_args import parse_install_args
from safe_pip.pip_config import effective_index_urls
from safe_pip.pip_plan import resolve_plan
from safe_pip.target_python import resolve_target_python
from safe_pip.vetted_install import install_vetted

VETTED_INSTALL_FAILED = 4  # checks passed, but pip's own install step failed


def run_install(argv: Sequence[str]) -> int:
    own, pip_args = split_own_options(argv)
    policy = policy_from_args(own.as_namespace())
    python = resolve_target_python(own.python)
    install_args = parse_install_args(pip_args)

    # pip's configuration is read while pip resolves: both are subprocesses of the target.
    with ThreadPoolExecutor(max_workers=1) as pool:
        index_urls_future = pool.submit(effective_index_urls, python, install_args)
        plan = resolve_plan(python, install_args)
        index_urls = index_urls_future.result()

    if not plan:
        _say("nothing to install: every requirement is already satisfied.")
        return exit_codes.OK

    result = check_plan(plan, policy, index_urls)
    print_verdict(result, own.output_format)
    if result.verdict.blocked:
        return exit_codes.BLOCKED

    outcome = install_vetted(python, plan, install_args.passthrough_args)
    if outcome.hash_mismatch:
        _say(
            "blocked: a downloaded file does not match the sha256 that was checked "
            "(the index served different bytes); nothing was installed."
        )
        return exit_codes.BLOCKED
    if outcome.returncode != 0:
        _say(f"pip failed to install the vetted plan (exit {outcome.returncode}).")
        return outcome.returncode if outcome.returncode == 130 else VETTED_INSTALL_FAILED
    return exit_codes.OK


def _say(message: str) -> None:
    sys.stderr.write(f"safe-pip: {message}\n")
