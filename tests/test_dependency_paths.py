"""``via``: which requested package pulls a dependency into a plan."""

from __future__ import annotations

from typing import Any

from safe_pip.installers.pip.report import parse_report
from safe_pip.models import PlanItem
from safe_pip.pipeline.dependency_paths import attach_required_by, requirement_names

LINUX_311 = {"sys_platform": "linux", "python_version": "3.11", "platform_system": "Linux"}


def test_a_dependency_names_every_requested_item_that_reaches_it() -> None:
    items = [
        PlanItem("requests", "2.19.0", requested=True),
        PlanItem("httpx", "0.27.0", requested=True),
        PlanItem("urllib3", "1.23"),
        PlanItem("idna", "2.7"),
        PlanItem("unrelated", "1.0"),
    ]
    edges = {"requests": ["urllib3", "missing"], "urllib3": ["idna"], "httpx": ["idna"]}
    by_name = {item.name: item for item in attach_required_by(items, edges)}
    assert by_name["urllib3"].required_by == ("requests==2.19.0",)
    assert by_name["idna"].required_by == ("httpx==0.27.0", "requests==2.19.0")
    assert by_name["unrelated"].required_by == ()
    assert by_name["requests"].required_by == ()  # requested itself


def test_requirement_names_follow_markers_and_requested_extras() -> None:
    requires = [
        "urllib3<1.24,>=1.21.1",
        "PySocks!=1.5.7,>=1.5.6; extra == 'socks'",
        "win-inet-pton; sys_platform == 'win32' and extra == 'socks'",
        "colorama; platform_system == 'Windows'",
        "not a requirement ((",
        7,
    ]
    assert requirement_names(requires, LINUX_311) == ["urllib3"]
    assert requirement_names(requires, LINUX_311, ["Socks"]) == ["urllib3", "pysocks"]


def _entry(name: str, version: str, requires: list[str], requested: bool) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "version": version, "requires_dist": requires},
        "download_info": {
            "url": f"https://example.org/{name}-{version}-py3-none-any.whl",
            "archive_info": {"hash": "sha256=" + "a" * 64},
        },
        "requested": requested,
    }


def test_pip_report_dependencies_say_what_pulled_them_in() -> None:
    report = {
        "version": "1",
        "install": [
            _entry("requests", "2.19.0", ["idna<2.8,>=2.5", "urllib3<1.24,>=1.21.1"], True),
            _entry("idna", "2.7", [], False),
            _entry("urllib3", "1.23", ["brotli; extra == 'brotli'"], False),
        ],
        "environment": LINUX_311,
    }
    plan = {item.name: item for item in parse_report(report)}
    assert plan["idna"].required_by == ("requests==2.19.0",)
    assert plan["urllib3"].required_by == ("requests==2.19.0",)
    assert plan["requests"].required_by == ()


def test_a_marker_environment_with_a_value_that_is_not_text_is_still_evaluated() -> None:
    """A hostile or odd report's marker environment (a list value) cannot be a cache key:
    the entries are evaluated uncached, with the same answer."""
    entries = ["idna>=2", 'colorama; sys_platform == "win32"', "not a requirement ((("]
    odd = {"sys_platform": "linux", "platform_tags": ["x"]}
    assert requirement_names(entries, odd) == ["idna"]  # type: ignore[arg-type]
    assert requirement_names(entries, {"sys_platform": "win32"}) == ["idna", "colorama"]
    assert requirement_names(entries, {"sys_platform": "linux"}) == ["idna"]
