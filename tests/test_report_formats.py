"""``--format sarif``, ``--format cyclonedx`` and ``--output FILE``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.errors import UsageError
from safe_pip.models import Action, Category, Decision, Finding, PlanItem, Verdict
from safe_pip.pipeline.report_cyclonedx import render_cyclonedx
from safe_pip.pipeline.report_options import ReportOptions
from safe_pip.pipeline.report_sarif import render_sarif
from support.index_server import LocalIndex
from support.outcomes import output
from support.scenario import VULN_ID, pinned_vulnerable_requirements

SafePip = Callable[..., subprocess.CompletedProcess[str]]
SECRET = "s3cret-token"
ADVISORY_URL = "https://osv.dev/vulnerability/PYSEC-2018-28"


def requests_finding(version: str = "2.19.0") -> Finding:
    return Finding(
        name="requests",
        version=version,
        category=Category.VULNERABILITY,
        id="PYSEC-2018-28",
        summary="Requests sends Authorization headers to the redirected host.",
        aliases=("CVE-2018-18074", "GHSA-x84v-xcm2-53pg"),
        fixed_in="2.20.0",
        severity=9.8,
        url=ADVISORY_URL,
    )


def sample_verdict() -> Verdict:
    """requests (requested) pulls in idna; credentials in an index URL must never leak."""
    index = f"https://user:{SECRET}@private.example/simple/"
    plan = [
        PlanItem(
            name="requests",
            version="2.19.0",
            url=f"https://user:{SECRET}@private.example/files/requests-2.19.0-py3-none-any.whl",
            filename="requests-2.19.0-py3-none-any.whl",
            sha256="a" * 64,
            requested=True,
            index_url=index,
        ),
        PlanItem(
            name="idna",
            version="2.7",
            sha256="b" * 64,
            index_url=index,
            required_by=("requests==2.19.0",),
        ),
    ]
    yanked = Finding("idna", "2.7", Category.YANKED, "YANKED", "yanked: broken")
    ignored = Finding("idna", "2.7", Category.VULNERABILITY, "PYSEC-2024-60", "idna DoS")
    decisions = [
        Decision(requests_finding(), Action.BLOCK),
        Decision(yanked, Action.WARN),
        Decision(ignored, Action.IGNORE, "we never parse untrusted names"),
    ]
    return Verdict(plan, decisions)


# ---------------------------------------------------------------- SARIF


def test_sarif_has_one_rule_per_id_and_one_result_per_finding(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# pinned\nIDNA==2.7\nrequests==2.19.0\n")
    verdict = sample_verdict()
    verdict.plan.append(PlanItem(name="requests", version="2.18.0"))
    verdict.decisions.append(Decision(requests_finding("2.18.0"), Action.BLOCK))
    options = ReportOptions("sarif", environment="/work/.venv", sources=(str(requirements),))
    log = json.loads(render_sarif(verdict, options))

    assert log["version"] == "2.1.0" and "sarif-schema-2.1.0" in log["$schema"]
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["PYSEC-2018-28", "YANKED", "PYSEC-2024-60"]
    assert rules[0]["helpUri"] == ADVISORY_URL
    assert rules[0]["properties"]["security-severity"] == "9.8"
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("PYSEC-2018-28", "error"),
        ("PYSEC-2018-28", "error"),
        ("YANKED", "warning"),
        ("PYSEC-2024-60", "note"),
    ]
    assert [r["ruleIndex"] for r in results] == [0, 0, 1, 2]
    assert results[3]["suppressions"] == [
        {"kind": "external", "justification": "we never parse untrusted names"}
    ]
    assert results[2]["message"]["text"].startswith("idna==2.7 (via requests==2.19.0): YANKED")
    location = results[2]["locations"][0]["physicalLocation"]
    assert location["region"] == {"startLine": 2}  # IDNA==2.7, any PEP 503 spelling
    assert location["artifactLocation"]["uri"] == requirements.as_uri()  # outside the cwd
    fingerprints = {r["partialFingerprints"]["safePipFinding/v1"] for r in results}
    assert len(fingerprints) == 4
    assert run["properties"]["environment"] == "/work/.venv"


def test_sarif_and_cyclonedx_never_carry_credentials() -> None:
    for render in (render_sarif, render_cyclonedx):
        text = render(sample_verdict(), ReportOptions())
        assert SECRET not in text and "private.example" not in text


# ---------------------------------------------------------------- CycloneDX


def test_cyclonedx_bom_is_valid_and_lists_the_vulnerabilities() -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = render_cyclonedx(sample_verdict(), ReportOptions("cyclonedx", audit=True))
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    components = {c["purl"]: c for c in bom["components"]}
    assert set(components) == {"pkg:pypi/requests@2.19.0", "pkg:pypi/idna@2.7"}
    assert components["pkg:pypi/requests@2.19.0"]["hashes"] == [
        {"alg": "SHA-256", "content": "a" * 64}
    ]
    idna = components["pkg:pypi/idna@2.7"]
    idna_properties = {(p["name"], p["value"]) for p in idna["properties"]}
    assert ("safe-pip:via", "requests==2.19.0") in idna_properties
    assert ("safe-pip:finding", "YANKED (warn): yanked: broken") in idna_properties
    vulnerabilities = {v["id"]: v for v in bom["vulnerabilities"]}
    assert set(vulnerabilities) == {"PYSEC-2018-28", "PYSEC-2024-60"}
    requests_vuln = vulnerabilities["PYSEC-2018-28"]
    assert requests_vuln["affects"] == [
        {
            "ref": "pkg:pypi/requests@2.19.0",
            "versions": [{"version": "2.19.0", "status": "affected"}],
        }
    ]
    assert requests_vuln["ratings"][0]["score"] == 9.8
    assert requests_vuln["ratings"][0]["severity"] == "critical"
    assert requests_vuln["advisories"] == [{"url": ADVISORY_URL}]
    assert requests_vuln["recommendation"] == "Upgrade to 2.20.0 or later."
    references = {r["id"] for r in requests_vuln["references"]}
    assert references == {"CVE-2018-18074", "GHSA-x84v-xcm2-53pg"}
    ignored = {(p["name"], p["value"]) for p in vulnerabilities["PYSEC-2024-60"]["properties"]}
    assert ("safe-pip:action", "ignore") in ignored
    assert ("safe-pip:reason", "we never parse untrusted names") in ignored


def test_cyclonedx_without_the_library_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cyclonedx.model.bom", None)  # import fails
    with pytest.raises(UsageError, match="cyclonedx-python-lib"):
        render_cyclonedx(sample_verdict(), ReportOptions())


# ---------------------------------------------------------------- the real CLI


@pytest.mark.integration
def test_check_writes_sarif_to_output_and_text_to_stdout(
    world: LocalIndex, tmp_path: Path, safe_pip: SafePip
) -> None:
    requirements = pinned_vulnerable_requirements(world, tmp_path)
    sarif = tmp_path / "safe-pip.sarif"
    result = safe_pip("check", requirements, "--format", "sarif", "--output", sarif)
    assert result.returncode == 1, output(result)
    assert result.stdout.startswith(f"FAIL  vulnlib==1.0  vulnerability  {VULN_ID}")
    assert f"safe-pip: audit of {requirements} failed" in result.stdout
    (run,) = json.loads(sarif.read_text())["runs"]
    (finding,) = run["results"]
    assert finding["ruleId"] == VULN_ID and finding["level"] == "error"
    assert finding["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}


@pytest.mark.integration
def test_check_prints_a_cyclonedx_bom_on_stdout(
    world: LocalIndex, tmp_path: Path, safe_pip: SafePip
) -> None:
    requirements = pinned_vulnerable_requirements(world, tmp_path)
    result = safe_pip("check", requirements, "--format", "cyclonedx")
    assert result.returncode == 1, output(result)
    bom = json.loads(result.stdout)
    assert [c["purl"] for c in bom["components"]] == ["pkg:pypi/vulnlib@1.0"]
    assert [v["id"] for v in bom["vulnerabilities"]] == [VULN_ID]


@pytest.mark.integration
def test_an_unwritable_output_file_is_a_usage_error(
    world: LocalIndex, tmp_path: Path, safe_pip: SafePip
) -> None:
    requirements = pinned_vulnerable_requirements(world, tmp_path)
    result = safe_pip("check", requirements, "--output", tmp_path / "missing" / "report.json")
    assert result.returncode == 2, output(result)
    assert "safe-pip: error: --output" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.integration
def test_an_ignore_of_an_unknown_id_warns_and_the_real_finding_still_blocks(
    world: LocalIndex, tmp_path: Path, safe_pip: SafePip
) -> None:
    requirements = pinned_vulnerable_requirements(world, tmp_path)
    result = safe_pip("check", requirements, "--ignore-vuln", "PYSEC-2099-100:typo of the id")
    assert result.returncode == 1, output(result)
    assert "warning: ignore PYSEC-2099-100 (command line) matches no advisory" in result.stderr
