"""Run safe-pip's checker (``<python> -m safe_pip check --plan -``) on a plan.

The command was recorded in ``config.json`` next to this file by ``safe-pip hook install``:
the interpreter of the safe-pip installation that installed the hook. The checker's report
goes straight to the user; its exit code says what to do (0 allowed, 1 blocked, 2 usage or
configuration error, 3 could not check).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from . import run_token

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
CONFIG_FILE = os.path.join(PACKAGE_DIR, "config.json")
PTH_NAME = "safe_pip_hook.pth"  # next to this package, in the same site-packages


class CheckerUnavailable(Exception):
    """The checker command is not recorded or cannot be started (one line)."""


def checker_command(config_file: str = CONFIG_FILE) -> list[str]:
    """The recorded command that runs safe-pip (without the ``check`` arguments).

    ``CheckerUnavailable`` when it cannot work: not recorded, or safe-pip was uninstalled
    (its interpreter or its package, recorded as ``requires``, is gone).
    """
    try:
        with open(config_file, encoding="utf-8") as file:
            config = json.load(file)
        command = config.get("checker")
        requires = config.get("requires")
    except (OSError, ValueError, AttributeError) as exc:
        raise CheckerUnavailable(f"cannot read the hook's settings {config_file}: {exc}") from None
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(part, str) for part in command)
    ):
        raise CheckerUnavailable(f"the hook's settings {config_file} name no checker command")
    needed = [command[0]] if os.path.isabs(command[0]) else []
    if isinstance(requires, list):
        needed += [path for path in requires if isinstance(path, str)]
    for path in needed:
        if not os.path.exists(path):
            raise CheckerUnavailable(f"safe-pip is no longer installed ({path} is gone)")
    return command


def how_to_get_pip_back() -> str:
    """What to do when the checker is gone: remove this hook (exact files or command)."""
    pth_file = os.path.join(os.path.dirname(PACKAGE_DIR), PTH_NAME)
    return (
        f"To use pip without safe-pip, delete {pth_file} and the folder {PACKAGE_DIR} "
        f"(or run `safe-pip hook uninstall --python {sys.executable}` from a working "
        "safe-pip); to guard pip again, run `safe-pip hook install` from one."
    )


def run_checker(plan: dict[str, Any], *, report_on_stderr: bool = False) -> int:
    """Pipe ``plan`` to the checker, let its report through, return its exit code.

    ``report_on_stderr``: pip writes its own JSON report to stdout (``--report -``), so the
    checker's report must not land there.
    """
    command = [*checker_command(), "check", "--plan", "-"]
    env = run_token.without_marker()  # the checker runs no pip: nothing to exempt
    sys.stdout.flush()
    sys.stderr.flush()
    stdout = _stderr_fd() if report_on_stderr else None
    try:
        completed = subprocess.run(
            command,
            input=json.dumps(plan).encode("utf-8"),
            stdout=stdout,
            env=env,
            check=False,
        )
    except OSError as exc:
        raise CheckerUnavailable(
            f"cannot run the safe-pip checker {command[0]}: {exc.strerror or exc}"
        ) from None
    if completed.stdout:  # stderr had no file descriptor: pass the report on by hand
        sys.stderr.write(completed.stdout.decode("utf-8", "replace"))
    return completed.returncode if completed.returncode >= 0 else 3


def _stderr_fd() -> int:
    """stderr's file descriptor, or ``PIPE`` to capture when it has none."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return subprocess.PIPE
