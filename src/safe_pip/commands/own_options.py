"""safe-pip's own options: one table, read once, for every command.

``safe-pip install`` and ``safe-pip uv`` must accept every installer option unchanged, so
instead of letting argparse guess (it would abbreviate, reorder or reject pip's options) the
options in :data:`OWN_OPTIONS` are taken out by name (:func:`split_own_options`) and
everything else is handed on in order. ``safe-pip check`` uses argparse; its policy and
output options are added from the same table (:func:`add_policy_options`) and read back with
:func:`own_options_from_parsed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from safe_pip.errors import UsageError

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from safe_pip.pipeline.policy import Policy
    from safe_pip.pipeline.report_options import ReportOptions

OUTPUT_FORMATS = ("text", "json", "sarif", "cyclonedx")
FAIL_MODES = ("closed", "open")
PIP_HELP_OPTION = "--pip-help"  # ``safe-pip install --pip-help``: the target pip's own help


class OwnOption(NamedTuple):
    """One safe-pip option: its name, the ``OwnOptions`` field it sets, and how."""

    name: str
    dest: str
    help: str
    takes_value: bool = True
    repeated: bool = False  # every use adds a value (else the last one wins)
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    policy: bool = True  # a policy/output option (``check`` has its own --python)


OWN_OPTIONS: tuple[OwnOption, ...] = (
    OwnOption(
        "--python",
        "python",
        "the interpreter (or venv directory) to install into; default: the active virtualenv, "
        "else the python3 on PATH (never safe-pip's own environment)",
        metavar="PATH",
        policy=False,
    ),
    OwnOption("--uv", "uv", "the uv executable to run", metavar="PATH", policy=False),
    OwnOption(
        "--format",
        "output_format",
        "report format: text, json, sarif (SARIF 2.1.0) or cyclonedx (CycloneDX 1.6 BOM); "
        "a machine format on stdout sends installer output to stderr",
        choices=OUTPUT_FORMATS,
    ),
    OwnOption(
        "--output",
        "output",
        "write the report to FILE (stdout then gets the text report)",
        metavar="FILE",
    ),
    OwnOption(
        "--warn-only",
        "warn_only",
        "report problems as warnings and go on (malicious packages still block)",
        takes_value=False,
    ),
    OwnOption(
        "--ignore-vuln",
        "ignore_vuln",
        "ignore an advisory (id or alias); a reason is required",
        repeated=True,
        metavar="ID:REASON",
    ),
    OwnOption(
        "--allow",
        "allow",
        "ignore vulnerability/yanked/unverifiable findings for this package",
        repeated=True,
        metavar="PACKAGE",
    ),
    OwnOption(
        "--fail-mode",
        "fail_mode",
        "when a check cannot run (no database, index unreachable): closed refuses with "
        "exit 3 (default), open warns and goes on with the checks that ran",
        choices=FAIL_MODES,
    ),
)
OWN_VALUE_OPTIONS = frozenset(option.name for option in OWN_OPTIONS if option.takes_value)
_BY_NAME = {option.name: option for option in OWN_OPTIONS}


class OwnOptions:
    """The values of :data:`OWN_OPTIONS` on one command line (a plain class, not a
    dataclass: read before the installer starts, see ``tests/test_start_path.py``)."""

    FIELDS = (
        *("python", "uv", "output_format", "output"),
        *("warn_only", "ignore_vuln", "allow", "fail_mode"),
    )

    def __init__(
        self,
        python: str | None = None,
        uv: str | None = None,
        output_format: str = "text",
        output: str | None = None,
        warn_only: bool | None = None,
        ignore_vuln: list[str] | None = None,
        allow: list[str] | None = None,
        fail_mode: str | None = None,
    ) -> None:
        self.python = python
        self.uv = uv
        self.output_format = output_format
        self.output = output
        self.warn_only = warn_only
        self.ignore_vuln: list[str] = list(ignore_vuln or [])
        self.allow: list[str] = list(allow or [])
        self.fail_mode = fail_mode

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OwnOptions) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def __repr__(self) -> str:
        given = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"OwnOptions({given})"

    @property
    def json_output(self) -> bool:
        return self.output_format == "json"

    def report_options(
        self, *, audit: bool = False, environment: str | None = None, sources: tuple[str, ...] = ()
    ) -> ReportOptions:
        """How to report (``--format``, ``--output``) on ``environment`` or the files checked."""
        from safe_pip.pipeline.report_options import ReportOptions, note_requested

        options = ReportOptions(self.output_format, self.output, audit, environment, sources)
        note_requested(options)  # so that an error, too, gives the requested document
        return options

    def checked(self) -> OwnOptions:
        """These options, once ``--output`` is known to be writable (exit 2 before anything
        runs, else); the report is noted as requested from here on."""
        from safe_pip.pipeline.report_options import check_output_path

        if self.output is not None:
            check_output_path(self.output)
        self.report_options()
        return self

    def policy(self, start_dir: Path | None = None) -> Policy:
        """The policy from the configuration layers with these options on top."""
        from safe_pip.pipeline.config import load_policy
        from safe_pip.pipeline.policy import PolicyOverrides

        overrides = PolicyOverrides(
            warn_only=self.warn_only,
            ignore_vulns=[parse_ignore(value) for value in self.ignore_vuln],
            allow=list(self.allow),
            fail_mode=self.fail_mode,
        )
        from pathlib import Path

        from safe_pip.console import warn

        policy = load_policy(start_dir or Path.cwd(), overrides)
        for warning in policy.warnings:
            warn(warning)
        return policy


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
        option = _BY_NAME.get(name)
        if option is None or (not option.takes_value and has_inline):
            rest.append(arg)
            i += 1
        elif option.takes_value:
            value, i = _option_value(args, i)
            _store(own, option, value)
        else:
            setattr(own, option.dest, True)
            i += 1
    return own.checked(), rest


def _store(own: OwnOptions, option: OwnOption, value: str) -> None:
    if not value.strip():
        # e.g. `--python ""` from a shell function whose `command -v python` found nothing
        raise UsageError(f"{option.name} needs a value, got an empty one")
    if option.choices and value not in option.choices:
        raise UsageError(f"{option.name} must be one of {', '.join(option.choices)}, got {value!r}")
    if option.repeated:
        getattr(own, option.dest).append(value)
    else:
        setattr(own, option.dest, value)


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    """Add the policy and output options of :data:`OWN_OPTIONS` to an argparse parser."""
    group = parser.add_argument_group("policy and output")
    defaults = OwnOptions()
    for option in OWN_OPTIONS:
        if not option.policy:
            continue
        if not option.takes_value:
            group.add_argument(
                option.name, dest=option.dest, action="store_true", default=None, help=option.help
            )
            continue
        group.add_argument(
            option.name,
            dest=option.dest,
            action="append" if option.repeated else "store",
            default=[] if option.repeated else getattr(defaults, option.dest),
            choices=option.choices or None,
            metavar=option.metavar,
            help=option.help,
        )


def own_options_from_parsed(parsed: argparse.Namespace) -> OwnOptions:
    """The ``OwnOptions`` an argparse parser with :func:`add_policy_options` read."""
    given = {name: getattr(parsed, name) for name in OwnOptions.FIELDS if hasattr(parsed, name)}
    own = OwnOptions(**given)
    return own.checked()


def parse_ignore(value: str) -> tuple[str, str]:
    """``"PYSEC-2018-28:reason text"`` -> ``("PYSEC-2018-28", "reason text")``."""
    advisory_id, sep, reason = value.partition(":")
    if not sep or not advisory_id.strip() or not reason.strip():
        raise UsageError(
            f"--ignore-vuln {value!r} needs a reason: --ignore-vuln 'ID:why it is safe here'"
        )
    return advisory_id.strip(), reason.strip()


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


def quiet_level(args: Sequence[str], env_value: str = "") -> int:
    """How quiet the installer was asked to be, as pip and uv count it: each ``-q`` /
    ``--quiet`` (``-qq`` twice), plus ``PIP_QUIET`` (a number) when given."""
    level = 0
    for arg in args:
        if arg == "--":
            break
        if arg == "--quiet":
            level += 1
        elif len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and set(arg[1:]) == {"q"}:
            level += len(arg) - 1
    if env_value.strip().isdigit():
        level += int(env_value.strip())
    return level
