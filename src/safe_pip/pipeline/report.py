"""Human and JSON rendering of a verdict, and printing it (``print_verdict``).

Text: one line per decision (blocked first, then warnings, then ignored), hint lines when
something is blocked, and a final one-line verdict. JSON: a stable schema (``"schema": 1``)
for tools; new keys may be added, existing ones keep their meaning.

Both pass through the output boundary: credentials in URLs are redacted
(``redaction``) and text lines are made terminal-safe (``console.terminal_safe``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from safe_pip.console import terminal_safe, warn
from safe_pip.models import Action, Category, Decision, Verdict, finding_to_json, plan_to_json
from safe_pip.pipeline.policy import IGNORABLE_CATEGORIES
from safe_pip.redaction import redact_document, redact_text

if TYPE_CHECKING:
    from safe_pip.pipeline.check_plan import GuardResult

JSON_SCHEMA_VERSION = 1
SUMMARY_WIDTH = 80
MAX_ALIASES_SHOWN = 3

_LABELS = {Action.BLOCK: "BLOCKED", Action.WARN: "warning", Action.IGNORE: "ignored"}
_ACTION_ORDER = (Action.BLOCK, Action.WARN, Action.IGNORE)


def render_text(verdict: Verdict, *, installing: bool = True) -> str:
    """The report (no trailing newline); ``installing``: was an install asked for?"""
    ordered = sorted(verdict.decisions, key=lambda d: _ACTION_ORDER.index(d.action))
    lines = [decision_line(decision) for decision in ordered]
    if verdict.blocked:
        lines.extend(hint_lines(verdict.decisions))
    lines.append(verdict_line(verdict, installing=installing))
    # Names, summaries, reasons and URLs come from indexes, advisories and config files.
    return "\n".join(terminal_safe(redact_text(line)) for line in lines)


def decision_line(decision: Decision) -> str:
    """``BLOCKED  requests==2.19.0  vulnerability  PYSEC-... (CVE-...)  summary  fix: >=2.20.0``"""
    finding = decision.finding
    parts = [
        _LABELS[decision.action],
        f"{finding.name}=={finding.version}",
        finding.category.value,
        finding.id + _aliases_text(finding.aliases),
    ]
    if decision.action is Action.IGNORE:
        parts.append(f"reason: {decision.reason or 'not given'}")
        return "  ".join(parts)
    summary = shorten(finding.summary)
    if summary:
        parts.append(summary)
    if finding.fixed_in:
        parts.append(f"fix: >={finding.fixed_in}")
    if decision.reason:
        parts.append(f"({decision.reason})")
    return "  ".join(parts)


def verdict_line(verdict: Verdict, *, installing: bool = True) -> str:
    """The last line of the text report."""
    total = _count(len(verdict.plan), "package")
    if verdict.blocked:
        blocked = {(d.finding.name, d.finding.version) for d in verdict.decisions if _blocks(d)}
        verb = "has" if len(blocked) == 1 else "have"
        tail = "; nothing was installed." if installing else "."
        # A plan that was never read (pip refused a download) has no total to compare with.
        counted = f"{len(blocked)} of {total}" if verdict.plan else _count(len(blocked), "package")
        return f"safe-pip: blocked: {counted} {verb} blocking findings{tail}"
    warnings = len(verdict.warnings)
    ignored = sum(1 for d in verdict.decisions if d.action is Action.IGNORE)
    if warnings:
        line = f"safe-pip: {total} checked, {_count(warnings, 'warning')}"
        return line + (f", {ignored} ignored." if ignored else ".")
    line = f"safe-pip: {total} checked, no problems found"
    return line + (f" ({ignored} ignored)." if ignored else ".")


def hint_lines(decisions: Sequence[Decision]) -> list[str]:
    """How to get past the blocking findings, one line per kind of fix."""
    blocking = [d.finding for d in decisions if _blocks(d)]
    hints: list[str] = []
    malicious = sorted({f.name for f in blocking if f.category is Category.MALICIOUS})
    if malicious:
        hints.append(
            f"hint: malicious: {', '.join(malicious)}; remove from your requirements and treat"
            " any machine that installed it as compromised"
        )
    if any(f.category is Category.HASH_MISMATCH for f in blocking):
        hints.append(
            "hint: a hash mismatch means the file is not the one the index published, you pinned"
            " or safe-pip saw before; find out why before installing it"
        )
    fixes: dict[str, list[str]] = {}
    for finding in blocking:
        if finding.category is Category.VULNERABILITY and finding.fixed_in:
            fixes.setdefault(finding.name, []).append(finding.fixed_in)
    if fixes:
        upgrades = ", ".join(f"{name}>={_highest(v)}" for name, v in sorted(fixes.items()))
        hints.append(f"hint: upgrade to a fixed version: {upgrades}")
    too_new = sorted({f.name for f in blocking if f.category is Category.RELEASE_AGE})
    if too_new:
        hints.append(
            f"hint: too new: {', '.join(too_new)}; wait for the time shown, ask for an older"
            " version, or exempt one package with a [[tool.safe-pip.ignore]] entry"
            f' (id = "TOO-NEW", package = "{too_new[0]}", reason, expires)'
        )
    ignorable = [f for f in blocking if f.category in IGNORABLE_CATEGORIES]
    if ignorable:
        hints.append(
            "hint: if a finding does not affect you, ignore it with a reason:"
            f" --ignore-vuln '{ignorable[0].id}:why it is safe here', or an"
            " [[tool.safe-pip.ignore]] entry (id, reason, expires) in pyproject.toml"
        )
    return hints


def render_json(verdict: Verdict) -> str:
    """The machine-readable report (schema 1, no trailing newline)."""
    document = {
        "schema": JSON_SCHEMA_VERSION,
        "verdict": "blocked" if verdict.blocked else "allowed",
        "packages": plan_to_json(verdict.plan)["items"],
        "findings": [
            {**finding_to_json(d.finding), "action": d.action.value, "reason": d.reason}
            for d in verdict.decisions
        ],
    }
    return json.dumps(redact_document(document), indent=2)


def print_verdict(result: GuardResult, output_format: str, *, installing: bool = True) -> None:
    """Print the report on stdout (text, or JSON for machines); notes go to stderr.

    ``installing`` is false for audits (``safe-pip check``): a blocked verdict then does not
    claim that an install was stopped."""
    if output_format == "json":
        sys.stdout.write(render_json(result.verdict) + "\n")
        for note in result.notes:
            warn(note)
        return
    for note in result.notes:
        warn(note)
    sys.stdout.write(render_text(result.verdict, installing=installing) + "\n")


def shorten(text: str, width: int = SUMMARY_WIDTH) -> str:
    """``text`` on one line, cut to ``width`` characters with "..." when longer."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3].rstrip() + "..."


def _aliases_text(aliases: Sequence[str]) -> str:
    if not aliases:
        return ""
    shown = ", ".join(aliases[:MAX_ALIASES_SHOWN])
    more = len(aliases) - MAX_ALIASES_SHOWN
    return f" ({shown}, +{more} more)" if more > 0 else f" ({shown})"


def _blocks(decision: Decision) -> bool:
    return decision.action is Action.BLOCK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _highest(versions: Iterable[str]) -> str:
    """The highest version (the one that fixes every listed advisory)."""

    def key(text: str) -> tuple[int, Version | str]:
        try:
            return (1, Version(text))
        except InvalidVersion:
            return (0, text)

    return max(versions, key=key)
