"""Read a pip requirements file as pip does: one entry per requirement and per option.

Syntax as pip reads it: ``\\`` line continuations, ``#`` comments, ``${VAR}`` expansion,
requirement lines (a name with specifiers and markers, a URL or a path, with per-requirement
``--hash`` options) and option lines (several options per line, ``-x V``, ``-xV``, ``--x=V``).
Nested ``-r`` files are read where they stand (``-c`` files too on request), relative to the
including file; remote ones (``-r https://...``) are listed but not read. Short option
spellings get their long name (``-i`` is ``--index-url``) and a relative ``--find-links``
path is taken relative to the file when it exists there, as pip does.

Every problem is a ``UsageError`` naming ``file:line``.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from safe_pip import limits
from safe_pip.artifacts import is_sha256
from safe_pip.errors import UsageError

_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_COMMENT = re.compile(r"(^|\s+)#.*$")
_REMOTE = re.compile(r"^(https?|file|ftp)://", re.IGNORECASE)

_LONG_NAMES = {
    "-i": "--index-url",
    "-f": "--find-links",
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-C": "--config-settings",
}
_TAKES_VALUE = frozenset(
    {"--index-url", "--extra-index-url", "--find-links", "--trusted-host", "--only-binary"}
    | {"--no-binary", "--requirement", "--constraint", "--editable", "--use-feature"}
    | {"--config-settings", "--hash"}
)
_NESTED_FILES = ("--requirement", "--constraint")


@dataclass(frozen=True)
class RequirementFileOption:
    """One option, long spelling: ``("--index-url", "https://...")`` or ``("--no-index",)``."""

    name: str
    value: str | None = None

    def as_line(self) -> str:
        return self.name if self.value is None else f"{self.name} {shlex.quote(self.value)}"


@dataclass(frozen=True)
class RequirementFileEntry:
    """One requirement or one option of a requirements file, and where it stands."""

    file: Path
    line: int  # the first physical line of the (continued) line
    requirement: str | None = None  # as written: a name with specifiers/markers, a URL, a path
    parsed: Requirement | None = None  # the parsed requirement; None for a URL or path
    hashes: tuple[str, ...] = ()  # the requirement's ``--hash`` sha256 digests, lower-case
    option: RequirementFileOption | None = None  # set on an option line's entries

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def included_file(self) -> Path | None:
        """The local file a ``-r``/``-c`` entry names, relative to this file; else None."""
        option = self.option
        if option is None or option.name not in _NESTED_FILES or option.value is None:
            return None
        if is_remote(option.value):
            return None
        nested = Path(option.value)
        return nested if nested.is_absolute() else self.file.parent / nested


def is_remote(location: str) -> bool:
    """True for a URL pip would download (``https://``, ``file://``, ...)."""
    return _REMOTE.match(location) is not None


def read_requirements_file(path: Path, *, read_constraints: bool) -> list[RequirementFileEntry]:
    """The entries of ``path`` and of the files it includes, in pip's reading order.

    A ``-r`` entry is followed by the entries of the file it names; so is a ``-c`` entry when
    ``read_constraints`` (otherwise the constraints file is only named).
    """
    reader = _Reader(read_constraints)
    reader.read(path, including=None)
    return reader.entries


@dataclass
class _Reader:
    read_constraints: bool
    entries: list[RequirementFileEntry] = field(default_factory=list)
    _reading: list[Path] = field(default_factory=list)

    def read(self, path: Path, including: str | None) -> None:
        where = f" (included from {including})" if including else ""
        if "\0" in str(path):  # no file can be named so (the OS refuses the name outright)
            raise UsageError(f"requirements file name holds a NUL character: {str(path)!r}{where}")
        resolved = path.resolve()
        if resolved in self._reading:
            raise UsageError(f"requirements file includes itself: {path}{where}")
        if len(self._reading) >= limits.MAX_NESTING:
            raise UsageError(
                f"requirements files include each other more than {limits.MAX_NESTING} "
                f"levels deep: {path}{where}"
            )
        try:
            text = limits.read_bytes(path, limits.LOCK_FILE_MAX_BYTES).decode("utf-8-sig")
        except limits.DocumentError as error:
            raise UsageError(f"cannot read requirements file {path}{where}: {error}") from None
        except FileNotFoundError:
            raise UsageError(f"requirements file not found: {path}{where}") from None
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not valid UTF-8"
            raise UsageError(f"cannot read requirements file {path}{where}: {reason}") from None
        self._reading.append(resolved)
        try:
            for number, line in _logical_lines(text):
                self._read_line(path, number, line)
        finally:
            self._reading.pop()

    def _read_line(self, path: Path, number: int, line: str) -> None:
        where = f"{path}:{number}"
        requirement, option_text = _break_args_options(line)
        try:
            words = shlex.split(option_text)
        except ValueError as error:
            raise UsageError(f"{where}: cannot parse line ({error}): {line}") from None
        options = _options(words, where)
        if requirement:
            parsed = _parsed_requirement(requirement, where)
            hashes = _hashes(options, where)
            self.entries.append(RequirementFileEntry(path, number, requirement, parsed, hashes))
            return
        for option in options:
            entry = RequirementFileEntry(path, number, option=_located(path, option))
            self.entries.append(entry)
            nested = entry.included_file
            if nested is not None and (option.name == "--requirement" or self.read_constraints):
                self.read(nested, where)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Join ``\\`` continuations, drop comments, expand ``${VAR}``; keep first line numbers."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        is_comment = raw.lstrip().startswith("#")
        if raw.endswith("\\") and not is_comment:
            pending.append(raw[:-1])
            continue
        pending.append(" " + raw if is_comment else raw)
        yield from _cleaned(start, "".join(pending))
        pending = []
    if pending:
        yield from _cleaned(start, "".join(pending))


def _cleaned(number: int, line: str) -> Iterator[tuple[int, str]]:
    line = _COMMENT.sub("", line).strip()
    if line:
        yield number, _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(0)), line)


def _break_args_options(line: str) -> tuple[str, str]:
    """Split as pip does: words up to the first one starting with ``-`` are the requirement."""
    words = line.split(" ")
    for index, word in enumerate(words):
        if word.startswith("-"):
            return " ".join(words[:index]).strip(), " ".join(words[index:])
    return line.strip(), ""


def _options(words: Sequence[str], where: str) -> list[RequirementFileOption]:
    """The options among ``words`` (``-x V``, ``-xV``, ``--x=V``, flags), long spellings.

    A value option takes the next word whatever it is, as pip's option parser does; other
    words (not options) are ignored, as pip ignores them.
    """
    options: list[RequirementFileOption] = []
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        inline: str | None = None
        if word.startswith("--"):
            written, equals, value = word.partition("=")
            inline = value if equals else None
        elif len(word) > 2 and word[:2] in _LONG_NAMES:
            written, inline = word[:2], word[2:]  # -rfile, -ihttps://...
        elif word.startswith("-"):
            written = word
        else:
            continue
        name = _LONG_NAMES.get(written, written)
        if inline is not None or name not in _TAKES_VALUE:
            options.append(RequirementFileOption(name, inline))
        elif position < len(words):
            options.append(RequirementFileOption(name, words[position]))
            position += 1
        else:
            what = "a file name" if name in _NESTED_FILES else "a value"
            raise UsageError(f"{where}: {written} needs {what}")
    return options


def _hashes(options: Sequence[RequirementFileOption], where: str) -> tuple[str, ...]:
    """The sha256 digests of ``--hash`` options; other algorithms are pip's to enforce."""
    found: list[str] = []
    for option in options:
        if option.name != "--hash" or option.value is None:
            continue
        algorithm, _, digest = option.value.partition(":")
        if not digest:
            written = f"--hash={option.value}"
            raise UsageError(f"{where}: --hash needs the form ALGORITHM:DIGEST, got {written!r}")
        if algorithm.lower() != "sha256":
            continue
        digest = digest.lower()
        if not is_sha256(digest):
            raise UsageError(f"{where}: not a sha256 digest: {digest}")
        if digest not in found:
            found.append(digest)
    return tuple(found)


def _parsed_requirement(text: str, where: str) -> Requirement | None:
    """The parsed requirement; None for a URL or path (pip knows what it is)."""
    try:
        return Requirement(text)
    except InvalidRequirement as error:
        if _looks_like_location(text):
            return None
        reason = str(error).splitlines()[0]
        raise UsageError(f"{where}: invalid requirement {text!r}: {reason}") from None


def _looks_like_location(text: str) -> bool:
    return (
        "/" in text
        or "\\" in text
        or ":" in text
        or text.startswith(".")
        or text.endswith((".whl", ".zip", ".tar.gz", ".tar.bz2", ".tgz"))
    )


def _located(requirements_file: Path, option: RequirementFileOption) -> RequirementFileOption:
    """pip reads a relative find-links path relative to the requirements file if it exists."""
    value = option.value
    if option.name != "--find-links" or value is None:
        return option
    if is_remote(value) or Path(value).is_absolute():
        return option
    candidate = requirements_file.parent / value
    if not candidate.exists():
        return option
    return RequirementFileOption(option.name, str(candidate.resolve()))
