"""Split the arguments of ``pip install`` into what the dry run and the vetted install need.

This does not resolve anything: pip does. It only classifies pip's install options so that

* the dry run (``pip install --dry-run --report -``) gets every user argument, minus those
  that would break the report (``--report``, ``--dry-run``, ``-v``/``-q``, ``--python``);
* the vetted install (``pip install --no-deps --require-hashes -r vetted.txt``) gets the
  options that shape *how and where* things are installed (index, network, location, build
  options) but none of the requirement inputs or resolution options.

Unknown options are kept in both lists: pip validates them and reports its own error.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field


class _Use(enum.Enum):
    BOTH = "both"  # dry run and vetted install
    DRY_RUN = "dry-run"  # resolution only: requirement inputs, upgrade, pre-releases...
    VETTED = "vetted"  # vetted install only (would pollute the JSON report on stdout)
    NEITHER = "neither"  # safe-pip supplies or handles it itself


@dataclass(frozen=True)
class _Option:
    names: tuple[str, ...]  # the first long one is the canonical spelling (``_Collector``)
    takes_value: bool
    use: _Use


_OPTIONS: tuple[_Option, ...] = (
    # requirement inputs and resolution
    _Option(("-r", "--requirement"), True, _Use.DRY_RUN),
    _Option(("-c", "--constraint"), True, _Use.DRY_RUN),
    _Option(("-e", "--editable"), True, _Use.DRY_RUN),
    _Option(("--group",), True, _Use.DRY_RUN),
    _Option(("--requirements-from-script",), True, _Use.DRY_RUN),
    _Option(("--no-deps", "--no-dependencies"), False, _Use.DRY_RUN),
    _Option(("--only-deps", "--only-dependencies"), False, _Use.DRY_RUN),
    _Option(("-U", "--upgrade"), False, _Use.DRY_RUN),
    _Option(("--upgrade-strategy",), True, _Use.DRY_RUN),
    _Option(("--pre",), False, _Use.DRY_RUN),
    _Option(("--all-releases",), True, _Use.DRY_RUN),
    _Option(("--only-final",), True, _Use.DRY_RUN),
    _Option(("--require-hashes",), False, _Use.DRY_RUN),
    _Option(("--no-require-hashes",), False, _Use.DRY_RUN),
    # replaced by safe-pip's own
    _Option(("--dry-run",), False, _Use.NEITHER),
    _Option(("--report",), True, _Use.NEITHER),
    _Option(("--python",), True, _Use.NEITHER),
    _Option(("-h", "--help"), False, _Use.NEITHER),
    # output verbosity: would mix log lines into the report on stdout
    _Option(("-v", "--verbose"), False, _Use.VETTED),
    _Option(("-q", "--quiet"), False, _Use.VETTED),
    # package index
    _Option(("-i", "--index-url", "--pypi-url"), True, _Use.BOTH),
    _Option(("--extra-index-url",), True, _Use.BOTH),
    _Option(("--no-index",), False, _Use.BOTH),
    _Option(("-f", "--find-links"), True, _Use.BOTH),
    _Option(("--trusted-host",), True, _Use.BOTH),
    _Option(("--refresh-package",), True, _Use.BOTH),
    _Option(("--uploaded-prior-to",), True, _Use.BOTH),
    _Option(("--keyring-provider",), True, _Use.BOTH),
    # network
    _Option(("--cert",), True, _Use.BOTH),
    _Option(("--client-cert",), True, _Use.BOTH),
    _Option(("--proxy",), True, _Use.BOTH),
    _Option(("--no-proxy-env",), False, _Use.BOTH),
    _Option(("--retries",), True, _Use.BOTH),
    _Option(("--resume-retries",), True, _Use.BOTH),
    _Option(("--timeout", "--default-timeout"), True, _Use.BOTH),
    # install location and target platform
    _Option(("-t", "--target"), True, _Use.BOTH),
    _Option(("--user",), False, _Use.BOTH),
    _Option(("--no-user",), False, _Use.BOTH),
    _Option(("--root",), True, _Use.BOTH),
    _Option(("--prefix",), True, _Use.BOTH),
    _Option(("--src", "--source", "--source-dir", "--source-directory"), True, _Use.BOTH),
    _Option(("--platform",), True, _Use.BOTH),
    _Option(("--python-version",), True, _Use.BOTH),
    _Option(("--implementation",), True, _Use.BOTH),
    _Option(("--abi",), True, _Use.BOTH),
    _Option(("--break-system-packages",), False, _Use.BOTH),
    _Option(("--ignore-requires-python",), False, _Use.BOTH),
    # what to reinstall
    _Option(("--force-reinstall",), False, _Use.BOTH),
    _Option(("-I", "--ignore-installed"), False, _Use.BOTH),
    _Option(("--exists-action",), True, _Use.BOTH),
    # building sdists
    _Option(("--no-build-isolation",), False, _Use.BOTH),
    _Option(("--use-pep517",), False, _Use.BOTH),
    _Option(("--no-use-pep517",), False, _Use.BOTH),
    _Option(("--check-build-dependencies",), False, _Use.BOTH),
    _Option(("--build-constraint",), True, _Use.BOTH),
    _Option(("-C", "--config-settings"), True, _Use.BOTH),
    _Option(("--global-option",), True, _Use.BOTH),
    _Option(("--build-option",), True, _Use.BOTH),
    _Option(("--install-option",), True, _Use.BOTH),
    _Option(("--no-clean",), False, _Use.BOTH),
    _Option(("--only-binary",), True, _Use.BOTH),
    _Option(("--no-binary",), True, _Use.BOTH),
    _Option(("--prefer-binary",), False, _Use.BOTH),
    # installing
    _Option(("--compile",), False, _Use.BOTH),
    _Option(("--no-compile",), False, _Use.BOTH),
    _Option(("--no-warn-script-location",), False, _Use.BOTH),
    _Option(("--no-warn-conflicts",), False, _Use.BOTH),
    _Option(("--root-user-action",), True, _Use.BOTH),
    _Option(("--progress-bar",), True, _Use.BOTH),
    # general
    _Option(("--isolated",), False, _Use.BOTH),
    _Option(("--debug",), False, _Use.BOTH),
    _Option(("--require-virtualenv", "--require-venv"), False, _Use.BOTH),
    _Option(("--log", "--log-file", "--local-log"), True, _Use.BOTH),
    _Option(("--no-input",), False, _Use.BOTH),
    _Option(("--cache-dir",), True, _Use.BOTH),
    _Option(("--no-cache-dir",), False, _Use.BOTH),
    _Option(("--disable-pip-version-check",), False, _Use.BOTH),
    _Option(("--no-color",), False, _Use.BOTH),
    _Option(("--no-python-version-warning",), False, _Use.BOTH),
    _Option(("--use-feature",), True, _Use.BOTH),
    _Option(("--use-deprecated",), True, _Use.BOTH),
)

_BY_NAME: dict[str, _Option] = {name: option for option in _OPTIONS for name in option.names}
_LONG_NAMES: tuple[str, ...] = tuple(name for name in _BY_NAME if name.startswith("--"))


@dataclass(frozen=True)
class InstallArgs:
    """The arguments of one ``pip install`` command, classified."""

    args: tuple[str, ...]  # exactly as given
    dry_run_args: tuple[str, ...]  # for ``pip install --dry-run --report - --quiet``
    passthrough_args: tuple[str, ...]  # for the vetted ``pip install --no-deps --require-hashes``
    requirements: tuple[str, ...] = ()  # positional requirement specifiers
    requirement_files: tuple[str, ...] = ()  # -r/--requirement
    constraint_files: tuple[str, ...] = ()  # -c/--constraint
    editables: tuple[str, ...] = ()  # -e/--editable
    index_url: str | None = None  # -i/--index-url (the last one given)
    extra_index_urls: tuple[str, ...] = ()
    no_index: bool = False
    find_links: tuple[str, ...] = ()
    target: str | None = None  # -t/--target
    user: bool = False  # --user (cancelled by a later --no-user)
    prefix: str | None = None
    root: str | None = None
    isolated: bool = False  # --isolated: pip ignores environment variables and config files
    python: str | None = None  # pip's own --python: the interpreter to install into
    dry_run: bool = False  # the user asked for --dry-run: plan and check, install nothing
    report_path: str | None = None  # the user's own --report destination
    help_requested: bool = False
    unknown_options: tuple[str, ...] = ()  # options pip will judge itself

    @property
    def requirement_inputs(self) -> list[str]:
        """Constraint then requirement files, in the order pip reads them (and their options)."""
        return [*self.constraint_files, *self.requirement_files]

    @property
    def index_urls(self) -> list[str]:
        """Index URLs given on the command line, in pip's order (index URL, then extras)."""
        first = [self.index_url] if self.index_url is not None else []
        return first + list(self.extra_index_urls)


@dataclass
class _Collector:
    """Mutable state while walking the argument list."""

    dry_run: list[str] = field(default_factory=list)
    passthrough: list[str] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    positionals: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def add(self, option: _Option, value: str | None, tokens: Sequence[str]) -> None:
        canonical = next((n for n in option.names if n.startswith("--")), option.names[0])
        if value is None:
            self.flags[canonical] = True
            if canonical == "--no-user":
                self.flags["--user"] = False
        else:
            self.values.setdefault(canonical, []).append(value)
        if option.use in (_Use.BOTH, _Use.DRY_RUN):
            self.dry_run.extend(tokens)
        if option.use in (_Use.BOTH, _Use.VETTED):
            self.passthrough.extend(tokens)

    def add_unknown(self, token: str) -> None:
        self.unknown.append(token)
        self.dry_run.append(token)
        self.passthrough.append(token)

    def last(self, name: str) -> str | None:
        given = self.values.get(name)
        return given[-1] if given else None

    def all(self, name: str) -> tuple[str, ...]:
        return tuple(self.values.get(name, ()))


def _long_option(name: str) -> _Option | None:
    """Exact match, or a unique prefix as optparse (and so pip) accepts it."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    candidates = [long for long in _LONG_NAMES if long.startswith(name)]
    return _BY_NAME[candidates[0]] if len(candidates) == 1 else None


def needs_separate_value(token: str) -> bool:
    """Whether pip reads the next argument as the value of option ``token``
    (``--log FILE``, ``-vr FILE``; not ``--log=FILE``, ``-rFILE`` or a flag)."""
    if token.startswith("--"):
        name, has_inline, _ = token.partition("=")
        option = _long_option(name)
        return option is not None and option.takes_value and not has_inline
    for position, letter in enumerate(token[1:], start=1):
        option = _BY_NAME.get("-" + letter)
        if option is None:
            return False
        if option.takes_value:
            return position == len(token) - 1
    return False


def parse_install_args(args: Sequence[str]) -> InstallArgs:
    """Classify the arguments of ``pip install`` (without the ``install`` itself)."""
    state = _Collector()
    position = 0
    tokens = list(args)
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if token == "--":
            state.positionals.extend(tokens[position:])
            state.dry_run.extend(tokens[position - 1 :])
            break
        if token.startswith("--"):
            position = _take_long(token, tokens, position, state)
        elif token.startswith("-") and token != "-":
            position = _take_short_cluster(token, tokens, position, state)
        else:
            state.positionals.append(token)
            state.dry_run.append(token)
    return _install_args(tuple(args), state)


def _take_long(token: str, tokens: list[str], position: int, state: _Collector) -> int:
    name, has_inline, inline_value = token.partition("=")
    option = _long_option(name)
    if option is None:
        state.add_unknown(token)
        return position
    if not option.takes_value:
        if has_inline:  # ``--flag=x``: pip rejects it; let pip say so
            state.add_unknown(token)
        else:
            state.add(option, None, [token])
        return position
    if has_inline:
        state.add(option, inline_value, [token])
        return position
    if position >= len(tokens):  # value missing: pip reports it
        state.add_unknown(token)
        return position
    state.add(option, tokens[position], [token, tokens[position]])
    return position + 1


def _take_short_cluster(token: str, tokens: list[str], position: int, state: _Collector) -> int:
    """``-qq``, ``-Uq``, ``-rreq.txt``, ``-Ur req.txt``: flags, then at most one valued option."""
    letters = token[1:]
    index = 0
    while index < len(letters):
        name = "-" + letters[index]
        index += 1
        option = _BY_NAME.get(name)
        if option is None and index == 1:  # not an option we know: keep the token whole
            state.add_unknown(token)
            return position
        if option is None:
            state.add_unknown(name)
            continue
        if not option.takes_value:
            state.add(option, None, [name])
            continue
        rest = letters[index:]
        if rest:
            state.add(option, rest, [name, rest])
        elif position < len(tokens):
            state.add(option, tokens[position], [name, tokens[position]])
            position += 1
        else:
            state.add_unknown(name)
        return position
    return position


def _install_args(args: tuple[str, ...], state: _Collector) -> InstallArgs:
    return InstallArgs(
        args=args,
        dry_run_args=tuple(state.dry_run),
        passthrough_args=tuple(state.passthrough),
        requirements=tuple(state.positionals),
        requirement_files=state.all("--requirement"),
        constraint_files=state.all("--constraint"),
        editables=state.all("--editable"),
        index_url=state.last("--index-url"),
        extra_index_urls=state.all("--extra-index-url"),
        no_index=state.flags.get("--no-index", False),
        find_links=state.all("--find-links"),
        target=state.last("--target"),
        user=state.flags.get("--user", False),
        prefix=state.last("--prefix"),
        root=state.last("--root"),
        isolated=state.flags.get("--isolated", False),
        python=state.last("--python"),
        dry_run=state.flags.get("--dry-run", False),
        report_path=state.last("--report"),
        help_requested=state.flags.get("--help", False),
        unknown_options=tuple(state.unknown),
    )
