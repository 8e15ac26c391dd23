"""The command that runs the safe-pip installation the hook belongs to.

It was recorded in ``config.json`` next to this file by ``safe-pip hook install``: the
interpreter of that safe-pip installation. The hook starts ``<command> guard-serve`` as its
checker (``channel.spawn``), which answers the guard's questions while pip runs.
"""

from __future__ import annotations

import json
import os
import sys

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
CONFIG_FILE = os.path.join(PACKAGE_DIR, "config.json")
PTH_NAME = "safe_pip_hook.pth"  # next to this package, in the same site-packages


class CheckerUnavailable(Exception):
    """The checker command is not recorded or cannot be started (one line)."""


class CheckerError(CheckerUnavailable):
    """The checker runs, but answered a question with an error (one line): safe-pip is
    installed and working, so removing the hook is no advice for it."""


def checker_command(config_file: str = CONFIG_FILE) -> list[str]:
    """The recorded command that runs safe-pip (without the ``guard-serve`` argument).

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
