"""Rendering and printing a verdict: text for people, JSON, SARIF and CycloneDX for tools.

Text: one line per decision (blocked first, then warnings, then ignored; within a package the
most serious first, advisory ids in numeric order), hint lines when something is blocked, and
a final verdict line naming the environment. On a terminal the lines fit its width (the
summary is shortened, never the id or the fix) and the labels are coloured. JSON: a stable
schema (``"schema": 1``) for tools; new keys may be added, existing ones keep their meaning.
SARIF and CycloneDX: ``report_sarif`` and ``report_cyclonedx``.

Every format passes through the output boundary: credentials in URLs are redacted
(``redaction``) and text lines are made terminal-safe (``console.terminal_safe``) before
safe-pip's own colour is added.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from safe_pip.console import colour_enabled, paint, terminal_safe, terminal_width, warn
from safe_pip.errors import UsageError
from safe_pip.models import Action, Category, Decision, Verdict, finding_to_json, plan_to_json
from safe_pip.paths import user_config_file
from safe_pip.pipeline.checks import CATEGORY_ORDER
from safe_pip.pipeline.policy import IGNORABLE_CATEGORIES, IGNORE_EXPIRED_NOTE
from safe_pip.pipeline.report_options import ReportOptions, note_reported
from safe_pip.redaction import redact_document, redact_text

if TYPE_CHECKING:
    from safe_pip.pipeline.check_plan import GuardResult

JSON_SCHEMA_VERSION = 1
SUMMARY_WIDTH = 80  # summary length in lines that are not fitted to a terminal
MIN_SUMMARY_WIDTH = 30  # below this a summary goes on a line of its own
MAX_ALIASES_SHOWN = 3

_LABELS = {Action.BLOCK: "BLOCKED", Action.WARN: "warning", Action.IGNORE: "ignored"}
_AUDIT_LABELS = {**_LABELS, Action.BLOCK: "FAIL"}
_LABEL_STYLES = {Action.BLOCK: "red", Action.WARN: "yellow", Action.IGNORE: "dim"}
_ACTION_ORDER = (Action.BLOCK, Action.WARN, Action.IGNORE)
_SUMMARY_INDENT = "    "
_NUMBERS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class TextStyle:
    """Colour on or off, and the width to fit lines to (None: whole lines, as in logs)."""

    colour: bool = False
    width: int | None = None


@dataclass
class _Context:
    options: ReportOptions
    style: TextStyle
    via: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


_NOTES_SAID: set[str] = set()


def print_verdict(result: GuardResult, options: ReportOptions | None = None) -> None:
    """Print the report: notes to stderr, the report to stdout, or with ``--output`` the
    report to that file and the text report to stdout. Flushes stdout, so the report comes
    before anything an installer prints afterwards, even when stdout is a pipe."""
    options = options or ReportOptions()
    note_reported()
    for note in result.notes:
        if note not in _NOTES_SAID and options.quiet < 2:  # said once per run; -qq: errors
            _NOTES_SAID.add(note)
            warn(note)
    if options.output_file is not None:
        write_report_file(Path(options.output_file), render(result, options))
    if options.machine_stdout:
        sys.stdout.write(render(result, options) + "\n")
    else:
        style = TextStyle(colour_enabled(sys.stdout), terminal_width(sys.stdout))
        text = render_text(result.verdict, options, style, result.skipped)
        if text:  # -q with nothing to say: nothing at all
            sys.stdout.write(text + "\n")
    sys.stdout.flush()


def render(result: GuardResult, options: ReportOptions) -> str:
    """The report in ``options.output_format`` (text without colour or width limit; a file
    gets the whole report whatever -q says)."""
    options = options._replace(quiet=0)
    if options.output_format == "json":
        return render_json(result.verdict, options, result.skipped)
    if options.output_format == "sarif":
        from safe_pip.pipeline.report_sarif import render_sarif

        return render_sarif(result.verdict, options)
    if options.output_format == "cyclonedx":
        from safe_pip.pipeline.report_cyclonedx import render_cyclonedx

        return render_cyclonedx(result.verdict, options)
    return render_text(result.verdict, options, TextStyle(), result.skipped)


def write_report_file(path: Path, text: str) -> None:
    """Write ``--output FILE`` whole or not at all (a temporary file renamed over it)."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text + "\n")
        os.replace(temporary, path)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write: {exc.strerror or exc}") from None


def render_text(
    verdict: Verdict,
    options: ReportOptions | None = None,
    style: TextStyle | None = None,
    skipped: Sequence[str] = (),
) -> str:
    """The text report (no trailing newline)."""
    context = _Context(options or ReportOptions(), style or TextStyle(), dependency_paths(verdict))
    quiet = context.options.quiet  # as pip's -q: 1 keeps warnings and errors, 2 errors only
    hidden = {Action.IGNORE} if quiet == 1 else {Action.IGNORE, Action.WARN} if quiet else set()
    lines: list[str] = []
    for decision in ordered_decisions(verdict.decisions):
        if decision.action not in hidden:
            lines.extend(decision_lines(decision, context))
    width = context.style.width
    if verdict.blocked:
        for hint in hint_lines(verdict.decisions, through_hook=context.options.through_hook):
            lines.extend(wrap(_safe(hint), width))
    elif quiet:
        return "\n".join(lines)  # the closing line is news only when something was blocked
    last = _safe(verdict_line(verdict, context.options, skipped))
    colour = _verdict_style(verdict)
    lines.extend(paint(line, colour, context.style.colour) for line in wrap(last, width))
    return "\n".join(lines)


def wrap(line: str, width: int | None) -> list[str]:
    """``line`` broken between words to fit ``width`` (continuation lines indented); whole
    when there is no width. Words are never split: an id, a path or a command stays whole."""
    if width is None or len(line) <= width:
        return [line]
    return textwrap.wrap(
        line,
        width,
        subsequent_indent=_SUMMARY_INDENT,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _safe(line: str) -> str:
    """Names, summaries, reasons and URLs come from indexes, advisories and config files."""
    return terminal_safe(redact_text(line))


def ordered_decisions(decisions: Iterable[Decision]) -> list[Decision]:
    """Blocked first, then warnings, then ignored; by package; within a package the most
    serious category and the highest severity first; advisory ids in numeric order."""
    return sorted(
        decisions,
        key=lambda d: (
            _ACTION_ORDER.index(d.action),
            d.finding.name,
            _version_key(d.finding.version),
            CATEGORY_ORDER.index(d.finding.category),
            -(d.finding.severity if d.finding.severity is not None else -1.0),
            advisory_id_key(d.finding.id),
        ),
    )


def advisory_id_key(advisory_id: str) -> tuple[str | int, ...]:
    """Sort key putting PYSEC-2021-7 before PYSEC-2021-109 (numbers compare as numbers)."""
    parts = _NUMBERS.split(advisory_id)  # text, number, text, number, ..., text
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))


def decision_lines(decision: Decision, context: _Context | None = None) -> list[str]:
    """``BLOCKED  requests==2.19.0  vulnerability  PYSEC-... (CVE-...)  summary  fix: >=2.20.0``
    on one line, or, when the terminal is too narrow, the summary on a second line."""
    context = context or _Context(ReportOptions(), TextStyle())
    finding = decision.finding
    labels = _AUDIT_LABELS if context.options.audit else _LABELS
    label = labels[decision.action]
    spec = f"{finding.name}=={finding.version}"
    via = context.via.get((finding.name, finding.version))
    if via:
        spec += f" via {', '.join(via)}"
    aliases = _aliases_text(finding.aliases)
    head = [label, spec, finding.category.value, finding.id + aliases]
    if decision.action is Action.IGNORE:
        tail = [f"reason: {decision.reason or 'not given'}"]
        summary = url = ""
    else:
        tail = [f"fix: >={finding.fixed_in}" if finding.fixed_in else ""]
        tail.append(f"({decision.reason})" if decision.reason else "")
        summary, url = " ".join(finding.summary.split()), finding.url or ""
    lines = _fit(head, summary, [part for part in tail if part], url, context.style.width)
    lines = [_safe(line) for line in lines]
    if context.style.colour:
        lines[0] = paint(label, _LABEL_STYLES[decision.action], True) + lines[0][len(label) :]
    return lines


def _fit(head: list[str], summary: str, tail: list[str], url: str, width: int | None) -> list[str]:
    """One line, or more when ``width`` leaves too little room: the summary may be shortened,
    the id, the fix and the link never are (a link that does not fit gets a line of its own).
    Without a width (a pipe, a file) the line is whole."""

    def line(middle: list[str]) -> str:
        return "  ".join([*head, *[part for part in middle if part], *tail])

    if width is None:
        return [line([summary]) + (f"  {url}" if url else "")]
    url_line = [f"{_SUMMARY_INDENT}{url}"] if url else []
    room = width - len(line([])) - 2
    if not summary or room >= MIN_SUMMARY_WIDTH:
        with_url = room - len(url) - 2
        if url and with_url >= MIN_SUMMARY_WIDTH:
            return [line([shorten(summary, with_url)]) + f"  {url}"]
        if url and not summary and len(line([])) + 2 + len(url) <= width:
            return [line([]) + f"  {url}"]
        return [line([shorten(summary, room)]), *url_line]
    if len(line([])) > width and head[3].endswith(")"):
        head[3] = head[3].split(" (", 1)[0]  # drop the aliases before the id would wrap
    second_room = width - len(_SUMMARY_INDENT)
    if url and second_room - len(url) - 2 >= MIN_SUMMARY_WIDTH:
        return [line([]), f"{_SUMMARY_INDENT}{shorten(summary, second_room - len(url) - 2)}  {url}"]
    return [line([]), _SUMMARY_INDENT + shorten(summary, second_room), *url_line]


def verdict_line(
    verdict: Verdict, options: ReportOptions | None = None, skipped: Sequence[str] = ()
) -> str:
    """The last line of the text report."""
    options = options or ReportOptions()
    # An audit stopped early reports findings of packages its plan never reached: count them.
    reported = {(d.finding.name, d.finding.version) for d in verdict.decisions}
    total = _count(len({(i.name, i.version) for i in verdict.plan} | reported), "package")
    env = options.environment
    if verdict.blocked:
        blocked = {(d.finding.name, d.finding.version) for d in verdict.decisions if _blocks(d)}
        verb = "has" if len(blocked) == 1 else "have"
        # A plan that was never read (pip refused a download) has no total to compare with.
        counted = f"{len(blocked)} of {total}" if verdict.plan else _count(len(blocked), "package")
        if options.audit:
            audited = f"audit of {env} failed" if env else "audit failed"
            return f"safe-pip: {audited}: {counted} {verb} findings that policy does not accept."
        into = f" into {env}" if env else ""
        tail = f"nothing was installed{into}."
        return f"safe-pip: blocked: {counted} {verb} blocking findings; {tail}"
    warnings = len(verdict.warnings)
    if options.intermediate and not skipped:
        found = _count(warnings, "warning") if warnings else "no problems found"
        return f"safe-pip: {options.intermediate}: {total} checked, {found}; checking goes on."
    checked = f"{total} checked" + (f" {'in' if options.audit else 'for'} {env}" if env else "")
    ignored = sum(1 for d in verdict.decisions if d.action is Action.IGNORE)
    if skipped:
        found = f"{_count(warnings, 'warning')}" if warnings else "no problems found"
        return (
            f"safe-pip: {checked}, {found} by the checks that ran; NOT checked: "
            f"{', '.join(skipped)} (fail-mode is open)."
        )
    if warnings:
        line = f"safe-pip: {checked}, {_count(warnings, 'warning')}"
        return line + (f", {ignored} ignored." if ignored else ".")
    line = f"safe-pip: {checked}, no problems found"
    return line + (f" ({ignored} ignored)." if ignored else ".")


def _verdict_style(verdict: Verdict) -> str:
    if verdict.blocked:
        return "red"
    return "yellow" if verdict.warnings else "green"


def hint_lines(decisions: Sequence[Decision], *, through_hook: bool = False) -> list[str]:
    """How to get past the blocking findings, one line per kind of fix; ``through_hook``:
    for a plain pip command, which takes no safe-pip options."""
    blocking = [d.finding for d in decisions if _blocks(d)]
    hints: list[str] = []
    malicious = sorted({f.name for f in blocking if f.category is Category.MALICIOUS})
    if malicious:
        hints.append(
            f"hint: malicious: {', '.join(malicious)}; remove from your requirements and treat"
            " any machine that installed it as compromised"
        )
    confused = sorted({f.name for f in blocking if f.category is Category.CONFUSION})
    if confused:
        hints.append(
            f"hint: dependency confusion: {', '.join(confused)}; check which index really"
            ' publishes it, then bind it in your user config: index-for = {NAME = "INDEX URL"}'
        )
    if any(f.category is Category.HASH_MISMATCH for f in blocking):
        hints.append(
            "hint: a hash mismatch means the file is not the one the index published, you pinned"
            " or safe-pip saw before; find out why before installing it"
        )
    carried = [f for f in blocking if f.category in (Category.CONTENTS, Category.PROVENANCE)]
    if carried:
        hints.append(
            f"hint: {carried[0].id} ({carried[0].name}): see docs/package-contents.md; if you"
            " know why, accept it with an ignore entry naming the id and package (for a .pth"
            " file: pth-allow)"
        )
    typed = sorted({f.name for f in blocking if f.category is Category.TYPOSQUAT})
    if typed:
        hints.append(
            f"hint: check the name you typed: {', '.join(typed)}; if it is the one you mean:"
            f" --allow {typed[0]}"
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
    ignorable = [d for d in decisions if _blocks(d) and d.finding.category in IGNORABLE_CATEGORIES]
    # An id whose ignore has expired is configured already: say so instead of suggesting it.
    expired = [d for d in ignorable if IGNORE_EXPIRED_NOTE in (d.reason or "")]
    not_configured = [d.finding for d in ignorable if d not in expired]
    if not_configured and through_hook:
        advisory = not_configured[0].id
        hints.append(
            "hint: if a finding does not affect you, ignore it with a reason (pip takes no"
            f" safe-pip options): SAFE_PIP_IGNORE='{advisory}:why it is safe here' before the"
            " pip command, or in pyproject.toml [[tool.safe-pip.ignore]] (in your user config"
            f' {user_config_file()}: [[ignore]]) with id = "{advisory}",'
            ' reason = "why it is safe here", expires = 2027-01-31'
        )
    elif not_configured:
        hints.append(
            "hint: if a finding does not affect you, ignore it with a reason:"
            f" --ignore-vuln '{not_configured[0].id}:why it is safe here', or an"
            " [[tool.safe-pip.ignore]] entry (id, reason, expires) in pyproject.toml"
        )
    if expired:
        ids = ", ".join(sorted({d.finding.id for d in expired}, key=advisory_id_key))
        hints.append(
            f"hint: the ignore for {ids} has expired; upgrade, or if it still does not affect"
            " you, move its expires date"
        )
    return hints


def render_json(
    verdict: Verdict, options: ReportOptions | None = None, skipped: Sequence[str] = ()
) -> str:
    """The machine-readable report (schema 1, no trailing newline); summaries are whole."""
    options = options or ReportOptions()
    via = dependency_paths(verdict)
    document = {
        "schema": JSON_SCHEMA_VERSION,
        "verdict": "blocked" if verdict.blocked else "allowed",
        "packages": plan_to_json(verdict.plan)["items"],
        "findings": [
            {
                **finding_to_json(d.finding),
                "action": d.action.value,
                "reason": d.reason,
                "via": list(via.get((d.finding.name, d.finding.version), ())),
            }
            for d in ordered_decisions(verdict.decisions)
        ],
        "environment": options.environment,
        "audit": options.audit,
        "not_checked": list(skipped),
    }
    return json.dumps(redact_document(document), indent=2)


def report_error(options: ReportOptions, exit_code: int, message: str, details: str) -> None:
    """A run that ended in an error before its report (exit 2, 3, 130): the report it asked
    for, as an error document -- on stdout for a machine format, and in ``--output FILE``.
    A file that cannot be written now is left as it was (the error line still goes out)."""
    text = render_error(options.output_format, exit_code, message, details, options)
    if options.output_file is not None:
        with contextlib.suppress(UsageError):
            write_report_file(Path(options.output_file), text)
    if options.machine_stdout:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def render_error(
    output_format: str, exit_code: int, message: str, details: str, options: ReportOptions
) -> str:
    """The error document in ``output_format`` (see docs/output.md, "When a run fails")."""
    error = {"exit_code": exit_code, "message": message, "details": details or None}
    if output_format == "sarif":
        from safe_pip.pipeline.report_sarif import render_sarif_error

        return render_sarif_error(error)
    if output_format == "cyclonedx":
        from safe_pip.pipeline.report_cyclonedx import render_cyclonedx_error

        return render_cyclonedx_error(error)
    if output_format == "text":
        lines = [*(details.rstrip().splitlines() if details else []), f"safe-pip: error: {message}"]
        return redact_text("\n".join(lines))
    document = {
        "schema": JSON_SCHEMA_VERSION,
        "verdict": "error",
        "error": error,
        "packages": [],
        "findings": [],
        "environment": options.environment,
        "audit": options.audit,
        "not_checked": [],
    }
    return json.dumps(redact_document(document), indent=2)


def dependency_paths(verdict: Verdict) -> dict[tuple[str, str], tuple[str, ...]]:
    """For each transitive plan item, the requested items that pull it in (``via``)."""
    return {(i.name, i.version): i.required_by for i in verdict.plan if i.required_by}


def shorten(text: str, width: int = SUMMARY_WIDTH) -> str:
    """``text`` on one line, cut to ``width`` characters with "..." when longer."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    return flat[: max(width - 3, 0)].rstrip() + "..."


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
    return max(versions, key=_version_key)


def _version_key(text: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(text))
    except InvalidVersion:
        return (0, text)
