"""pip's install options as pip's parser reads them: names, whether each takes a value, and
where safe-pip's two-pass fallback passes it (``args.py``).

A module of its own, without dataclasses: ``safe-pip``'s command line finds pip's command word
with it (``cli._pip_command_position``) before pip starts, where every import is paid on each
run (``tests/test_start_path.py``).
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class Use(enum.Enum):
    BOTH = "both"  # dry run and vetted install
    DRY_RUN = "dry-run"  # resolution only: requirement inputs, upgrade, pre-releases...
    VETTED = "vetted"  # vetted install only (would pollute the JSON report on stdout)
    NEITHER = "neither"  # safe-pip supplies or handles it itself


class PipOption(NamedTuple):
    names: tuple[str, ...]  # the first long one is the canonical spelling (``args._Collector``)
    takes_value: bool
    use: Use


OPTIONS: tuple[PipOption, ...] = (
    # requirement inputs and resolution
    PipOption(("-r", "--requirement"), True, Use.DRY_RUN),
    PipOption(("-c", "--constraint"), True, Use.DRY_RUN),
    PipOption(("-e", "--editable"), True, Use.DRY_RUN),
    PipOption(("--group",), True, Use.DRY_RUN),
    PipOption(("--requirements-from-script",), True, Use.DRY_RUN),
    PipOption(("--no-deps", "--no-dependencies"), False, Use.DRY_RUN),
    PipOption(("--only-deps", "--only-dependencies"), False, Use.DRY_RUN),
    PipOption(("-U", "--upgrade"), False, Use.DRY_RUN),
    PipOption(("--upgrade-strategy",), True, Use.DRY_RUN),
    PipOption(("--pre",), False, Use.DRY_RUN),
    PipOption(("--all-releases",), True, Use.DRY_RUN),
    PipOption(("--only-final",), True, Use.DRY_RUN),
    PipOption(("--require-hashes",), False, Use.DRY_RUN),
    PipOption(("--no-require-hashes",), False, Use.DRY_RUN),
    # replaced by safe-pip's own
    PipOption(("--dry-run",), False, Use.NEITHER),
    PipOption(("--report",), True, Use.NEITHER),
    PipOption(("--python",), True, Use.NEITHER),
    PipOption(("-h", "--help"), False, Use.NEITHER),
    # output verbosity: would mix log lines into the report on stdout
    PipOption(("-v", "--verbose"), False, Use.VETTED),
    PipOption(("-q", "--quiet"), False, Use.VETTED),
    # package index
    PipOption(("-i", "--index-url", "--pypi-url"), True, Use.BOTH),
    PipOption(("--extra-index-url",), True, Use.BOTH),
    PipOption(("--no-index",), False, Use.BOTH),
    PipOption(("-f", "--find-links"), True, Use.BOTH),
    PipOption(("--trusted-host",), True, Use.BOTH),
    PipOption(("--refresh-package",), True, Use.BOTH),
    PipOption(("--uploaded-prior-to",), True, Use.BOTH),
    PipOption(("--keyring-provider",), True, Use.BOTH),
    # network
    PipOption(("--cert",), True, Use.BOTH),
    PipOption(("--client-cert",), True, Use.BOTH),
    PipOption(("--proxy",), True, Use.BOTH),
    PipOption(("--no-proxy-env",), False, Use.BOTH),
    PipOption(("--retries",), True, Use.BOTH),
    PipOption(("--resume-retries",), True, Use.BOTH),
    PipOption(("--timeout", "--default-timeout"), True, Use.BOTH),
    # install location and target platform
    PipOption(("-t", "--target"), True, Use.BOTH),
    PipOption(("--user",), False, Use.BOTH),
    PipOption(("--no-user",), False, Use.BOTH),
    PipOption(("--root",), True, Use.BOTH),
    PipOption(("--prefix",), True, Use.BOTH),
    PipOption(("--src", "--source", "--source-dir", "--source-directory"), True, Use.BOTH),
    PipOption(("--platform",), True, Use.BOTH),
    PipOption(("--python-version",), True, Use.BOTH),
    PipOption(("--implementation",), True, Use.BOTH),
    PipOption(("--abi",), True, Use.BOTH),
    PipOption(("--break-system-packages",), False, Use.BOTH),
    PipOption(("--ignore-requires-python",), False, Use.BOTH),
    # what to reinstall
    PipOption(("--force-reinstall",), False, Use.BOTH),
    PipOption(("-I", "--ignore-installed"), False, Use.BOTH),
    PipOption(("--exists-action",), True, Use.BOTH),
    # building sdists
    PipOption(("--no-build-isolation",), False, Use.BOTH),
    PipOption(("--use-pep517",), False, Use.BOTH),
    PipOption(("--no-use-pep517",), False, Use.BOTH),
    PipOption(("--check-build-dependencies",), False, Use.BOTH),
    PipOption(("--build-constraint",), True, Use.BOTH),
    PipOption(("-C", "--config-settings"), True, Use.BOTH),
    PipOption(("--global-option",), True, Use.BOTH),
    PipOption(("--build-option",), True, Use.BOTH),
    PipOption(("--install-option",), True, Use.BOTH),
    PipOption(("--no-clean",), False, Use.BOTH),
    PipOption(("--only-binary",), True, Use.BOTH),
    PipOption(("--no-binary",), True, Use.BOTH),
    PipOption(("--prefer-binary",), False, Use.BOTH),
    # installing
    PipOption(("--compile",), False, Use.BOTH),
    PipOption(("--no-compile",), False, Use.BOTH),
    PipOption(("--no-warn-script-location",), False, Use.BOTH),
    PipOption(("--no-warn-conflicts",), False, Use.BOTH),
    PipOption(("--root-user-action",), True, Use.BOTH),
    PipOption(("--progress-bar",), True, Use.BOTH),
    # general
    PipOption(("--isolated",), False, Use.BOTH),
    PipOption(("--debug",), False, Use.BOTH),
    PipOption(("--require-virtualenv", "--require-venv"), False, Use.BOTH),
    PipOption(("--log", "--log-file", "--local-log"), True, Use.BOTH),
    PipOption(("--no-input",), False, Use.BOTH),
    PipOption(("--cache-dir",), True, Use.BOTH),
    PipOption(("--no-cache-dir",), False, Use.BOTH),
    PipOption(("--disable-pip-version-check",), False, Use.BOTH),
    PipOption(("--no-color",), False, Use.BOTH),
    PipOption(("--no-python-version-warning",), False, Use.BOTH),
    PipOption(("--use-feature",), True, Use.BOTH),
    PipOption(("--use-deprecated",), True, Use.BOTH),
)

BY_NAME: dict[str, PipOption] = {name: option for option in OPTIONS for name in option.names}
LONG_NAMES: tuple[str, ...] = tuple(name for name in BY_NAME if name.startswith("--"))


def long_option(name: str) -> PipOption | None:
    """Exact match, or a unique prefix as optparse (and so pip) accepts it."""
    if name in BY_NAME:
        return BY_NAME[name]
    candidates = [long for long in LONG_NAMES if long.startswith(name)]
    return BY_NAME[candidates[0]] if len(candidates) == 1 else None


def needs_separate_value(token: str) -> bool:
    """Whether pip reads the next argument as the value of option ``token``
    (``--log FILE``, ``-vr FILE``; not ``--log=FILE``, ``-rFILE`` or a flag)."""
    if token.startswith("--"):
        name, has_inline, _ = token.partition("=")
        option = long_option(name)
        return option is not None and option.takes_value and not has_inline
    for position, letter in enumerate(token[1:], start=1):
        option = BY_NAME.get("-" + letter)
        if option is None:
            return False
        if option.takes_value:
            return position == len(token) - 1
    return False
