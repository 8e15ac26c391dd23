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

from collections.abc import Sequence
from dataclasses import dataclass, field

from safe_pip.installers.pip.options import BY_NAME, PipOption, Use, long_option


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

    def add(self, option: PipOption, value: str | None, tokens: Sequence[str]) -> None:
        canonical = next((n for n in option.names if n.startswith("--")), option.names[0])
        if value is None:
            self.flags[canonical] = True
            if canonical == "--no-user":
                self.flags["--user"] = False
        else:
            self.values.setdefault(canonical, []).append(value)
        if option.use in (Use.BOTH, Use.DRY_RUN):
            self.dry_run.extend(tokens)
        if option.use in (Use.BOTH, Use.VETTED):
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
    option = long_option(name)
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
        option = BY_NAME.get(name)
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
