"""``pip_report``: reading pip's installation report and its hash-mismatch errors.

The fixtures in ``tests/data/pip-reports/`` are real reports captured from pip 23.2.1 (the
bundled pip) and pip 26.3 against the test ``LocalIndex`` (port rewritten to 8000) with
``pip install --dry-run --report - --quiet``: ``*-index.json`` for ``demo`` (needs
``helper>=1``) plus ``helper==1.2`` (yanked: "broken build"); ``*-mixed.json`` for a direct
URL wheel, a local wheel, a local directory, a git checkout and an editable directory.
``pip-22.2-v0.json`` is a hand-written version "0" report in pip 22.2's documented shape.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from safe_pip.errors import PipError
from safe_pip.installers.pip.report import hash_mismatches, is_hash_mismatch, parse_report
from safe_pip.models import ArtifactSource, PlanItem

REPORTS = Path(__file__).parent / "data" / "pip-reports"
DEMO_SHA256 = "279bd65ccb679bf2a2e556ab730900d16e7dbf154e7d759ef7cc663c0a47c0c6"
HELPER_SHA256 = "ad67df4e7129201e79a862be5a5090b861730e532b319401a51ca5bdb030dc3d"
DIRECT_SHA256 = "5e533737036e32c13dc8413b42a6cfb5904d6fa1ed7b1784e48a8a90d9ebe4d0"
LOCAL_WHEEL_SHA256 = "d3e2402fb031e68bbe80f9381db93c9e5fd2eb06d6a83a7f76de81e0874d7442"
VCS_COMMIT = "665a0795fbf7117aba3daa1265b9a76cab605dc1"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPORTS / name).read_text())
    return data


@pytest.mark.parametrize(
    ("fixture", "helper_yanked"),
    [("pip-23.2.1-index.json", None), ("pip-26.3-index.json", True)],
)
def test_index_report(fixture: str, helper_yanked: bool | None) -> None:
    plan = parse_report(load(fixture))
    assert plan == [
        PlanItem(
            name="helper",
            version="1.2",
            source=ArtifactSource.INDEX,
            url="http://127.0.0.1:8000/files/helper-1.2-py3-none-any.whl",
            filename="helper-1.2-py3-none-any.whl",
            sha256=HELPER_SHA256,
            requested=True,
            yanked=helper_yanked,
        ),
        PlanItem(
            name="demo",
            version="1.0",
            source=ArtifactSource.INDEX,
            url="http://127.0.0.1:8000/files/demo-1.0-py3-none-any.whl",
            filename="demo-1.0-py3-none-any.whl",
            sha256=DEMO_SHA256,
            requested=True,
            yanked=None if helper_yanked is None else False,
        ),
    ]


@pytest.mark.parametrize("fixture", ["pip-23.2.1-mixed.json", "pip-26.3-mixed.json"])
def test_mixed_sources_report(fixture: str) -> None:
    plan = {item.name: item for item in parse_report(load(fixture))}
    assert {name: item.source for name, item in plan.items()} == {
        "direct-pkg": ArtifactSource.DIRECT_URL,
        "local-wheel": ArtifactSource.LOCAL_PATH,
        "local-dir-pkg": ArtifactSource.LOCAL_PATH,
        "vcs-pkg": ArtifactSource.VCS,
        "edit-pkg": ArtifactSource.EDITABLE,
    }
    direct = plan["direct-pkg"]
    assert direct.url == "http://127.0.0.1:8000/files/direct_pkg-1.5-py3-none-any.whl"
    assert (direct.filename, direct.sha256) == ("direct_pkg-1.5-py3-none-any.whl", DIRECT_SHA256)
    local_wheel = plan["local-wheel"]
    assert local_wheel.url == "file:///tmp/safe-pip-capture/wheels/local_wheel-2.0-py3-none-any.whl"
    assert local_wheel.filename == "local_wheel-2.0-py3-none-any.whl"
    assert local_wheel.sha256 == LOCAL_WHEEL_SHA256
    directory = plan["local-dir-pkg"]
    assert (directory.url, directory.filename, directory.sha256) == (
        "file:///tmp/safe-pip-capture/localdir",
        None,
        None,
    )
    assert plan["vcs-pkg"].url == f"git+file:///tmp/safe-pip-capture/repo@{VCS_COMMIT}"
    assert plan["vcs-pkg"].sha256 is None
    assert plan["edit-pkg"].url == "file:///tmp/safe-pip-capture/editdir"
    assert (plan["edit-pkg"].version, plan["vcs-pkg"].version) == ("0.4", "0.5")
    assert all(item.requested for item in plan.values())


def test_version_0_report_with_legacy_hash_and_subdirectory() -> None:
    helper, demo, vcs = parse_report(load("pip-22.2-v0.json"))
    assert (helper.name, helper.version, helper.requested) == ("helper", "1.1", False)
    assert helper.sha256 == HELPER_SHA256  # upper-case legacy "sha256=" form, lower-cased
    assert helper.yanked is None
    assert demo.name == "my-demo"  # canonicalized from metadata "My.Demo"
    assert demo.url == "http://127.0.0.1:8000/files/My_Demo-1.0.tar.gz"  # fragment stripped
    assert (demo.filename, demo.sha256, demo.requested) == ("My_Demo-1.0.tar.gz", DEMO_SHA256, True)
    assert vcs.source is ArtifactSource.VCS
    assert vcs.url == (
        "git+http://127.0.0.1:8000/git/vcs-pkg@4f42225e91a0be634625c09e84dd29ea82b85e27"
        "#subdirectory=python"
    )


def test_percent_encoded_filename_is_decoded() -> None:
    report = load("pip-26.3-index.json")
    report["install"][0]["download_info"]["url"] = "http://h/files/a%2Bb-1.0-py3-none-any.whl"
    assert parse_report(report)[0].filename == "a+b-1.0-py3-none-any.whl"


def test_archive_without_hash_has_no_sha256() -> None:
    report = load("pip-26.3-index.json")
    report["install"][0]["download_info"]["archive_info"] = {}
    assert parse_report(report)[0].sha256 is None


def test_empty_plan() -> None:
    assert parse_report({"version": "1", "install": []}) == []


def _broken(change: str) -> object:
    report = copy.deepcopy(load("pip-26.3-index.json"))
    entry = report["install"][0]
    if change == "version":
        report["version"] = "2"
    elif change == "install":
        del report["install"]
    elif change == "entry":
        report["install"][0] = "helper"
    elif change == "metadata":
        del entry["metadata"]["name"]
    elif change == "download_info":
        del entry["download_info"]
    elif change == "url":
        entry["download_info"]["url"] = ""
    elif change == "kind":
        del entry["download_info"]["archive_info"]
    elif change == "hash":
        entry["download_info"]["archive_info"]["hashes"]["sha256"] = "xyz"
    elif change == "vcs":
        entry["download_info"] = {"url": "https://h/r", "vcs_info": {"vcs": "git"}}
    elif change == "not-an-object":
        return ["install"]
    return report


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("version", "unsupported report version '2'"),
        ("install", "no 'install' list"),
        ("entry", "install entry 0 is not an object"),
        ("metadata", "install entry 0 has no metadata name/version"),
        ("download_info", "install entry 0 has no 'download_info' object"),
        ("url", "install entry 0 (helper) has no download URL"),
        ("kind", "helper: download_info has no archive_info, dir_info or vcs_info"),
        ("hash", "helper: malformed sha256 'xyz'"),
        ("vcs", "vcs_info of https://h/r has no vcs/commit_id"),
        ("not-an-object", "not a JSON object"),
    ],
)
def test_unexpected_shape_is_one_clear_pip_error(change: str, reason: str) -> None:
    with pytest.raises(PipError) as caught:
        parse_report(_broken(change))
    assert str(caught.value) == f"could not read pip's installation report: {reason}"


# Captured from pip 23.2.1 and 26.3 (identical text), port and paths shortened.
PIP_HASH_MISMATCH = """\
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have \
updated the package versions, please update the hashes. Otherwise, examine the package \
contents carefully; someone may have tampered with them.
    demo==1.0 from http://127.0.0.1:8000/files/demo-1.0-py3-none-any.whl#sha256=abc \
(from -r /tmp/req.txt (line 1)):
        Expected sha256 0000000000000000000000000000000000000000000000000000000000000000
                     or 1111111111111111111111111111111111111111111111111111111111111111
             Got        279bd65ccb679bf2a2e556ab730900d16e7dbf154e7d759ef7cc663c0a47c0c6
    helper==1.1 from http://127.0.0.1:8000/files/helper-1.1-py3-none-any.whl:
        Expected sha256 2222222222222222222222222222222222222222222222222222222222222222
             Got        AD67DF4E7129201E79A862BE5A5090B861730E532B319401A51CA5BDB030DC3D

"""


def test_hash_mismatches_are_read_from_pip_stderr() -> None:
    assert is_hash_mismatch(PIP_HASH_MISMATCH)
    demo, helper = hash_mismatches(PIP_HASH_MISMATCH)
    assert demo.requirement == "demo==1.0"
    assert demo.url == "http://127.0.0.1:8000/files/demo-1.0-py3-none-any.whl"
    assert demo.expected == ("0" * 64, "1" * 64)
    assert demo.got == DEMO_SHA256
    assert (helper.requirement, helper.got) == ("helper==1.1", HELPER_SHA256)
    assert helper.describe() == f"helper==1.1: expected sha256 {'2' * 64}, got {HELPER_SHA256}"


def test_other_errors_are_not_hash_mismatches() -> None:
    stderr = "ERROR: No matching distribution found for nosuchpkg\n"
    assert not is_hash_mismatch(stderr)
    assert hash_mismatches(stderr) == []
