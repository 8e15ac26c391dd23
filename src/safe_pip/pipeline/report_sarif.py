"""The SARIF 2.1.0 report (``--format sarif``), for code-scanning upload.

One rule per advisory or check id, one result per finding. A blocking finding is an
``error``, a warning a ``warning``, an ignored finding a ``note`` with an external suppression
carrying the ignore's reason. Vulnerability rules carry ``security-severity`` (the CVSS score)
so code scanning ranks them. Results point at the checked files (the line naming the package
when there is one); an install from the command line has no file, so its results have no
location. Artifact and index URLs are never included (they may carry credentials).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from safe_pip import __version__
from safe_pip.models import Action, Category, Decision, Finding, Verdict
from safe_pip.pipeline.report import dependency_paths, ordered_decisions
from safe_pip.pipeline.report_options import ReportOptions
from safe_pip.redaction import redact_document

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "safe-pip"
FINGERPRINT_KEY = "safePipFinding/v1"
_LEVELS = {Action.BLOCK: "error", Action.WARN: "warning", Action.IGNORE: "note"}
# Findings with no CVSS score still rank in code scanning: malicious and tampered files as
# critical, other findings without a score as medium.
_DEFAULT_SEVERITY = {Category.MALICIOUS: 10.0, Category.HASH_MISMATCH: 9.0}
_UNSCORED_SEVERITY = 5.0


def render_sarif(verdict: Verdict, options: ReportOptions) -> str:
    """The SARIF log as JSON text (no trailing newline)."""
    decisions = ordered_decisions(verdict.decisions)
    rule_ids = list(dict.fromkeys(d.finding.id for d in decisions))
    first_finding = {d.finding.id: d.finding for d in reversed(decisions)}
    via = dependency_paths(verdict)
    files = _SourceFiles(options.sources)
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(first_finding[rule_id]) for rule_id in rule_ids],
            }
        },
        "results": [_result(d, rule_ids.index(d.finding.id), via, files) for d in decisions],
        "properties": {
            "verdict": "blocked" if verdict.blocked else "allowed",
            "audit": options.audit,
            "environment": options.environment,
            "packages": len(verdict.plan),
        },
    }
    document = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(redact_document(document), indent=2)


def _rule(finding: Finding) -> dict[str, object]:
    summary = finding.summary or finding.id
    help_lines = [summary]
    if finding.aliases:
        help_lines.append(f"Aliases: {', '.join(finding.aliases)}")
    if finding.url:
        help_lines.append(f"Advisory: {finding.url}")
    rule: dict[str, object] = {
        "id": finding.id,
        "name": _rule_name(finding),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "help": {"text": "\n".join(help_lines)},
        "properties": {
            "tags": ["security", finding.category.value],
            "security-severity": f"{_severity(finding):.1f}",
            "aliases": list(finding.aliases),
        },
    }
    if finding.url:
        rule["helpUri"] = finding.url
    return rule


def _result(
    decision: Decision,
    rule_index: int,
    via: dict[tuple[str, str], tuple[str, ...]],
    files: _SourceFiles,
) -> dict[str, object]:
    finding = decision.finding
    spec = f"{finding.name}=={finding.version}"
    pulled_in_by = via.get((finding.name, finding.version), ())
    message = spec + (f" (via {', '.join(pulled_in_by)})" if pulled_in_by else "")
    message += f": {finding.id}"
    if finding.summary:
        message += f" {finding.summary}"
    if finding.fixed_in:
        message += f" Fixed in {finding.fixed_in}."
    result: dict[str, object] = {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": _LEVELS[decision.action],
        "message": {"text": message},
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(finding)},
        "properties": {
            "package": finding.name,
            "version": finding.version,
            "category": finding.category.value,
            "action": decision.action.value,
            "fixed_in": finding.fixed_in,
            "via": list(pulled_in_by),
            "reason": decision.reason,
        },
    }
    locations = files.locations(finding.name)
    if locations:
        result["locations"] = locations
    if decision.action is Action.IGNORE:
        result["suppressions"] = [
            {"kind": "external", "justification": decision.reason or "ignored by policy"}
        ]
    return result


def _rule_name(finding: Finding) -> str:
    """A PascalCase rule name, e.g. ``VulnerabilityPysec2018_28``."""
    words = re.split(r"[^A-Za-z0-9]+", f"{finding.category.value} {finding.id}")
    return "".join(word[:1].upper() + word[1:].lower() for word in words if word)


def _severity(finding: Finding) -> float:
    if finding.severity is not None:
        return finding.severity
    return _DEFAULT_SEVERITY.get(finding.category, _UNSCORED_SEVERITY)


def _fingerprint(finding: Finding) -> str:
    """Stable across runs, so code scanning tracks one alert per package version and id."""
    key = f"{finding.name}=={finding.version}:{finding.id}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class _SourceFiles:
    """The checked files, as SARIF artifact locations, with the line naming a package."""

    def __init__(self, sources: tuple[str, ...]) -> None:
        self._lines: dict[str, list[str]] = {}
        for source in sources:
            try:
                text = Path(source).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._lines[source] = text.splitlines()

    def locations(self, name: str) -> list[dict[str, object]]:
        pattern = _name_pattern(name)
        locations: list[dict[str, object]] = []
        for source, lines in self._lines.items():
            line = next((n for n, text in enumerate(lines, 1) if pattern.search(text)), 1)
            locations.append(
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(source)},
                        "region": {"startLine": line},
                    }
                }
            )
        return locations


def _name_pattern(name: str) -> re.Pattern[str]:
    """A project name as written in any spelling PEP 503 treats as the same."""
    parts = [re.escape(part) for part in re.split(r"[-_.]+", name)]
    return re.compile(
        r"(?<![A-Za-z0-9._-])" + r"[-_.]+".join(parts) + r"(?![A-Za-z0-9_-])", re.IGNORECASE
    )


def _uri(source: str) -> str:
    """A relative path as a URI reference (code scanning resolves it from the repository)."""
    path = Path(source)
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.as_uri()
    return path.as_posix()


def render_sarif_error(error: dict[str, object]) -> str:
    """A run that ended in an error: a SARIF log with no results and a failed invocation
    whose notification carries the error (exit code, message, the installer's details)."""
    notification = {"level": "error", "message": {"text": str(error["message"])}}
    run = {
        "tool": {"driver": {"name": TOOL_NAME, "version": __version__, "rules": []}},
        "invocations": [
            {
                "executionSuccessful": False,
                "exitCode": error["exit_code"],
                "toolExecutionNotifications": [notification],
                "properties": {"details": error["details"]},
            }
        ],
        "results": [],
        "properties": {"verdict": "error"},
    }
    document = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(redact_document(document), indent=2)
