from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from safe_pip.advisories.cvss import base_score, record_severity
from safe_pip.advisories.database import AdvisoryDatabase
from safe_pip.advisories.update import update_database
from safe_pip.models import Action
from safe_pip.pipeline.checks import advisory_findings
from safe_pip.pipeline.policy import Policy, decide

V2 = {"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}  # 7.5
V3 = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}  # 9.8
V4_LOW = {
    "type": "CVSS_V4",
    "score": "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
}  # 1.0


@pytest.mark.parametrize(
    ("vector", "expected"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", 6.5),
        ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
        # scope changed: different privilege weights, impact formula and 1.08 factor
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:C/C:L/I:N/A:N", 2.3),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        # CVSS v4.0 (FIRST's calculator values)
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3),
        ("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0),
    ],
)
def test_known_vectors(vector: str, expected: float) -> None:
    assert base_score(vector) == expected


def test_metric_order_and_temporal_metrics_do_not_matter() -> None:
    vector = "CVSS:3.1/C:H/I:H/A:H/AV:N/AC:L/PR:N/UI:N/S:U/E:P/RL:O"
    assert base_score(vector) == 9.8


@pytest.mark.parametrize(
    "vector",
    [
        "",
        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # no version prefix
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",  # v2 without saying so (the OSV type says it)
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H",  # incomplete v4
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",  # A missing
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # bad value
        "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # duplicate metric
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/garbage",
    ],
)
def test_unsupported_or_malformed_vectors_have_no_score(vector: str) -> None:
    assert base_score(vector) is None


def test_v2_vectors_are_scored_when_the_osv_type_says_v2() -> None:
    assert base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P", "CVSS_V2") == 7.5


def test_the_newest_cvss_version_present_wins_even_when_it_scores_lower() -> None:
    assert record_severity([V2]) == 7.5
    assert record_severity([V2, V3]) == 9.8
    assert record_severity([V3, V4_LOW, V2]) == 1.0


def test_a_vector_under_the_wrong_type_or_unreadable_is_skipped() -> None:
    wrong_type = {"type": "CVSS_V4", "score": V3["score"]}
    assert record_severity([wrong_type, V2]) == 7.5
    assert record_severity([{"type": "CVSS_V3", "score": "garbage"}]) is None
    assert record_severity(["not an object", {"type": "CVSS_V3", "score": 9.9}]) is None


@pytest.mark.parametrize(
    ("label", "expected"),
    [("LOW", 0.1), ("MODERATE", 4.0), ("high", 7.0), ("CRITICAL", 9.0), ("unknown", None)],
)
def test_github_severity_label_when_no_vector_exists(label: str, expected: float | None) -> None:
    assert record_severity([], [{"severity": label}]) == expected


def test_a_vector_beats_the_label() -> None:
    assert record_severity([V4_LOW], [{"severity": "CRITICAL"}]) == 1.0


V4_CRITICAL = {
    "type": "CVSS_V4",
    "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
}  # 9.3


@pytest.mark.parametrize(
    ("min_severity", "expected"),
    [
        (0.0, {"PYSEC-2099-41": Action.BLOCK, "PYSEC-2099-42": Action.BLOCK}),
        (4.0, {"PYSEC-2099-41": Action.WARN, "PYSEC-2099-42": Action.BLOCK}),
        (9.0, {"PYSEC-2099-41": Action.WARN, "PYSEC-2099-42": Action.BLOCK}),
        (9.5, {"PYSEC-2099-41": Action.WARN, "PYSEC-2099-42": Action.WARN}),
    ],
)
def test_cvss_v4_records_against_min_severity(
    tmp_path: Path, min_severity: float, expected: dict[str, Action]
) -> None:
    """Crafted OSV records whose only vectors are CVSS v4 (low 1.0, critical 9.3), through a
    real database build, lookup and policy."""
    affected = [{"package": {"ecosystem": "PyPI", "name": "v4pkg"}, "versions": ["1.0"]}]
    records = [
        {"id": "PYSEC-2099-41", "severity": [V4_LOW], "affected": affected},
        {"id": "PYSEC-2099-42", "severity": [V4_CRITICAL], "affected": affected},
    ]
    source = tmp_path / "records.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    update_database(str(source), db_path=tmp_path / "db.sqlite")
    with AdvisoryDatabase.open(tmp_path / "db.sqlite") as database:
        findings = advisory_findings("v4pkg", "1.0", database)
    assert {f.id: f.severity for f in findings} == {"PYSEC-2099-41": 1.0, "PYSEC-2099-42": 9.3}
    decisions = decide(findings, Policy(min_severity=min_severity), date(2026, 1, 1))
    assert {d.finding.id: d.action for d in decisions} == expected
