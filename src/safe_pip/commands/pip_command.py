"""``safe-pip download|wheel|lock ARGS``: pip's command, run once with safe-pip's guard in it.

What these commands would download, build or write into a lock file is their plan: it gets
the same gate and full check as ``safe-pip install`` (``installers/pip/one_pass.py``), and a
run that would write something unchecked stops with exit 3. safe-pip takes only its own
options out of the command line; pip reads the rest. There is no two-pass fallback: a pip
the guard does not recognise is refused (exit 3), whatever the fail-mode.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from safe_pip.commands.own_options import PIP_HELP_OPTION, split_own_options
from safe_pip.console import refuse_colour
from safe_pip.installers.pip import one_pass
from safe_pip.installers.process import check_interpreter
from safe_pip.installers.target_python import environment_label, resolve_target_python
from safe_pip.pipeline import decision_log

_TRUE = ("1", "true", "yes", "on")  # how pip reads a boolean PIP_* variable


def run_pip_command(command: str, argv: Sequence[str]) -> int:
    """``safe-pip COMMAND ARGS`` for ``download``, ``wheel`` and ``lock``."""
    own, pip_args = split_own_options(argv)
    if PIP_HELP_OPTION in pip_args or any(arg in ("-h", "--help") for arg in pip_args):
        return subprocess.call([resolve_target_python(own.python), "-m", "pip", command, "-h"])
    python = check_interpreter(resolve_target_python(own.python))
    decision_log.note_target(python)
    decision_log.note_check_started()
    report = own.report_options(environment=environment_label(python))
    if "--no-color" in pip_args or os.environ.get("PIP_NO_COLOR", "").lower() in _TRUE:
        refuse_colour()

    def no_fallback() -> int:
        from safe_pip.errors import CannotCheckError

        raise CannotCheckError(
            f"safe-pip's guard does not recognise this pip; `safe-pip {command}` has no "
            "unguarded fallback (upgrade pip: `safe-pip install --python "
            f"{python} -U pip`)"
        )

    return one_pass.install(
        python, pip_args, own.policy, report, fallback=no_fallback, pip_command=command
    )
