"""Pick safe-pip's own options out of a pip/uv command line, leaving the rest untouched.

``safe-pip install`` must accept every ``pip install`` option unchanged, so instead of letting
argparse guess (it would abbreviate, reorder or reject pip's options) the few options that
belong to safe-pip are taken out by name and everything else is handed on in order.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

from safe_pip.commands.policy_options import FAIL_MODES, OUTPUT_FORMATS
from safe_pip.errors import UsageError

OWN_VALUE_OPTIONS = ("--python", "--format", "--ignore-vuln", "--allow", "--fail-mode", "--uv")
_FLAG_OPTIONS = ("--warn-only",)


@dataclass
class OwnOptions:
    python: str | None = None
    uv: str | None = None
    output_format: str = "text"
    warn_only: bool | None = None
    ignore_vuln: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    fail_mode: str | None = None

    def as_namespace(self) -> argparse.Namespace:
        """The same shape ``cli_common.add_policy_options`` produces."""
        return argparse.Namespace(**self.__dict__)


def split_own_options(args: Sequence[str]) -> tuple[OwnOptions, list[str]]:
    """Return safe-pip's options and the remaining arguments (for pip/uv), in order.

    Everything after a literal ``--`` belongs to the installer untouched.
    """
    own = OwnOptions()
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name, has_inline, _ = arg.partition("=")
        if name in _FLAG_OPTIONS and not has_inline:
            own.warn_only = True
            i += 1
            continue
        if name in OWN_VALUE_OPTIONS:
            value, i = _option_value(args, i)
            _store(own, name, value)
            continue
        rest.append(arg)
        i += 1
    return own, rest


def _store(own: OwnOptions, name: str, value: str) -> None:
    if name == "--python":
        own.python = value
    elif name == "--uv":
        own.uv = value
    elif name == "--format":
        if value not in OUTPUT_FORMATS:
            raise UsageError(f"--format must be one of {', '.join(OUTPUT_FORMATS)}, got {value!r}")
        own.output_format = value
    elif name == "--ignore-vuln":
        own.ignore_vuln.append(value)
    elif name == "--allow":
        own.allow.append(value)
    elif name == "--fail-mode":
        if value not in FAIL_MODES:
            raise UsageError(f"--fail-mode must be one of {', '.join(FAIL_MODES)}, got {value!r}")
        own.fail_mode = value


def take_python_option(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """Only ``--python`` is ours on pass-through commands (``pip list --format`` is pip's)."""
    return take_option(args, "--python")


def take_option(args: Sequence[str], name: str) -> tuple[str | None, list[str]]:
    """The value of option ``name`` (the last one given) and the other arguments, in order.

    Everything after a literal ``--`` is left untouched.
    """
    value: str | None = None
    rest: list[str] = []
    i = 0
    while i < len(args):
        if args[i] == "--":
            rest.extend(args[i:])
            break
        if args[i].partition("=")[0] == name:
            value, i = _option_value(args, i)
            continue
        rest.append(args[i])
        i += 1
    return value, rest


def _option_value(args: Sequence[str], i: int) -> tuple[str, int]:
    """The value of the option at ``args[i]`` (``--opt=value`` or ``--opt value``) and the
    index of the next argument."""
    name, has_inline, inline_value = args[i].partition("=")
    if has_inline:
        return inline_value, i + 1
    if i + 1 < len(args):
        return args[i + 1], i + 2
    raise UsageError(f"{name} needs a value")
