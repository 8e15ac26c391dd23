"""Read a requirements file as a lock: exact pins with hashes are taken as they are.

A line ``name==version --hash=sha256:...`` is a complete pin and needs no resolver. Every
other requirement (ranges, unpinned names, pins without a hash, URLs, paths, editables) is
collected in ``LockFile.unresolved`` and resolved by pip's dry run (``resolve_unresolved``)
for the target interpreter, with the complete pins as constraints.

Syntax handled as pip reads it: ``\\`` continuations, ``#`` comments, ``${VAR}``, nested
``-r`` and ``-c`` files (relative to the including file), index options, environment markers.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from safe_pip.errors import UsageError
from safe_pip.lockfiles.model import LockedArtifact, LockedPackage, LockFile, LockKind
from safe_pip.models import PlanItem

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_COMMENT = re.compile(r"(^|\s)#.*$")
_INDEX_OPTIONS = {"-i": "--index-url", "--index-url": "--index-url"}
_EXTRA_INDEX_OPTIONS = {"--extra-index-url"}
_NESTED = {"-r": "requirement", "--requirement": "requirement"}
_CONSTRAINTS = {"-c", "--constraint"}
_EDITABLE = {"-e", "--editable"}
_VALUE_OPTIONS = {
    *_INDEX_OPTIONS,
    *_EXTRA_INDEX_OPTIONS,
    *_NESTED,
    *_CONSTRAINTS,
    *_EDITABLE,
    "-f",
    "--find-links",
    "--trusted-host",
    "--only-binary",
    "--no-binary",
    "--use-feature",
    "-C",
    "--config-settings",
    "--hash",
}


def read_requirements(path: Path) -> LockFile:
    reader = _Reader()
    reader.read(path, including=None)
    return LockFile(
        path=path,
        kind=LockKind.REQUIREMENTS,
        packages=tuple(reader.pinned),
        index_urls=tuple(dict.fromkeys(reader.index_urls)),
        unresolved=tuple(reader.unresolved),
        resolver_options=tuple(reader.options),
        constraint_files=tuple(reader.constraint_files),
    )


def resolve_unresolved(lock: LockFile, python: str) -> list[PlanItem]:
    """Resolve ``lock.unresolved`` with pip's dry run; complete pins are constraints.

    Items for packages the file pins completely are left out (they are checked as pinned).
    """
    from safe_pip.pip_args import parse_install_args
    from safe_pip.pip_plan import resolve_plan

    pinned_versions: dict[str, set[str]] = {}
    for package in lock.packages:
        pinned_versions.setdefault(package.name, set()).add(package.version)
    constraints = [f"{name}=={v.pop()}" for name, v in pinned_versions.items() if len(v) == 1]
    with tempfile.TemporaryDirectory(prefix="safe-pip-check-") as tmp:
        requirements_file = Path(tmp) / "requirements.txt"
        requirements_file.write_text("\n".join([*lock.resolver_options, *lock.unresolved]) + "\n")
        constraints_file = Path(tmp) / "constraints.txt"
        constraints_file.write_text("\n".join(constraints) + "\n")
        args = ["--ignore-installed", "-r", str(requirements_file), "-c", str(constraints_file)]
        for extra in lock.constraint_files:
            args += ["-c", str(extra)]
        items = resolve_plan(python, parse_install_args(args))
    return [item for item in items if item.name not in pinned_versions]


@dataclass
class _Reader:
    pinned: list[LockedPackage] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    index_urls: list[str] = field(default_factory=list)
    constraint_files: list[Path] = field(default_factory=list)
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
            for number, line in _logical_lines(text):
                self._read_line(path, f"{path}:{number}", line)
        finally:
            self._reading.pop()

    def _read_line(self, path: Path, where: str, line: str) -> None:
        requirement, option_text = _split_requirement(line)
        try:
            words = shlex.split(option_text)
        except ValueError as error:
            raise UsageError(f"{where}: cannot parse line ({error}): {line}") from None
        if requirement:
            self._read_requirement(where, requirement, _hashes(words, where))
        else:
            self._read_options(path, where, words)

    def _read_requirement(self, where: str, text: str, hashes: list[str]) -> None:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            if _looks_like_location(text):
                self.unresolved.append(text)  # a path or URL: pip knows what it is
                return
            reason = str(error).splitlines()[0]
            raise UsageError(f"{where}: invalid requirement {text!r}: {reason}") from None
        version = _exact_version(requirement)
        if version is None or not hashes:
            self.unresolved.append(text)
            return
        self.pinned.append(
            LockedPackage(
                name=canonicalize_name(requirement.name),
                version=version,
                artifacts=tuple(LockedArtifact(None, None, h) for h in hashes),
                pinned_hashes=tuple(hashes),
            )
        )

    def _read_options(self, path: Path, where: str, words: Sequence[str]) -> None:
        for name, value in _options(words, where):
            if name in _NESTED or name in _CONSTRAINTS:
                nested = Path(os.path.expanduser(value or ""))
                nested = nested if nested.is_absolute() else path.parent / nested
                if name in _NESTED:
                    self.read(nested, where)
                else:
                    self.constraint_files.append(nested)
            elif name in _EDITABLE:
                self.unresolved.append(f"-e {shlex.quote(value or '')}")
            else:
                if name in _INDEX_OPTIONS or name in _EXTRA_INDEX_OPTIONS:
                    self.index_urls.append(value or "")
                self.options.append(name if value is None else f"{name} {shlex.quote(value)}")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Join ``\\`` continuations, drop comments, expand ``${VAR}``; keep first line numbers."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.endswith("\\") and not raw.lstrip().startswith("#"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        yield from _cleaned(start, "".join(pending))
        pending = []
    yield from _cleaned(start, "".join(pending))


def _cleaned(number: int, line: str) -> Iterator[tuple[int, str]]:
    line = _COMMENT.sub("", line).strip()
    if line:
        yield number, _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(0)), line)


def _split_requirement(line: str) -> tuple[str, str]:
    """Words up to the first one starting with ``-`` are the requirement (as pip splits)."""
    words = line.split()
    for index, word in enumerate(words):
        if word.startswith("-"):
            return " ".join(words[:index]), " ".join(words[index:])
    return line, ""


def _options(words: Sequence[str], where: str) -> Iterator[tuple[str, str | None]]:
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        name, has_inline, inline = word.partition("=")
        if has_inline and name.startswith("--"):
            yield name, inline
            continue
        if not word.startswith("--") and len(word) > 2 and word[:2] in _VALUE_OPTIONS:
            yield word[:2], word[2:]  # -rfile, -ihttps://...
            continue
        if word in _VALUE_OPTIONS:
            if position >= len(words):
                raise UsageError(f"{where}: {word} needs a value")
            yield word, words[position]
            position += 1
            continue
        yield word, None


def _hashes(words: Sequence[str], where: str) -> list[str]:
    found: list[str] = []
    for name, value in _options(words, where):
        if name != "--hash":
            continue
        if value is None:
            raise UsageError(f"{where}: --hash needs a value")
        algorithm, _, digest = value.partition(":")
        if algorithm.lower() != "sha256":
            continue
        digest = digest.lower()
        if not _SHA256.fullmatch(digest):
            raise UsageError(f"{where}: not a sha256 digest: {digest!r}")
        if digest not in found:
            found.append(digest)
    return found


def _exact_version(requirement: Requirement) -> str | None:
    """The version of an exact ``==`` pin (no wildcard), else None."""
    if requirement.url:
        return None
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1:
        return None
    only = specifiers[0]
    if only.operator not in ("==", "===") or only.version.endswith(".*"):
        return None
    return only.version


def _looks_like_location(text: str) -> bool:
    return "/" in text or "\\" in text or ":" in text or text.startswith(".")
