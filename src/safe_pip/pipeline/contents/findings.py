"""One wheel's contents + the target environment + the project's first-seen release ->
findings (``PTH-EXEC``, ``STARTUP-HOOK``, ``SCRIPT-SHADOW``, ``FILE-CLASH``,
``RECORD-MISMATCH``), each naming the lines or names that fired. Policy decides."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from packaging.utils import canonicalize_name

from safe_pip.models import Category, Finding
from safe_pip.pipeline.contents.environment import TargetEnvironment
from safe_pip.pipeline.contents.pth_allow import PthAllowance, allowed_line
from safe_pip.pipeline.contents.wheel import WheelContents
from safe_pip.pipeline.policy import (
    FILE_CLASH_ID,
    FILE_CLASH_OUTSIDE_ALIAS,
    PTH_EXEC_ID,
    PTH_EXEC_NEW_ALIAS,
    RECORD_MISMATCH_ID,
    SCRIPT_SHADOW_ID,
    SCRIPT_SHADOW_RESERVED_ALIAS,
    STARTUP_HOOK_ID,
)

_STARTUP_MODULES = ("sitecustomize", "usercustomize")
# Commands a user or CI runs by name, and the one project that may provide each.
_RESERVED_COMMANDS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"python[\d.]*w?(-config)?", re.IGNORECASE), None),
    (re.compile(r"pip[\d.]*", re.IGNORECASE), "pip"),
    (re.compile(r"uvx?|uvw", re.IGNORECASE), "uv"),
    (re.compile(r"safe-(pip|uv)", re.IGNORECASE), "safe-pip-guard"),
)
MAX_LINE_SHOWN = 160
MAX_NAMES_SHOWN = 5


@dataclass(frozen=True)
class Previous:
    """What the project had before: its installed version's and its first-seen release's
    executable ``.pth`` lines (None: not installed / never seen)."""

    installed_version: str | None = None
    installed_lines: tuple[str, ...] | None = None
    first_seen_version: str | None = None
    first_seen_lines: tuple[str, ...] | None = None

    def had(self, line: str) -> bool:
        return any(
            line in lines for lines in (self.installed_lines, self.first_seen_lines) if lines
        )

    @property
    def known(self) -> bool:
        return self.installed_lines is not None or self.first_seen_lines is not None

    def described(self) -> str:
        parts = []
        if self.installed_version is not None:
            parts.append(f"installed {self.installed_version}")
        if self.first_seen_version not in (None, self.installed_version):
            parts.append(f"first-seen {self.first_seen_version}")
        return " or ".join(parts)


def contents_findings(
    name: str,
    version: str,
    wheel: WheelContents,
    environment: TargetEnvironment,
    previous: Previous,
    extra_allowances: Sequence[PthAllowance] = (),
) -> list[Finding]:
    """Every contents finding for one wheel of ``name`` ``version``."""
    name = canonicalize_name(name)

    def finding(finding_id: str, summary: str, serious: str | None = None) -> Finding:
        aliases = (serious,) if serious else ()
        return Finding(name, version, Category.CONTENTS, finding_id, summary, aliases=aliases)

    findings: list[Finding] = []
    findings.extend(_pth_findings(name, wheel, previous, extra_allowances, finding))
    startup = sorted(
        member
        for (where, path), member in wheel.installed.items()
        if where == "lib" and _top_level_module(path) in _STARTUP_MODULES
    )
    if startup:
        findings.append(
            finding(
                STARTUP_HOOK_ID,
                f"installs a module Python runs at every start: {_shown(startup)}",
            )
        )
    findings.extend(_script_findings(name, wheel, environment, finding))
    findings.extend(_clash_findings(name, wheel, environment, finding))
    if wheel.record_problems:
        findings.append(finding(RECORD_MISMATCH_ID, "; ".join(wheel.record_problems)))
    return findings


def _pth_findings(
    name: str,
    wheel: WheelContents,
    previous: Previous,
    extra: Sequence[PthAllowance],
    finding: _Make,
) -> list[Finding]:
    findings = []
    for pth in wheel.pth_files:
        if pth.too_large:
            findings.append(
                finding(PTH_EXEC_ID, f"{pth.name} is too large to read", PTH_EXEC_NEW_ALIAS)
            )
            continue
        unknown = [
            line
            for line in pth.executable_lines
            if allowed_line(name, pth.name, line, extra) is None
        ]
        new = [line for line in unknown if not previous.had(line)] if previous.known else []
        old = [line for line in unknown if line not in new]
        if new:
            summary = f"{pth.name}, new since {previous.described()}: {_line(new[0])}"
            findings.append(finding(PTH_EXEC_ID, summary, PTH_EXEC_NEW_ALIAS))
        if old:
            since = f"also in {previous.described()}" if previous.known else "first seen"
            findings.append(finding(PTH_EXEC_ID, f"{pth.name} ({since}): {_line(old[0])}"))
    return findings


def _script_findings(
    name: str, wheel: WheelContents, environment: TargetEnvironment, finding: _Make
) -> list[Finding]:
    reserved: list[str] = []
    taken: list[str] = []
    own = environment.installed(name)
    for script in wheel.script_names:
        owner = _reserved_owner(script)
        if owner is not None and owner != name:
            reserved.append(script)
            continue
        if own is not None and script in own.scripts:
            continue  # an upgrade replaces its own command
        others = [o for o in environment.owners_of_script(script) if o != name]
        if others and owner is None:
            taken.append(f"{script} (of {', '.join(sorted(others))})")
    findings = []
    if reserved:
        findings.append(
            finding(
                SCRIPT_SHADOW_ID,
                f"installs a command named like one it does not own: {_shown(reserved)}",
                SCRIPT_SHADOW_RESERVED_ALIAS,
            )
        )
    if taken:
        findings.append(
            finding(
                SCRIPT_SHADOW_ID,
                f"installs a command another installed distribution owns: {_shown(taken)}",
            )
        )
    return findings


def _reserved_owner(script: str) -> str | None:
    """The project a reserved command name belongs to ("" for python*: none may), or None
    when the name is not reserved."""
    command = re.sub(r"(\.exe|-script\.pyw?)$", "", script, flags=re.IGNORECASE)
    for pattern, owner in _RESERVED_COMMANDS:
        if pattern.fullmatch(command):
            return owner or ""
    return None


def _clash_findings(
    name: str, wheel: WheelContents, environment: TargetEnvironment, finding: _Make
) -> list[Finding]:
    findings = []
    if wheel.unsafe_paths:
        findings.append(
            finding(
                FILE_CLASH_ID,
                f"writes outside the install scheme: {_shown(sorted(wheel.unsafe_paths))}",
                FILE_CLASH_OUTSIDE_ALIAS,
            )
        )
    clashes: list[str] = []
    record = wheel.record or {}
    own = environment.installed(name)  # an upgrade overwrites its own files: no clash
    for (where, path), member in sorted(wheel.installed.items()):
        if where != "lib" or (own is not None and path in own.lib_files):
            continue
        for owner in environment.owners_of_file(path):
            if owner == name:
                continue
            installed = environment.installed(owner)
            theirs = installed.lib_files.get(path, "") if installed else ""
            ours = record.get(member, ("", ""))[0]
            if ours and ours == theirs:
                continue  # the same bytes (a shared namespace __init__.py): nothing changes
            clashes.append(f"{path} (of {owner})")
            break
    if clashes:
        findings.append(
            finding(
                FILE_CLASH_ID,
                f"overwrites files another installed distribution owns: {_shown(clashes)}",
            )
        )
    return findings


def _top_level_module(path: str) -> str:
    first = path.split("/", 1)[0]
    return first.split(".", 1)[0] if "/" not in path else first


def _line(line: str) -> str:
    return line if len(line) <= MAX_LINE_SHOWN else line[: MAX_LINE_SHOWN - 3] + "..."


def _shown(names: Sequence[str]) -> str:
    more = len(names) - MAX_NAMES_SHOWN
    return ", ".join(names[:MAX_NAMES_SHOWN]) + (f" (and {more} more)" if more > 0 else "")


class _Make(Protocol):
    """The type of the ``finding`` helper (id, summary, serious alias) -> Finding."""

    def __call__(self, finding_id: str, summary: str, serious: str | None = None) -> Finding: ...
