"""checks.find_problems: every category, with small in-memory data sources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from safe_pip.models import ArtifactSource, Category, Finding, PlanItem
from safe_pip.pipeline.checks import find_problems
from safe_pip.pipeline.confusion import ConfusionRule
from safe_pip.pipeline.seen_hashes import SeenHash

SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_C = "c" * 64
INDEX = "https://mirror.example/simple/"
OTHER_INDEX = "https://other.example/simple/"


@dataclass(frozen=True)
class Match:
    id: str
    summary: str = "a problem"
    aliases: tuple[str, ...] = ()
    fixed_in: str | None = None
    severity: float | None = None
    malicious: bool = False
    url: str = ""


class Advisories:
    def __init__(self, by_release: dict[tuple[str, str], list[Match]] | None = None) -> None:
        self.by_release = by_release or {}

    def matches(self, name: str, version: str) -> list[Match]:
        return self.by_release.get((name, version), [])


@dataclass(frozen=True)
class IndexEntry:
    filename: str
    sha256: str | None = SHA_A
    yanked: bool = False
    yanked_reason: str | None = None
    index_url: str = INDEX


class Seen:
    def __init__(self, hashes: dict[str, SeenHash] | None = None) -> None:
        self.hashes = hashes or {}

    def lookup(self, filename: str) -> SeenHash | None:
        return self.hashes.get(filename)


def item(name: str = "demo", version: str = "1.0", **changes: object) -> PlanItem:
    fields: dict[str, object] = {
        "source": ArtifactSource.INDEX,
        "filename": f"{name}-{version}-py3-none-any.whl",
        "sha256": SHA_A,
        "url": f"https://files.example/{name}-{version}-py3-none-any.whl",
        "index_url": INDEX,
    }
    fields.update(changes)
    return PlanItem(name=name, version=version, **fields)  # type: ignore[arg-type]


def problems(
    plan: Sequence[PlanItem],
    advisories: Advisories | None = None,
    index_files: dict[str, list[IndexEntry]] | None = None,
    seen: Seen | None = None,
) -> list[Finding]:
    return find_problems(plan, advisories or Advisories(), index_files or {}, seen or Seen())


def ids(findings: Sequence[Finding]) -> list[str]:
    return [f.id for f in findings]


def test_clean_plan_has_no_findings() -> None:
    plan = [item()]
    index = {"demo": [IndexEntry("demo-1.0-py3-none-any.whl", SHA_A)]}
    seen = Seen({"demo-1.0-py3-none-any.whl": SeenHash("x", SHA_A, "2024-01-02T00:00:00", None)})
    assert problems(plan, index_files=index, seen=seen) == []


def test_vulnerability_copies_advisory_fields() -> None:
    match = Match(
        id="PYSEC-2018-28",
        summary="Requests sends Authorization header",
        aliases=("CVE-2018-18074", "GHSA-x84v-xcm2-53pg"),
        fixed_in="2.20.0",
        severity=9.8,
        url="https://example.org/PYSEC-2018-28",
    )
    found = problems([item("requests", "2.19.0")], Advisories({("requests", "2.19.0"): [match]}))
    assert found == [
        Finding(
            name="requests",
            version="2.19.0",
            category=Category.VULNERABILITY,
            id="PYSEC-2018-28",
            summary="Requests sends Authorization header",
            aliases=("CVE-2018-18074", "GHSA-x84v-xcm2-53pg"),
            fixed_in="2.20.0",
            severity=9.8,
            url="https://example.org/PYSEC-2018-28",
        )
    ]


def test_malicious_match_is_malicious_category() -> None:
    match = Match(id="MAL-2024-1", summary="steals tokens", malicious=True)
    found = problems([item("evil")], Advisories({("evil", "1.0"): [match]}))
    assert [(f.category, f.id) for f in found] == [(Category.MALICIOUS, "MAL-2024-1")]


def test_advisories_only_for_the_planned_version() -> None:
    advisories = Advisories({("demo", "0.9"): [Match(id="PYSEC-1")]})
    assert problems([item("demo", "1.0")], advisories) == []


def test_yanked_from_pip_report_with_reason() -> None:
    found = problems([item(yanked=True, yanked_reason="broken build")])
    assert [(f.category, f.id, f.summary) for f in found] == [
        (Category.YANKED, "YANKED", "yanked: broken build")
    ]


def test_yanked_from_index_file_without_reason() -> None:
    index = {"demo": [IndexEntry("demo-1.0-py3-none-any.whl", yanked=True)]}
    found = problems([item(yanked=None)], index_files=index)
    assert [(f.id, f.summary) for f in found] == [("YANKED", "yanked (no reason given)")]


def test_yanked_reason_taken_from_index_when_report_has_none() -> None:
    index = {"demo": [IndexEntry("demo-1.0-py3-none-any.whl", yanked=True, yanked_reason="CVE")]}
    found = problems([item(yanked=True)], index_files=index)
    assert [f.summary for f in found] == ["yanked: CVE"]


def test_only_the_planned_file_counts_as_yanked() -> None:
    index = {
        "demo": [
            IndexEntry("demo-1.0.tar.gz", yanked=True, yanked_reason="bad sdist"),
            IndexEntry("demo-1.0-py3-none-any.whl"),
        ]
    }
    assert problems([item(yanked=False)], index_files=index) == []


def test_hash_differs_from_index() -> None:
    index = {"demo": [IndexEntry("demo-1.0-py3-none-any.whl", SHA_B)]}
    found = problems([item(sha256=SHA_A)], index_files=index)
    assert [(f.category, f.id) for f in found] == [(Category.HASH_MISMATCH, "HASH-INDEX")]
    assert "differs" in found[0].summary


def test_hash_comparison_ignores_case() -> None:
    index = {"demo": [IndexEntry("demo-1.0-py3-none-any.whl", SHA_A.upper())]}
    assert problems([item(sha256=SHA_A)], index_files=index) == []


def test_index_without_published_hash_is_not_a_mismatch_but_is_said() -> None:
    index = {"demo": [IndexEntry("demo-1.0-py3-none-any.whl", None)]}
    (found,) = problems([item()], index_files=index)
    # The comparison with the index could not happen: a warning, never a silent pass.
    assert (found.category, found.id) == (Category.UNVERIFIABLE, "NO-HASH")
    assert "index publishes no sha256 for demo-1.0-py3-none-any.whl" in found.summary


def test_hash_compared_with_the_index_the_file_came_from() -> None:
    index = {
        "demo": [
            IndexEntry("demo-1.0-py3-none-any.whl", SHA_A, index_url=INDEX),
            IndexEntry("demo-1.0-py3-none-any.whl", SHA_B, index_url=OTHER_INDEX),
        ]
    }
    assert problems([item(sha256=SHA_A, index_url=INDEX)], index_files=index) == []
    found = problems([item(sha256=SHA_B, index_url=INDEX)], index_files=index)
    assert ids(found) == ["HASH-INDEX"]


def test_file_missing_from_index_pages_is_no_index_mismatch_but_other_checks_run() -> None:
    """pip may have used --find-links: not on the index is not a problem by itself."""
    index = {"demo": [IndexEntry("demo-2.0-py3-none-any.whl", SHA_B)]}
    found = problems([item(sha256=SHA_A, pinned_hashes=(SHA_C,))], index_files=index)
    assert ids(found) == ["HASH-PINNED"]


def test_index_file_names_are_normalized() -> None:
    index = {"Demo_Pkg": [IndexEntry("demo_pkg-1.0-py3-none-any.whl", SHA_B)]}
    plan = [item("demo-pkg", filename="demo_pkg-1.0-py3-none-any.whl", sha256=SHA_A)]
    assert ids(problems(plan, index_files=index)) == ["HASH-INDEX"]


def test_pinned_hash_mismatch() -> None:
    found = problems([item(sha256=SHA_A, pinned_hashes=(SHA_B, SHA_C))])
    assert [(f.category, f.id) for f in found] == [(Category.HASH_MISMATCH, "HASH-PINNED")]


def test_pinned_hash_match() -> None:
    assert problems([item(sha256=SHA_A, pinned_hashes=(SHA_B, SHA_A.upper()))]) == []


def test_pinned_hashes_but_no_sha256_known() -> None:
    found = problems([item(sha256=None, pinned_hashes=(SHA_B,))])
    assert sorted(ids(found)) == ["HASH-PINNED", "NO-HASH"]


def test_hash_changed_since_first_seen() -> None:
    seen = Seen(
        {
            "demo-1.0-py3-none-any.whl": SeenHash(
                "demo-1.0-py3-none-any.whl", SHA_B, "2024-01-02T03:04:05+00:00", None
            )
        }
    )
    found = problems([item(sha256=SHA_A)], seen=seen)
    assert [(f.category, f.id) for f in found] == [(Category.HASH_MISMATCH, "HASH-CHANGED")]
    assert found[0].summary == (
        "artifact changed since first seen on 2024-01-02: was bbbbbbbbbb, now aaaaaaaaaa"
    )


def test_locally_built_artifacts_are_not_compared_with_first_seen() -> None:
    seen = Seen({"demo-1.0-py3-none-any.whl": SeenHash("x", SHA_B, "2024-01-02", None)})
    found = problems([item(source=ArtifactSource.LOCAL_PATH, sha256=SHA_A)], seen=seen)
    assert ids(found) == ["UNVERIFIED-SOURCE"]


@pytest.mark.parametrize(
    "source",
    [
        ArtifactSource.DIRECT_URL,
        ArtifactSource.LOCAL_PATH,
        ArtifactSource.VCS,
        ArtifactSource.EDITABLE,
    ],
)
def test_unverifiable_sources(source: ArtifactSource) -> None:
    found = problems([item(source=source, sha256=None, index_url=None, url="file:///src/demo")])
    assert [(f.category, f.id) for f in found] == [(Category.UNVERIFIABLE, "UNVERIFIED-SOURCE")]
    assert found[0].summary.startswith("cannot be verified against an index: ")
    assert found[0].summary.endswith(" file:///src/demo")


def test_index_item_without_hash_is_unverifiable() -> None:
    found = problems([item(sha256=None)])
    assert [(f.category, f.id) for f in found] == [(Category.UNVERIFIABLE, "NO-HASH")]


def test_installed_items_get_only_advisory_checks() -> None:
    plan = [item(source=ArtifactSource.INSTALLED, sha256=None, filename=None, url=None)]
    assert problems(plan) == []
    advisories = Advisories({("demo", "1.0"): [Match(id="PYSEC-9")]})
    assert ids(problems(plan, advisories)) == ["PYSEC-9"]


def test_findings_sorted_by_category_severity_then_name() -> None:
    advisories = Advisories(
        {
            ("zeta", "1.0"): [Match(id="PYSEC-2")],
            ("alpha", "1.0"): [Match(id="PYSEC-1")],
            ("omega", "1.0"): [Match(id="MAL-1", malicious=True)],
        }
    )
    plan = [
        item("beta", sha256=None),
        item("zeta"),
        item("gamma", yanked=True),
        item("alpha"),
        item("omega"),
        item("delta", pinned_hashes=(SHA_B,)),
    ]
    found = problems(plan, advisories)
    assert [(f.category.value, f.name) for f in found] == [
        ("malicious", "omega"),
        ("hash-mismatch", "delta"),
        ("vulnerability", "alpha"),
        ("vulnerability", "zeta"),
        ("yanked", "gamma"),
        ("unverifiable", "beta"),
    ]
    assert found == problems(list(reversed(plan)), advisories)


def test_advisories_are_looked_up_once_per_version_not_once_per_file() -> None:
    """A lock file lists every platform's file of a version; each file still gets the
    version's findings, from one lookup."""
    calls: list[tuple[str, str]] = []
    advisories = Advisories({("demo", "1.0"): [Match("PYSEC-1")]})
    looked_up = advisories.matches

    def counting(name: str, version: str) -> list[Match]:
        calls.append((name, version))
        return looked_up(name, version)

    advisories.matches = counting  # type: ignore[method-assign]
    plan = [item(filename=f"demo-1.0-cp3{n}-none-any.whl") for n in range(5)]
    plan.append(item(version="2.0"))

    found = problems(plan, advisories)

    assert calls == [("demo", "1.0"), ("demo", "2.0")]
    assert ids(found) == ["PYSEC-1"] * 5


class CountedEntry:
    """An index entry that counts how often its fields are read."""

    reads = 0

    def __init__(self, filename: str, index_url: str) -> None:
        self._filename, self._index_url = filename, index_url

    @property
    def filename(self) -> str:
        CountedEntry.reads += 1
        return self._filename

    @property
    def index_url(self) -> str:
        CountedEntry.reads += 1
        return self._index_url

    @property
    def sha256(self) -> str:
        CountedEntry.reads += 1
        return SHA_A

    @property
    def yanked(self) -> bool:
        CountedEntry.reads += 1
        return False

    @property
    def yanked_reason(self) -> None:
        CountedEntry.reads += 1
        return None


def test_a_projects_page_is_read_once_however_many_of_its_files_a_lock_lists() -> None:
    """A lock lists every platform's file of a version and a page lists every file of every
    version: comparing each listed file with the whole page (on every index) made a check of
    a 160-package lock against a mirrored index take 20 s of CPU. The page is grouped once per
    project; each plan item then costs a constant number of reads."""
    filenames = [f"demo-1.{n}-py3-none-any.whl" for n in range(300)]
    page = [CountedEntry(name, index) for index in (INDEX, OTHER_INDEX) for name in filenames]
    plan = [
        item(version=f"1.{n}", filename=name, url=f"https://files.example/{name}")
        for n, name in enumerate(filenames[:100])
    ]
    rule = ConfusionRule([INDEX, OTHER_INDEX], {})
    CountedEntry.reads = 0

    found = find_problems(plan, Advisories(), {"demo": page}, Seen(), confusion=rule)

    assert found == []  # the two indexes agree: one mirrors the other
    assert CountedEntry.reads <= 5 * len(page) + 20 * len(plan)


# ---------------------------------------------------------------- behind a guarded index


def test_a_guarded_index_hiding_a_version_is_not_reported_as_a_yank() -> None:
    """safe-pip's devpi plugin keeps a blocked version as yanked ("safe-pip: ..."): the
    client reports its own findings about it, not the index's yank once more."""
    reason = "safe-pip: demo 1.0: PYSEC-1 (vulnerability)"
    index = {"demo": [IndexEntry("demo-1.0-py3-none-any.whl", yanked=True, yanked_reason=reason)]}
    assert problems([item(yanked=True)], index_files=index) == []
    assert problems([item(yanked=True, yanked_reason=reason)]) == []
    publisher = {"demo": [IndexEntry("demo-1.0-py3-none-any.whl", yanked=True, yanked_reason="x")]}
    assert [f.id for f in problems([item(yanked=True)], index_files=publisher)] == ["YANKED"]
