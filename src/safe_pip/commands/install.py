"""``safe-pip install ARGS``: the target's pip, run once with safe-pip's guard inside it.

safe-pip takes only its own options out of the command line; everything else goes to pip
unchanged and is read by pip alone (``installers/pip/one_pass.py``). Only for a pip whose
internals the guard does not recognise, and only with ``fail-mode = "open"``, does the older
two-pass path run (``PipInstaller``: pip's dry run checked, then a hash-pinned install), and
then for wheels only (``installers/pip/binary_only.py``): nothing is built from source.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from safe_pip import exit_codes
from safe_pip.commands.own_options import PIP_HELP_OPTION, quiet_level, split_own_options
from safe_pip.console import refuse_colour, say
from safe_pip.errors import UsageError
from safe_pip.installers.pip import one_pass
from safe_pip.installers.process import check_interpreter
from safe_pip.installers.target_python import (
    default_target_note,
    environment_label,
    resolve_target_python,
)
from safe_pip.pipeline import decision_log

# Everything else is imported once pip is running (see ``one_pass.run_guarded_pip``).
if TYPE_CHECKING:
    from safe_pip.installers.pip.args import InstallArgs
    from safe_pip.pipeline.check_plan import GuardResult
    from safe_pip.pipeline.policy import Policy

_TRUE = ("1", "true", "yes", "on")  # how pip reads a boolean PIP_* variable
ALREADY_INSTALLED_REASON = "already installed; nothing was changed: upgrade it to fix this"


def run_install(argv: Sequence[str]) -> int:
    own, pip_args = split_own_options(argv)
    if PIP_HELP_OPTION in pip_args:  # the target pip's own help for `pip install`
        return subprocess.call([resolve_target_python(own.python), "-m", "pip", "install", "-h"])
    if _may_ask_for_help(pip_args):
        from safe_pip.commands.help_text import install_help

        if install_args_of(pip_args).help_requested:
            sys.stdout.write(install_help())
            return exit_codes.OK
    python = check_interpreter(resolve_target_python(own.python))
    note = default_target_note(python, own.python)
    if note is not None and not quiet_level(pip_args, os.environ.get("PIP_QUIET", "")):
        say(note)
    decision_log.note_target(python)
    decision_log.note_check_started()  # from here on, even a failed plan is a guarded run
    report = own.report_options(environment=environment_label(python))._replace(
        quiet=quiet_level(pip_args, os.environ.get("PIP_QUIET", ""))
    )
    if "--no-color" in pip_args or os.environ.get("PIP_NO_COLOR", "").lower() in _TRUE:
        refuse_colour()

    def two_pass() -> int:
        from safe_pip.errors import CannotCheckError
        from safe_pip.installers.base import guarded_install
        from safe_pip.installers.pip.backend import PipInstaller
        from safe_pip.installers.pip.binary_only import binary_only_args, built_from_source
        from safe_pip.installers.requirement_pins import read_requirement_files

        install_args = install_args_of(pip_args)
        if install_args.python:
            raise UsageError("pip's --python is safe-pip's own option here: use it once")
        # nothing gates the fallback's dry run: it must not build (run) anything
        culprits = built_from_source(install_args)
        if culprits:
            raise CannotCheckError(
                "with fail-mode open and a pip the guard does not recognise, only wheels from "
                f"an index are installed; these would be built from source: {', '.join(culprits)}"
                "; nothing was installed"
            )
        install_args = install_args_of(binary_only_args(pip_args))
        options = read_requirement_files(install_args.requirement_inputs).option_lines()
        return guarded_install(
            PipInstaller.start(python, install_args, options, report),
            load_policy=own.policy,
            report_options=report,
            already_installed=lambda policy: already_installed(python, install_args, policy),
        )

    return one_pass.install(
        python,
        pip_args,
        own.policy,
        report,
        fallback=two_pass,
        already_installed=lambda policy: already_installed(
            python, install_args_of(pip_args), policy
        ),
    )


def install_args_of(pip_args: Sequence[str]) -> InstallArgs:
    """safe-pip's reading of pip's arguments: only for help, the names the user asked for,
    and the two-pass fallback; pip alone decides what the arguments mean for the install."""
    from safe_pip.installers.pip.args import parse_install_args

    return parse_install_args(pip_args)


def _may_ask_for_help(pip_args: Sequence[str]) -> bool:
    """Whether pip's parser could read ``-h``/``--help`` (or an abbreviation) in ``pip_args``:
    a cheap test, so that only then is the whole line parsed before pip starts. Anything
    that could be one (``--h...``, a short-option cluster with an ``h``) says yes."""
    return any(
        arg.startswith("--h") or (arg.startswith("-") and not arg.startswith("--") and "h" in arg)
        for arg in pip_args
    )


def already_installed(python: str, install_args: InstallArgs, policy: Policy) -> GuardResult:
    """pip has nothing to install: what the environment already has of the requested
    projects, checked against the advisories; anything found is a warning (nothing changes)."""
    from dataclasses import replace

    from safe_pip.installers.requirement_pins import requested_names
    from safe_pip.models import Action, Verdict
    from safe_pip.pipeline.check_plan import GuardResult, check_plan
    from safe_pip.producers.installed import installed_plan

    names = requested_names(install_args.requirements, install_args.requirement_files)
    items = [item for item in installed_plan(python) if item.name in names] if names else []
    if not items:
        return GuardResult(verdict=Verdict(plan=[]))
    result = check_plan(items, policy, [], record_seen=False)
    result.verdict.decisions[:] = [
        replace(d, action=Action.WARN, reason=ALREADY_INSTALLED_REASON)
        if d.action is Action.BLOCK
        else d
        for d in result.verdict.decisions
    ]
    return result
