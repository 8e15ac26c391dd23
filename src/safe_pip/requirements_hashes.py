"""Read the user's requirement files: pinned ``--hash=sha256:`` values and index options.

pip's requirement-file syntax, as far as safe-pip needs it: ``\\`` line continuations,
``#`` comments, ``${VAR}`` expansion, nested ``-r``/``-c`` files (relative to the including
file), per-requirement ``--hash`` options (several per line) and environment markers. pip
itself enforces the hashes in ``--require-hashes`` mode; safe-pip reads them to report a
mismatch clearly and to keep the index options for the vetted install.

Remote requirement files (``-r https://...``) are not read: pip still enforces their hashes.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from safe_pip.errors import UsageError

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_COMMENT = re.compile(r"(^|\s+)#.*$")
_EGG_FRAGMENT = re.compile(r"[#&]egg=([A-Za-z0-9_.\-]+)")
_REMOTE = re.compile(r"^(https?|file|ftp)://", re.IGNORECASE)

# Option lines that decide where pip finds packages; they go to the vetted install as well.
# Each maps a spelling to (canonical spelling, takes a value).
_INDEX_OPTIONS: dict[str, tuple[str, bool]] = {
    "-i": ("--index-url", True),
    "--index-url": ("--index-url", True),
    "--extra-index-url": ("--extra-index-url", True),
    "--no-index": ("--no-index", False),
    "-f": ("--find-links", True),
    "--find-links": ("--find-links", True),
    "--trusted-host": ("--trusted-host", True),
    "--only-binary": ("--only-binary", True),
    "--no-binary": ("--no-binary", True),
    "--prefer-binary": ("--prefer-binary", False),
}
_NESTED_FILES = {"-r": False, "--requirement": False, "-c": True, "--constraint": True}
_VALUED_OPTIONS = {"-e", "--editable", "--use-feature", "--config-settings", "-C", "--hash"}


@dataclass(frozen=True)
class RequirementFileOption:
    """One index option line, e.g. ``("--index-url", "https://...")`` or ``("--no-index",)``."""

    name: str
    value: str | None = None

    def as_line(self) -> str:
        return self.name if self.value is None else f"{self.name} {shlex.quote(self.value)}"


@dataclass(frozen=True)
class RequirementFiles:
    """What safe-pip takes from a set of requirement files."""

    hashes: dict[str, frozenset[str]] = field(default_factory=dict)  # canonical name -> sha256s
    options: tuple[RequirementFileOption, ...] = ()  # index options, in pip's reading order

    def option_lines(self) -> list[str]:
        """The index options as requirement-file lines (for the vetted requirements file)."""
        return [option.as_line() for option in self.options]


def read_requirement_files(files: Iterable[str | Path]) -> RequirementFiles:
    """Read requirement files (and the files they include) as pip would."""
    reader = _Reader()
    for file in files:
        if _REMOTE.match(str(file)):
            continue
        reader.read(Path(file), including=None)
    return RequirementFiles(
        hashes={name: frozenset(values) for name, values in reader.hashes.items()},
        options=tuple(reader.options),
    )


def pinned_hashes(files: Iterable[str | Path]) -> dict[str, set[str]]:
    """``{canonical name: {sha256, ...}}`` pinned with ``--hash`` in these requirement files."""
    return {name: set(values) for name, values in read_requirement_files(files).hashes.items()}


@dataclass
class _Reader:
    hashes: dict[str, set[str]] = field(default_factory=dict)
    options: list[RequirementFileOption] = field(default_factory=list)
    _reading: list[Path] = field(default_factory=list)

    def read(self, path: Path, including: str | None) -> None:
        where = f" (included from {including})" if including else ""
        resolved = path.resolve()
        if resolved in self._reading:
            raise UsageError(f"requirements file includes itself: {path}{where}")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise UsageError(f"requirements file not found: {path}{where}") from None
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not valid UTF-8"
            raise UsageError(f"cannot read requirements file {path}{where}: {reason}") from None
        self._reading.append(resolved)
        try:
            for line_number, line in _logical_lines(text):
                self._read_line(path, line_number, line)
        finally:
            self._reading.pop()

    def _read_line(self, path: Path, line_number: int, line: str) -> None:
        where = f"{path}:{line_number}"
        requirement, option_text = _break_args_options(line)
        try:
            options = shlex.split(option_text, posix=True)
        except ValueError as error:
            raise UsageError(f"{where}: cannot parse line ({error}): {line}") from None
        if not requirement:
            if options:
                self._read_option_line(path, where, options)
            return
        hashes = _hashes(options, where)
        name = _requirement_name(requirement, where)
        if hashes and name is not None:
            self.hashes.setdefault(name, set()).update(hashes)

    def _read_option_line(self, path: Path, where: str, words: list[str]) -> None:
        """An option line; it may hold several options (``-i URL --trusted-host HOST``)."""
        position = 0
        while position < len(words):
            name, value, position = _next_option(words, position)
            if name in _NESTED_FILES:
                if value is None:
                    raise UsageError(f"{where}: {name} needs a file name")
                if not _REMOTE.match(value):
                    nested = Path(value)
                    self.read(nested if nested.is_absolute() else path.parent / nested, where)
            elif name in _INDEX_OPTIONS:
                self._add_index_option(path, where, name, value)
            elif name in _VALUED_OPTIONS and value is None:
                raise UsageError(f"{where}: {name} needs a value")
            # anything else (-e, --pre, --use-feature, unknown options): pip's business

    def _add_index_option(self, path: Path, where: str, name: str, value: str | None) -> None:
        canonical, takes_value = _INDEX_OPTIONS[name]
        if not takes_value:
            self.options.append(RequirementFileOption(canonical))
            return
        if value is None:
            raise UsageError(f"{where}: {name} needs a value")
        if canonical == "--find-links":
            value = _find_links_location(path, value)
        self.options.append(RequirementFileOption(canonical, value))


def _next_option(words: list[str], position: int) -> tuple[str, str | None, int]:
    """(option name, its value or None, position after it) for ``-x V``, ``-xV``, ``--x=V``."""
    word = words[position]
    position += 1
    if word.startswith("--"):
        name, has_inline, inline = word.partition("=")
        if has_inline:
            return name, inline, position
    elif word.startswith("-") and len(word) > 2:
        return word[:2], word[2:], position
    else:
        name = word
    takes_value = (
        name in _NESTED_FILES
        or name in _VALUED_OPTIONS
        or (name in _INDEX_OPTIONS and _INDEX_OPTIONS[name][1])
    )
    if not takes_value:
        return name, None, position
    if position < len(words) and not words[position].startswith("-"):
        return name, words[position], position + 1
    return name, None, position


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
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


def _cleaned(number: int, line: str) -> Iterable[tuple[int, str]]:
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


def _hashes(options: list[str], where: str) -> set[str]:
    found: set[str] = set()
    position = 0
    while position < len(options):
        word = options[position]
        position += 1
        if word == "--hash":
            if position >= len(options):
                raise UsageError(f"{where}: --hash needs a value")
            word = "--hash=" + options[position]
            position += 1
        if not word.startswith("--hash="):
            continue
        algorithm, _, digest = word[len("--hash=") :].partition(":")
        if not digest:
            raise UsageError(f"{where}: --hash needs the form ALGORITHM:DIGEST, got {word!r}")
        if algorithm.lower() != "sha256":
            continue  # sha384/sha512 pins: pip enforces them; safe-pip compares sha256 only
        digest = digest.lower()
        if not _SHA256.fullmatch(digest):
            raise UsageError(f"{where}: not a sha256 digest: {digest}")
        found.add(digest)
    return found


def _requirement_name(requirement: str, where: str) -> str | None:
    """The canonical project name of a requirement, a wheel/sdist path or an ``#egg=`` URL."""
    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0]
        if not _looks_like_location(requirement):
            raise UsageError(f"{where}: invalid requirement {requirement!r}: {reason}") from None
    egg = _EGG_FRAGMENT.search(requirement)
    if egg:
        return canonicalize_name(egg.group(1))
    filename = requirement.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].split(";")[0].strip()
    try:
        return canonicalize_name(parse_wheel_filename(filename)[0])
    except InvalidWheelFilename:
        pass
    try:
        return canonicalize_name(parse_sdist_filename(filename)[0])
    except InvalidSdistFilename:
        return None


def _looks_like_location(requirement: str) -> bool:
    return (
        "/" in requirement
        or "\\" in requirement
        or ":" in requirement
        or requirement.startswith(".")
        or requirement.endswith((".whl", ".zip", ".tar.gz", ".tar.bz2", ".tgz"))
    )


def _find_links_location(requirements_file: Path, value: str) -> str:
    """pip reads a relative find-links path relative to the requirements file if it exists."""
    if _REMOTE.match(value) or Path(value).is_absolute():
        return value
    candidate = requirements_file.parent / value
    return str(candidate.resolve()) if candidate.exists() else value
