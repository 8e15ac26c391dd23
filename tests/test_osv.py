from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from safe_pip.advisories.osv import MalformedRecordError, parse_record
from safe_pip.advisories.version_match import RangeEvent

EDGE = Path(__file__).parent / "data" / "osv-edge"


def load(name: str) -> Any:
    return json.loads((EDGE / name).read_text(encoding="utf-8"))


def minimal(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "PYSEC-0000-1",
        "details": "Something is wrong.",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg"}, "versions": ["1.0"]}],
    }
    record.update(fields)
    return record


def test_real_style_record() -> None:
    advisory = parse_record(load("PYSEC-2099-4.json"))
    assert advisory is not None
    assert advisory.id == "PYSEC-2099-4"
    assert advisory.summary == (
        "Pre-releases before 2.0.0 and the 3.0.0 pre-releases are affected."
    )
    assert advisory.severity == 7.5
    assert not advisory.malicious and not advisory.withdrawn
    (package,) = advisory.affected
    assert package.name == "prerelease-pkg"
    assert package.ranges == (
        (RangeEvent("introduced", "0"), RangeEvent("fixed", "2.0.0")),
        (RangeEvent("introduced", "3.0.0a1"), RangeEvent("fixed", "3.0.0rc2")),
    )


def test_malicious_by_id_and_by_alias() -> None:
    mal = parse_record(load("MAL-2099-1.json"))
    assert mal is not None and mal.malicious
    assert mal.summary == "Malicious code in evil-pkg (PyPI)"
    # SEMVER ranges are not PyPI versions: only the ECOSYSTEM range is kept
    assert mal.affected[0].ranges == ((RangeEvent("introduced", "0"),),)
    aliased = parse_record(minimal(id="GHSA-xxxx-yyyy-zzzz", aliases=["MAL-2099-7"]))
    assert aliased is not None and aliased.malicious


def test_withdrawn_flag() -> None:
    advisory = parse_record(load("PYSEC-2099-1.json"))
    assert advisory is not None and advisory.withdrawn


def test_only_pypi_entries_are_kept_and_names_normalized() -> None:
    advisory = parse_record(load("PYSEC-2099-6.json"))
    assert advisory is not None
    assert [p.name for p in advisory.affected] == ["foo-bar"]
    # the GIT range is dropped, the ECOSYSTEM range kept as is
    assert len(advisory.affected[0].ranges) == 1


def test_record_without_pypi_package_is_none() -> None:
    assert parse_record(load("GHSA-npm0-0000-0000.json")) is None


def test_versions_are_stored_as_comparison_keys() -> None:
    advisory = parse_record(load("PYSEC-2099-5.json"))
    assert advisory is not None
    assert advisory.affected[0].versions == ("1", "1.1", "2.post1", "0.3m1")


def test_summary_falls_back_to_first_sentence_of_details() -> None:
    first_line = parse_record(load("PYSEC-2099-2.json"))
    assert first_line is not None
    assert first_line.summary == "Versions 1.0 up to and including 1.4.2 are affected."
    sentence = parse_record(
        minimal(details="Version 2.20.0 and later are not affected by this flaw. More text.")
    )
    assert sentence is not None
    assert sentence.summary == "Version 2.20.0 and later are not affected by this flaw."
    nothing = parse_record(minimal(details=None))
    assert nothing is not None and nothing.summary == ""


def test_a_first_sentence_that_says_nothing_gets_the_next_one() -> None:
    # PYSEC-2023-74 (requests): its first sentence alone names no problem at all.
    advisory = parse_record(
        minimal(
            details="Requests is a HTTP library. Since Requests 2.3.0, Requests has been "
            "leaking Proxy-Authorization headers.\n\nMore paragraphs."
        )
    )
    assert advisory is not None
    assert advisory.summary == (
        "Requests is a HTTP library. Since Requests 2.3.0, Requests has been leaking "
        "Proxy-Authorization headers."
    )


def test_summary_is_kept_whole() -> None:
    advisory = parse_record(minimal(summary="word " * 100))
    assert advisory is not None and advisory.summary == ("word " * 100).strip()


def test_advisory_url_is_the_advisorys_own_page() -> None:
    """PYSEC-2018-28 lists a vendor's errata page as its first ADVISORY reference: the link
    is the page that names the advisory (its id, else an alias), else its osv.dev page."""
    references = [
        {"type": "FIX", "url": "https://example.org/fix"},
        {"type": "WEB", "url": "https://example.org/web"},
        {"type": "ADVISORY", "url": "https://access.example.com/errata/RHSA-2019:2035"},
        {"type": "ADVISORY", "url": "https://github.com/advisories/GHSA-aaaa-bbbb-cccc"},
    ]
    record = minimal(references=references, aliases=["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"])
    advisory = parse_record(record)
    assert advisory is not None and advisory.url == references[3]["url"]
    own = [*references, {"type": "WEB", "url": "https://example.org/PYSEC-0000-1.html"}]
    named = parse_record(minimal(references=own, aliases=["GHSA-aaaa-bbbb-cccc"]))
    assert named is not None and named.url == "https://example.org/PYSEC-0000-1.html"
    vendor_only = parse_record(minimal(references=references[:3]))
    assert vendor_only is not None
    assert vendor_only.url == "https://osv.dev/vulnerability/PYSEC-0000-1"
    neither = parse_record(minimal(references=[{"type": "ADVISORY", "url": "javascript:x"}]))
    assert neither is not None
    assert neither.url == "https://osv.dev/vulnerability/PYSEC-0000-1"


def test_severity_is_the_highest_v3_score_and_ignores_other_types() -> None:
    advisory = parse_record(
        minimal(
            severity=[
                {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"},
                {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
                {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H"},
                {"type": "CVSS_V3", "score": 9.9},
            ]
        )
    )
    assert advisory is not None and advisory.severity == 9.8
    unscored = parse_record(minimal(severity=[{"type": "CVSS_V3", "score": "garbage"}]))
    assert unscored is not None and unscored.severity is None


def test_own_id_is_not_an_alias() -> None:
    advisory = parse_record(minimal(aliases=["PYSEC-0000-1", "CVE-2000-1"]))
    assert advisory is not None and advisory.aliases == ("CVE-2000-1",)


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ([], "not a JSON object"),
        ({"affected": []}, "missing 'id'"),
        (minimal(aliases="CVE-1"), "'aliases'"),
        (minimal(affected={"package": {}}), "'affected' must be a list"),
        (minimal(affected=["pkg"]), "entries must be objects"),
        (minimal(affected=[{"versions": ["1.0"]}]), "without 'package'"),
        (minimal(affected=[{"package": {"ecosystem": "PyPI"}}]), "without a name"),
        (
            minimal(affected=[{"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": {}}]),
            "'ranges' must be a list",
        ),
        (
            minimal(
                affected=[
                    {"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": [{"type": "X"}]}
                ]
            ),
            "'events' list",
        ),
        (
            minimal(affected=[{"package": {"ecosystem": "PyPI", "name": "p"}, "versions": [1]}]),
            "'versions'",
        ),
        (minimal(details=["x"]), "'details' must be a string"),
    ],
)
def test_malformed_records_raise_a_value_error_naming_the_record(
    record: object, reason: str
) -> None:
    with pytest.raises(MalformedRecordError, match=reason) as info:
        parse_record(record, "some/file.json")
    assert isinstance(info.value, ValueError)
    assert "some/file.json" in str(info.value)
    if isinstance(record, dict) and "id" in record:
        assert "PYSEC-0000-1" in str(info.value)


def test_edge_malformed_files_are_rejected() -> None:
    for name in ("malformed-no-id.json", "malformed-affected.json"):
        with pytest.raises(MalformedRecordError):
            parse_record(load(name), name)
