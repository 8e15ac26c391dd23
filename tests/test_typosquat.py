"""Typosquats (issue 18, item 3): names the user typed, close to a popular project's."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pytest

from safe_pip.commands.db import run_update
from safe_pip.errors import UsageError
from safe_pip.models import Action, Category, PlanItem
from safe_pip.pipeline.checks import AdvisoryMatchLike, find_problems
from safe_pip.pipeline.policy import Policy, decide
from safe_pip.pipeline.typosquat import (
    closest_popular,
    install_popular_list,
    load_popular,
    typosquat_findings,
)

TODAY = date(2026, 12, 1)

# From MAL records of the OpenSSF malicious-packages database (ids in
# benchmarks/typosquat_rate.py): each must fire, naming the project it imitates.
REAL = {
    "termncolor": "termcolor",
    "0requests": "requests",
    "beautiulsoup4": "beautifulsoup4",
    "aiohttpp": "aiohttp",
    "matplotlb": "matplotlib",
    "fastapii": "fastapi",
}


class _NoAdvisories:
    def matches(self, name: str, version: str) -> list[AdvisoryMatchLike]:
        return []


class _NoSeen:
    def lookup(self, filename: str) -> None:
        return None


@pytest.mark.parametrize(("typed", "meant"), sorted(REAL.items()))
def test_real_typosquats_fire(typed: str, meant: str) -> None:
    close = closest_popular(typed, load_popular())
    assert close is not None and close[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("reqeusts", "requests"),  # swapped letters
        ("python-requests", "requests"),  # prefix
        ("Beautiful_Soup4", "beautifulsoup4"),  # separators
        ("colorarna", "colorama"),  # rn looks like m
        ("numpy", None),  # popular itself
        ("my-company-utils", None),
        ("psycopg3", None),  # a digit changed: a version of a name, not a typo
        ("aiofile", None),  # a trailing s
    ],
)
def test_typed_names(typed: str, meant: str | None) -> None:
    close = closest_popular(typed, load_popular())
    assert (close[0] if close else None) == meant


def test_only_names_the_user_typed_are_checked() -> None:
    typed = PlanItem("termncolor", "1.0", requested=True)
    dependency = PlanItem("aiohttpp", "1.0", requested=False)
    (finding,) = typosquat_findings([typed, dependency])
    assert finding.name == "termncolor" and finding.category is Category.TYPOSQUAT
    assert "'termcolor'" in finding.summary


def test_typosquat_warns_by_default_and_blocks_when_configured() -> None:
    findings = find_problems(
        [PlanItem("termncolor", "1.0", requested=True, sha256="a" * 64)],
        _NoAdvisories(),
        {},
        _NoSeen(),
    )
    typo = [f for f in findings if f.id == "TYPOSQUAT"]
    assert [d.action for d in decide(typo, Policy(), TODAY)] == [Action.WARN]
    assert [d.action for d in decide(typo, Policy(typosquat=Action.BLOCK), TODAY)] == [Action.BLOCK]
    allowed = Policy(typosquat=Action.BLOCK, allow=("termncolor",))
    assert [d.action for d in decide(typo, allowed, TODAY)] == [Action.IGNORE]


def test_db_update_installs_a_newer_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "popular.tsv"
    source.write_text("# source: a test list, 2026-12-07\n1\tmy-famous-lib\n")
    assert closest_popular("my-famous-libb", load_popular()) is None
    assert run_update(argparse.Namespace(sources=[str(source)])) == 0
    assert closest_popular("my-famous-libb", load_popular()) == (
        "my-famous-lib",
        "one letter doubled",
    )
    assert closest_popular("reqeusts", load_popular()) is None


def test_db_update_refuses_a_list_without_its_source(tmp_path: Path) -> None:
    source = tmp_path / "popular.tsv"
    source.write_text("1\trequests\n")
    with pytest.raises(UsageError, match="header"):
        install_popular_list(source)
    source.write_text("# x\nnot a rank line\n")
    with pytest.raises(UsageError, match="rank<TAB>name"):
        install_popular_list(source)


def test_prepare_leaves_nothing_to_parse_for_the_first_question(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A guard prepares the list while pip starts: the gate's first question must not wait
    for the parse (~50 ms) or the lookups."""
    from safe_pip.models import PlanItem
    from safe_pip.pipeline import typosquat

    typosquat.prepare()

    def no_second_parse(text: str) -> typosquat.PopularProjects:
        raise AssertionError("parsed again")

    monkeypatch.setattr(typosquat, "parse_popular", no_second_parse)
    [finding] = typosquat.typosquat_findings([PlanItem("termncolor", "1.0", requested=True)])
    assert "termcolor" in finding.summary
