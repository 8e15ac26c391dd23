"""report: the text and JSON renderings of a verdict."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from safe_pip.models import (
    Action,
    ArtifactSource,
    Category,
    Decision,
    Finding,
    PlanItem,
    Verdict,
    plan_to_json,
)
from safe_pip.pipeline.report import (
    TextStyle,
    render_json,
    render_text,
    shorten,
    verdict_line,
)
from safe_pip.pipeline.report_options import ReportOptions

REQUESTS_VULN = Finding(
    name="requests",
    version="2.19.0",
    category=Category.VULNERABILITY,
    id="PYSEC-2018-28",
    summary=(
        "Requests sends Authorization header to the redirected host when an HTTPS to HTTP"
        " redirect happens, exposing credentials"
    ),
    aliases=("CVE-2018-18074", "GHSA-x84v-xcm2-53pg"),
    fixed_in="2.20.0",
    severity=9.8,
)


def plan(count: int) -> list[PlanItem]:
    names = ["requests", "urllib3", "idna", "certifi", "chardet", "six"]
    return [
        PlanItem(
            name=name,
            version="2.19.0" if name == "requests" else "1.0",
            filename=f"{name}-1.0-py3-none-any.whl",
            sha256="a" * 64,
        )
        for name in names[:count]
    ]


def vuln(name: str, finding_id: str, fixed_in: str | None, version: str = "1.0") -> Finding:
    return Finding(name, version, Category.VULNERABILITY, finding_id, "bad", fixed_in=fixed_in)


def test_clean_verdict() -> None:
    assert render_text(Verdict(plan(5))) == "safe-pip: 5 packages checked, no problems found."
    assert verdict_line(Verdict(plan(1))) == "safe-pip: 1 package checked, no problems found."


def test_blocked_line_shows_ids_aliases_summary_and_fix() -> None:
    text = render_text(Verdict(plan(5), [Decision(REQUESTS_VULN, Action.BLOCK)]))
    first = text.splitlines()[0]
    assert first.startswith(
        "BLOCKED  requests==2.19.0  vulnerability  PYSEC-2018-28 (CVE-2018-18074,"
        " GHSA-x84v-xcm2-53pg)  Requests sends Authorization header"
    )
    # no width (a pipe, a file): the summary is whole, never cut at 80 characters
    assert first.endswith("exposing credentials  fix: >=2.20.0")
    assert "..." not in first


def test_a_link_that_does_not_fit_gets_a_line_of_its_own_never_dropped() -> None:
    long_url = "https://example.org/" + "advisory/" * 8 + "PYSEC-2018-28"
    finding = replace(REQUESTS_VULN, url=long_url)
    for width in (100, 120, 160):
        lines = render_text(
            Verdict(plan(5), [Decision(finding, Action.BLOCK)]), style=TextStyle(False, width)
        ).splitlines()
        assert any(line.strip().endswith(long_url) for line in lines), (width, lines)
        assert all(len(line) <= width or long_url in line for line in lines)


def test_blocked_verdict_with_hints() -> None:
    decisions = [
        Decision(REQUESTS_VULN, Action.BLOCK),
        Decision(vuln("urllib3", "PYSEC-2", "1.24.2"), Action.BLOCK),
        Decision(vuln("urllib3", "PYSEC-3", "1.26.5"), Action.BLOCK),
        Decision(vuln("idna", "PYSEC-4", None), Action.WARN),
    ]
    lines = render_text(Verdict(plan(5), decisions)).splitlines()
    assert lines[-1] == (
        "safe-pip: blocked: 2 of 5 packages have blocking findings; nothing was installed."
    )
    hints = [line for line in lines if line.startswith("hint: ")]
    assert "hint: upgrade to a fixed version: requests>=2.20.0, urllib3>=1.26.5" in hints
    assert any("--ignore-vuln 'PYSEC-2018-28:" in hint for hint in hints)
    assert lines[3].startswith("warning  idna==1.0  vulnerability  PYSEC-4  bad")


def test_blocked_verdict_for_a_check_only_run() -> None:
    verdict = Verdict(plan(3), [Decision(REQUESTS_VULN, Action.BLOCK)])
    assert verdict_line(verdict, ReportOptions(audit=True)) == (
        "safe-pip: audit failed: 1 of 3 packages has findings that policy does not accept."
    )


def test_blocked_verdict_without_a_plan_does_not_say_of_0() -> None:
    # pip refused a download before the plan could be read (HASH-DOWNLOAD)
    verdict = Verdict([], [Decision(REQUESTS_VULN, Action.BLOCK)])
    assert verdict_line(verdict) == (
        "safe-pip: blocked: 1 package has blocking findings; nothing was installed."
    )


def test_malicious_and_hash_mismatch_hints() -> None:
    decisions = [
        Decision(Finding("evil", "1.0", Category.MALICIOUS, "MAL-1", "steals"), Action.BLOCK),
        Decision(
            Finding("idna", "1.0", Category.HASH_MISMATCH, "HASH-INDEX", "differs"), Action.BLOCK
        ),
    ]
    text = render_text(Verdict(plan(2), decisions))
    assert "hint: malicious: evil; remove from your requirements" in text
    assert "hint: a hash mismatch means" in text
    assert "ignore it with a reason" not in text  # no ignore hint for these categories
    assert "upgrade" not in text


def test_warning_and_ignored_lines() -> None:
    yanked = Finding("idna", "1.0", Category.YANKED, "YANKED", "yanked: broken metadata")
    decisions = [
        Decision(REQUESTS_VULN, Action.IGNORE, "we never follow redirects"),
        Decision(yanked, Action.WARN),
        Decision(vuln("six", "PYSEC-9", None), Action.WARN, "severity 5 below min-severity 7"),
    ]
    lines = render_text(Verdict(plan(6), decisions)).splitlines()
    assert lines == [
        "warning  idna==1.0  yanked  YANKED  yanked: broken metadata",
        "warning  six==1.0  vulnerability  PYSEC-9  bad  (severity 5 below min-severity 7)",
        "ignored  requests==2.19.0  vulnerability  PYSEC-2018-28 (CVE-2018-18074,"
        " GHSA-x84v-xcm2-53pg)  reason: we never follow redirects",
        "safe-pip: 6 packages checked, 2 warnings, 1 ignored.",
    ]


def test_only_ignored_findings() -> None:
    verdict = Verdict(plan(2), [Decision(REQUESTS_VULN, Action.IGNORE, "allowed package")])
    assert verdict_line(verdict) == "safe-pip: 2 packages checked, no problems found (1 ignored)."


def test_one_warning() -> None:
    verdict = Verdict(plan(5), [Decision(vuln("idna", "PYSEC-4", None), Action.WARN)])
    assert render_text(verdict).splitlines()[-1] == "safe-pip: 5 packages checked, 1 warning."


def test_multi_line_summaries_stay_on_one_line() -> None:
    finding = Finding("idna", "1.0", Category.VULNERABILITY, "PYSEC-5", "first line\n\nsecond")
    text = render_text(Verdict(plan(1), [Decision(finding, Action.WARN)]))
    assert text.splitlines()[0] == "warning  idna==1.0  vulnerability  PYSEC-5  first line second"


def test_many_aliases_are_abbreviated() -> None:
    finding = Finding(
        "idna", "1.0", Category.VULNERABILITY, "PYSEC-6", "s", aliases=("A", "B", "C", "D", "E")
    )
    line = render_text(Verdict(plan(1), [Decision(finding, Action.WARN)])).splitlines()[0]
    assert "PYSEC-6 (A, B, C, +2 more)" in line


def test_shorten() -> None:
    assert shorten("short") == "short"
    assert shorten("x" * 100, 10) == "xxxxxxx..."


def test_json_schema() -> None:
    items = [
        *plan(2),
        PlanItem(name="local", version="0.1", source=ArtifactSource.LOCAL_PATH, url="file:///x"),
    ]
    decisions = [
        Decision(REQUESTS_VULN, Action.BLOCK),
        Decision(vuln("urllib3", "PYSEC-2", None), Action.IGNORE, "not reachable"),
    ]
    document = json.loads(render_json(Verdict(items, decisions)))
    assert document["schema"] == 1
    assert document["verdict"] == "blocked"
    assert document["packages"] == plan_to_json(items)["items"]
    assert document["findings"] == [
        {
            "name": "requests",
            "version": "2.19.0",
            "category": "vulnerability",
            "id": "PYSEC-2018-28",
            "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
            "summary": REQUESTS_VULN.summary,
            "url": None,
            "fixed_in": "2.20.0",
            "severity": 9.8,
            "action": "block",
            "reason": None,
            "via": [],
        },
        {
            "name": "urllib3",
            "version": "1.0",
            "category": "vulnerability",
            "id": "PYSEC-2",
            "aliases": [],
            "summary": "bad",
            "url": None,
            "fixed_in": None,
            "severity": None,
            "action": "ignore",
            "reason": "not reachable",
            "via": [],
        },
    ]


def test_json_allowed_verdict_and_key_order() -> None:
    document = json.loads(render_json(Verdict(plan(1))))
    assert list(document) == [
        "schema",
        "verdict",
        "packages",
        "findings",
        "environment",
        "audit",
        "not_checked",
    ]
    assert document["verdict"] == "allowed" and document["findings"] == []


# --- ordering, width, colour, wording -----------------------------------------------------


def test_ids_sort_numerically_and_highest_severity_first_within_a_package() -> None:
    def scored(finding_id: str, severity: float | None) -> Decision:
        finding = Finding("pkg", "1.0", Category.VULNERABILITY, finding_id, "s", severity=severity)
        return Decision(finding, Action.BLOCK)

    decisions = [
        scored("PYSEC-2021-109", None),
        scored("PYSEC-2021-7", None),
        scored("PYSEC-2020-300", 5.0),
        scored("GHSA-aaaa-bbbb-cccc", 9.8),
    ]
    lines = render_text(Verdict(plan(1), decisions)).splitlines()[:4]
    assert [line.split("  ")[3] for line in lines] == [
        "GHSA-aaaa-bbbb-cccc",
        "PYSEC-2020-300",
        "PYSEC-2021-7",
        "PYSEC-2021-109",
    ]


def test_narrow_terminal_shortens_the_summary_never_the_id_or_fix() -> None:
    text = render_text(
        Verdict(plan(5), [Decision(REQUESTS_VULN, Action.BLOCK)]), style=TextStyle(width=80)
    )
    head, summary, *_ = text.splitlines()
    assert head == "BLOCKED  requests==2.19.0  vulnerability  PYSEC-2018-28  fix: >=2.20.0"
    assert summary.startswith("    Requests sends Authorization header") and len(summary) <= 80
    assert summary.endswith("...")


def test_wide_terminal_keeps_one_line_with_the_url_when_it_fits() -> None:
    finding = replace(REQUESTS_VULN, url="https://osv.dev/vulnerability/PYSEC-2018-28")
    (line,) = render_text(
        Verdict(plan(5), [Decision(finding, Action.BLOCK)]), style=TextStyle(width=200)
    ).splitlines()[:1]
    assert len(line) <= 200
    assert line.endswith("fix: >=2.20.0  https://osv.dev/vulnerability/PYSEC-2018-28")


def test_piped_output_keeps_whole_lines_with_the_url() -> None:
    finding = replace(REQUESTS_VULN, url="https://osv.dev/vulnerability/PYSEC-2018-28")
    line = render_text(Verdict(plan(5), [Decision(finding, Action.BLOCK)])).splitlines()[0]
    assert "(CVE-2018-18074, GHSA-x84v-xcm2-53pg)" in line
    assert line.endswith("  fix: >=2.20.0  https://osv.dev/vulnerability/PYSEC-2018-28")


def test_colour_marks_the_label_and_the_verdict() -> None:
    text = render_text(
        Verdict(plan(5), [Decision(REQUESTS_VULN, Action.BLOCK)]), style=TextStyle(colour=True)
    )
    lines = text.splitlines()
    assert lines[0].startswith("\x1b[1;31mBLOCKED\x1b[0m  requests==2.19.0")
    assert lines[-1].startswith("\x1b[1;31msafe-pip: blocked")
    assert "\x1b[" not in render_text(Verdict(plan(5), [Decision(REQUESTS_VULN, Action.BLOCK)]))


def test_verdict_names_the_environment() -> None:
    blocked = Verdict(plan(3), [Decision(REQUESTS_VULN, Action.BLOCK)])
    assert verdict_line(blocked, ReportOptions(environment="/work/.venv")) == (
        "safe-pip: blocked: 1 of 3 packages has blocking findings; nothing was installed into "
        "/work/.venv."
    )
    assert verdict_line(Verdict(plan(3)), ReportOptions(environment="/work/.venv")) == (
        "safe-pip: 3 packages checked for /work/.venv, no problems found."
    )
    audit = ReportOptions(audit=True, environment="/work/.venv")
    assert verdict_line(Verdict(plan(3)), audit) == (
        "safe-pip: 3 packages checked in /work/.venv, no problems found."
    )
    assert verdict_line(blocked, audit) == (
        "safe-pip: audit of /work/.venv failed: 1 of 3 packages has findings that policy does "
        "not accept."
    )
    document = json.loads(render_json(blocked, audit))
    assert document["environment"] == "/work/.venv" and document["audit"] is True


def test_audit_lines_do_not_say_blocked() -> None:
    text = render_text(
        Verdict(plan(3), [Decision(REQUESTS_VULN, Action.BLOCK)]), ReportOptions(audit=True)
    )
    assert "BLOCKED" not in text and "blocked" not in text
    assert text.startswith("FAIL  requests==2.19.0  vulnerability  PYSEC-2018-28")


def test_skipped_checks_are_named_instead_of_no_problems_found() -> None:
    line = verdict_line(Verdict(plan(3)), skipped=["advisories (vulnerabilities, malicious)"])
    assert "no problems found" in line and "NOT checked: advisories" in line
    assert line.endswith("(fail-mode is open).")
    assert json.loads(render_json(Verdict(plan(3)), skipped=["advisories"]))["not_checked"] == [
        "advisories"
    ]


def test_a_transitive_finding_names_what_pulled_it_in() -> None:
    items = [
        PlanItem(name="requests", version="2.19.0", requested=True),
        PlanItem(name="idna", version="2.7", required_by=("requests==2.19.0",)),
    ]
    finding = Finding("idna", "2.7", Category.VULNERABILITY, "PYSEC-2024-60", "s", fixed_in="3.7")
    verdict = Verdict(items, [Decision(finding, Action.BLOCK)])
    assert render_text(verdict).startswith(
        "BLOCKED  idna==2.7 via requests==2.19.0  vulnerability  PYSEC-2024-60"
    )
    assert json.loads(render_json(verdict))["findings"][0]["via"] == ["requests==2.19.0"]


def test_an_expired_ignore_is_not_suggested_again() -> None:
    expired = Decision(REQUESTS_VULN, Action.BLOCK, "ignore expired on 2026-01-31")
    hints = render_text(Verdict(plan(3), [expired])).splitlines()
    assert not any("--ignore-vuln" in line for line in hints)
    assert "hint: the ignore for PYSEC-2018-28 has expired; upgrade, or if it still" in "\n".join(
        hints
    )
    fresh = Decision(vuln("urllib3", "PYSEC-2", "1.24.2"), Action.BLOCK)
    both = render_text(Verdict(plan(3), [expired, fresh]))
    assert "--ignore-vuln 'PYSEC-2:why it is safe here'" in both


def test_error_documents_in_every_format_carry_the_error_redacted() -> None:
    from safe_pip.pipeline.report import render_error
    from safe_pip.pipeline.report_options import ReportOptions

    message = "package index unreachable: https://user:hunter2@example.invalid/simple/"
    for output_format in ("json", "sarif", "cyclonedx", "text"):
        text = render_error(output_format, 3, message, "", ReportOptions(output_format))
        assert "hunter2" not in text and "example.invalid" in text
        if output_format != "text":
            json.loads(text)
    document = json.loads(render_error("json", 2, "bad", "pip said\nthis", ReportOptions()))
    assert document["verdict"] == "error"
    assert document["error"] == {"exit_code": 2, "message": "bad", "details": "pip said\nthis"}


def test_output_must_be_a_writable_file(tmp_path: Path) -> None:
    from safe_pip.errors import UsageError
    from safe_pip.pipeline.report_options import check_output_path

    check_output_path(str(tmp_path / "report.json"))
    for bad, why in ((tmp_path / "missing" / "r.json", "no such directory"), (tmp_path, "folder")):
        with pytest.raises(UsageError, match=why.replace("folder", "is a directory")):
            check_output_path(str(bad))


def test_quiet_follows_pip_warnings_and_errors_then_errors_only() -> None:
    from safe_pip.commands.own_options import quiet_level

    assert quiet_level(["-q", "x"]) == 1 and quiet_level(["-qq"]) == 2
    assert quiet_level(["--quiet", "-q"]) == 2 and quiet_level(["-qU", "--", "-q"]) == 0
    assert quiet_level([], "1") == 1
    warned = Decision(replace(REQUESTS_VULN, name="other"), Action.WARN)
    clean = Verdict(plan(5))
    mixed = Verdict(plan(5), [Decision(REQUESTS_VULN, Action.BLOCK), warned])
    assert render_text(clean, ReportOptions(quiet=1)) == ""  # no "no problems found"
    one = render_text(Verdict(plan(5), [warned]), ReportOptions(quiet=1)).splitlines()
    assert [line.split()[0] for line in one] == ["warning"]  # the warning, no closing line
    two = render_text(mixed, ReportOptions(quiet=2))
    assert "BLOCKED" in two and "warning" not in two and "safe-pip: blocked" in two
