"""Dependency confusion (issue 8, reproduction 7).

With ``--index-url PRIVATE --extra-index-url PUBLIC``, a ``corpinternal 99.0`` on the public
index beat the private 1.0 and was installed with exit 0 and no finding. Now a name served
by more than one configured index is a ``confusion`` finding (blocked by default) unless
``index-for`` binds it, and a name that later comes from another configured index than the
first time is one too.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from safe_pip.models import Category, PlanItem
from safe_pip.pipeline.check_plan import check_plan
from safe_pip.pipeline.confusion import (
    CONFUSION_ID,
    INDEX_CHANGED_ID,
    ConfusionRule,
    confusion_findings,
    indexes_agree,
)
from safe_pip.pipeline.policy import FailMode, Policy
from safe_pip.pipeline.seen_hashes import SeenHashes
from support.index_server import LocalIndex
from support.outcomes import installed, output
from support.uv_helpers import SKIP_WITHOUT_UV

SafePip = Callable[..., subprocess.CompletedProcess[str]]
PRIVATE = "https://private.invalid/simple/"
PUBLIC = "https://public.invalid/simple"
TOKEN = "pypi-s3cr3t"


@dataclass(frozen=True)
class Served:
    index_url: str
    filename: str = "corpinternal-99.0.whl"
    sha256: str | None = "9" * 64


@dataclass(frozen=True)
class First:
    index_url: str
    first_seen: str = "2026-01-02T03:04:05+00:00"


def item(index_url: str | None = PUBLIC) -> PlanItem:
    return PlanItem("corpinternal", "99.0", filename="corpinternal-99.0.whl", index_url=index_url)


def ids(index_url: str | None, served: list[str | Served], rule: ConfusionRule) -> list[str]:
    files = [Served(s) if isinstance(s, str) else s for s in served]
    return [f.id for f in confusion_findings(item(index_url), files, rule)]


TWO_INDEXES = ConfusionRule([PRIVATE, PUBLIC], {})


def test_a_name_served_by_two_configured_indexes_is_a_finding() -> None:
    private_file = Served(PRIVATE, "corpinternal-1.0.whl", "1" * 64)
    (found,) = confusion_findings(item(), [private_file, Served(PUBLIC)], TWO_INDEXES)
    assert found.category is Category.CONFUSION and found.id == CONFUSION_ID
    assert "served by 2 indexes" in found.summary and "index-for" in found.summary


def test_a_mirror_beside_the_index_it_mirrors_is_no_finding() -> None:
    """A machine's pip.conf lists a mirror (a file:// tree, one version per project) beside
    the public index: the mirror's files are the public ones, byte for byte."""
    older = Served(PUBLIC, "corpinternal-98.0.whl", "8" * 64)
    assert ids(PUBLIC, [PRIVATE, PUBLIC, older], TWO_INDEXES) == []
    assert ids(PRIVATE, [PRIVATE, PUBLIC, older], TWO_INDEXES) == []
    # ...and it may be the first index the name came from: moving between them is no move
    first_private = ConfusionRule([PRIVATE, PUBLIC], {}, lambda name: First(PRIVATE.rstrip("/")))
    assert ids(PUBLIC, [PRIVATE, PUBLIC, older], first_private) == []


def test_indexes_that_disagree_on_a_file_or_each_list_their_own_files_are_a_finding() -> None:
    other_bytes = Served(PRIVATE, sha256="6" * 64)
    assert ids(PUBLIC, [other_bytes, Served(PUBLIC)], TWO_INDEXES) == [CONFUSION_ID]
    no_hash = Served(PRIVATE, sha256=None)
    assert ids(PUBLIC, [no_hash, Served(PUBLIC)], TWO_INDEXES) == [CONFUSION_ID]
    # the private 1.0 that the public index lacks, beside the attacker's public 99.0
    private_only = Served(PRIVATE, "corpinternal-1.0.whl", "1" * 64)
    assert ids(PUBLIC, [private_only, Served(PUBLIC)], TWO_INDEXES) == [CONFUSION_ID]
    # the private index listing the public file too makes it the one that lists everything
    assert indexes_agree([private_only, Served(PRIVATE), Served(PUBLIC)])


def test_one_index_serving_the_name_or_one_index_configured_is_fine() -> None:
    assert ids(PUBLIC, [PUBLIC], TWO_INDEXES) == []
    assert ids(PUBLIC, [PUBLIC, PUBLIC + "/"], ConfusionRule([PUBLIC], {})) == []


def test_a_binding_settles_which_index_may_serve_the_name() -> None:
    bound = ConfusionRule([PRIVATE, PUBLIC], {"corpinternal": PRIVATE})
    assert ids(PRIVATE, [PRIVATE, PUBLIC], bound) == []
    assert ids(PUBLIC, [PRIVATE, PUBLIC], bound) == [CONFUSION_ID]
    assert ids(None, [PRIVATE], bound) == [CONFUSION_ID]


def test_the_same_index_with_other_credentials_is_the_same_index() -> None:
    with_token = PRIVATE.replace("https://", f"https://__token__:{TOKEN}@")
    bound = ConfusionRule([with_token, PUBLIC], {"corpinternal": PRIVATE})
    assert ids(with_token, [with_token, PUBLIC], bound) == []


def test_a_name_that_moved_to_another_configured_index_is_a_finding() -> None:
    moved = ConfusionRule([PRIVATE, PUBLIC], {}, lambda name: First(PRIVATE.rstrip("/")))
    findings = confusion_findings(item(PUBLIC), [Served(PUBLIC)], moved)
    assert [f.id for f in findings] == [INDEX_CHANGED_ID]
    assert "first seen on 2026-01-02" in findings[0].summary


def test_a_switch_to_a_mirror_is_no_finding() -> None:
    mirror = ConfusionRule([PUBLIC], {}, lambda name: First("https://old-mirror.invalid/simple"))
    assert ids(PUBLIC, [PUBLIC], mirror) == []


def test_the_first_index_is_recorded_without_credentials(tmp_path: Path) -> None:
    with_token = PRIVATE.replace("https://", f"https://__token__:{TOKEN}@")
    with SeenHashes.open(tmp_path / "seen.sqlite") as seen:
        seen.record([item(with_token)])
        first = seen.first_index("corpinternal")
        assert first is not None and first.index_url == "https://private.invalid/simple"
    assert TOKEN.encode() not in (tmp_path / "seen.sqlite").read_bytes()


def test_check_plan_records_the_index_and_reports_a_later_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safe_pip.index.client import IndexFile

    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path / "cache"))
    policy = Policy(fail_mode=FailMode.OPEN)  # no advisory database here

    def served_by(index_url: str) -> dict[str, list[IndexFile]]:
        url = f"{index_url.rstrip('/')}/files/corpinternal-99.0.whl"
        long_ago = "2024-01-02T03:04:05Z"  # a remote index without times: too new
        file = IndexFile("corpinternal-99.0.whl", url, None, False, None, long_ago, index_url)
        return {"corpinternal": [file]}

    first = check_plan([item(None)], policy, [PRIVATE, PUBLIC], index_files=served_by(PRIVATE))
    assert not [d for d in first.verdict.decisions if d.finding.category is Category.CONFUSION]
    later = check_plan([item(None)], policy, [PRIVATE, PUBLIC], index_files=served_by(PUBLIC))
    confusion = [d for d in later.verdict.decisions if d.finding.category is Category.CONFUSION]
    assert [d.finding.id for d in confusion] == [INDEX_CHANGED_ID]
    assert later.verdict.blocked


# ---------------------------------------------------------------- two real indexes


@pytest.fixture
def private_and_public(
    local_index: LocalIndex, tmp_path: Path
) -> Iterator[tuple[LocalIndex, LocalIndex]]:
    local_index.add("corpinternal", "1.0")
    local_index.add("cleanlib", "1.0")
    with LocalIndex(tmp_path / "public-index") as public:
        public.add("corpinternal", "99.0")
        yield local_index, public


@pytest.mark.integration
def test_the_attackers_higher_version_on_the_public_index_is_blocked(
    private_and_public: tuple[LocalIndex, LocalIndex],
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
) -> None:
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    private, public = private_and_public
    python = pip_venv("bundled")
    indexes = ("-i", private.url, "--extra-index-url", public.url)
    result = safe_pip("install", "--python", python, *indexes, "--format", "json", "corpinternal")
    assert result.returncode == 1, output(result)
    report = json.loads(result.stdout)
    (confusion,) = [f for f in report["findings"] if f["category"] == "confusion"]
    assert confusion["id"] == CONFUSION_ID and confusion["action"] == "block"
    assert confusion["version"] == "99.0"
    assert installed(python, isolated_env) == {}

    # A name only one index serves is fine with both configured.
    clean = safe_pip("install", "--python", python, *indexes, "cleanlib")
    assert clean.returncode == 0, output(clean)

    # Bound to the private index, the private version installs and the public one does not.
    config = Path(isolated_env["SAFE_PIP_CONFIG_FILE"])
    config.write_text(f'index-for = {{ corpinternal = "{private.url}" }}\n', encoding="utf-8")
    still_public = safe_pip("install", "--python", python, *indexes, "corpinternal")
    assert still_public.returncode == 1, output(still_public)
    assert "index-for binds it to" in still_public.stdout
    pinned = safe_pip("install", "--python", python, *indexes, "corpinternal==1.0")
    assert pinned.returncode == 0, output(pinned)
    assert installed(python, isolated_env) == {"corpinternal": "1.0", "cleanlib": "1.0"}


@pytest.mark.integration
def test_a_mirror_beside_its_index_installs_without_reading_either_page_again(
    private_and_public: tuple[LocalIndex, LocalIndex],
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
) -> None:
    """A machine's pip.conf lists a mirror beside the index it mirrors: every file the mirror
    lists is the index's, byte for byte. Nothing to report, and the guard checks what pip
    read of both pages instead of fetching them once more."""
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    index, mirror = private_and_public
    (original,) = index.hosted_files("cleanlib")
    mirror.add_file("cleanlib", "1.0", original.filename, original.content)
    index.clear_log()
    mirror.clear_log()
    python = pip_venv("newest")
    indexes = ("-i", index.url, "--extra-index-url", mirror.url)
    result = safe_pip("install", "--python", python, *indexes, "cleanlib")
    assert result.returncode == 0, output(result)
    assert "no problems found" in result.stdout, output(result)
    assert installed(python, isolated_env) == {"cleanlib": "1.0"}
    for served in (index, mirror):
        pages = [path for path in served.requests if path.rstrip("/").endswith("/cleanlib")]
        assert len(pages) == 1, served.requests  # pip's own request, no second one


@pytest.mark.integration
@pytest.mark.parametrize("failure", [500, "wrong content type"])
def test_a_private_index_pip_could_not_read_does_not_let_the_public_version_in(
    failure: int | str,
    private_and_public: tuple[LocalIndex, LocalIndex],
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
) -> None:
    """pip skips an index page it cannot read (a 5xx, a page it does not understand) with a
    line in its log and takes the attacker's public 99.0: an attacker who can make the
    private index fail for a moment wins, unless the guard notices that pip's view of the
    indexes is incomplete. It reads the pages itself then, and cannot either: exit 3."""
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    private, public = private_and_public
    if failure == 500:
        private.fail_simple_api_with(500)
    else:
        private.serve_raw_page("corpinternal", b"<h1>maintenance</h1>", "application/x-nonsense")
    python = pip_venv("newest")
    indexes = ("-i", private.url, "--extra-index-url", public.url)
    result = safe_pip("install", "--python", python, *indexes, "corpinternal")
    assert result.returncode == 3, output(result)
    assert installed(python, isolated_env) == {}


@pytest.mark.integration
def test_the_hook_does_not_let_the_public_version_in_when_the_private_index_fails(
    private_and_public: tuple[LocalIndex, LocalIndex],
    isolated_env: dict[str, str],
    pip_venv: Callable[[str], Path],
) -> None:
    """The same attack on a plain ``pip install`` in a hooked venv (the checker is the
    hook's own): pip's view of the indexes is incomplete, the checker reads the pages
    itself, cannot either, and pip installs nothing."""
    from support.hook_helpers import PIP_MODULE, hook_venv, pip_install
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    private, public = private_and_public
    private.fail_simple_api_with(500)
    python = pip_venv("newest")
    hook_venv(python)
    indexes = ("-i", private.url, "--extra-index-url", public.url)
    result = pip_install(python, PIP_MODULE, isolated_env, *indexes, "corpinternal")
    assert result.returncode == 3, output(result)
    assert installed(python, isolated_env) == {}


@pytest.mark.integration
@SKIP_WITHOUT_UV
def test_uv_with_two_indexes_serving_the_name_is_blocked_too(
    private_and_public: tuple[LocalIndex, LocalIndex],
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    target_venv: Path,
) -> None:
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    private, public = private_and_public
    result = safe_pip(
        "uv",
        "pip",
        "install",
        "--python",
        target_venv,
        "--index-url",
        public.url,
        "--extra-index-url",
        private.url,
        "--format",
        "json",
        "corpinternal",
    )
    assert result.returncode == 1, output(result)
    categories = {f["category"] for f in json.loads(result.stdout)["findings"]}
    assert "confusion" in categories


@pytest.mark.integration
@SKIP_WITHOUT_UV
def test_uv_does_not_let_the_public_version_in_when_the_private_index_fails(
    private_and_public: tuple[LocalIndex, LocalIndex],
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    target_venv: Path,
) -> None:
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    private, public = private_and_public
    private.fail_simple_api_with(500)
    indexes = ("--index-url", public.url, "--extra-index-url", private.url)
    no_retries = {**isolated_env, "UV_HTTP_RETRIES": "0"}  # uv retries a 5xx for a minute
    result = safe_pip(
        "uv", "pip", "install", "--python", target_venv, *indexes, "corpinternal", env=no_retries
    )
    assert result.returncode == 3, output(result)
    assert "corpinternal" not in installed(target_venv, isolated_env)


@pytest.mark.integration
def test_a_local_index_without_the_project_is_absence_not_an_unread_page(
    local_index: LocalIndex,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    """A machine's pip.conf lists a ``file://`` index beside the remote one; it has no
    directory for the project (pip logs "neither a file nor a directory" and goes on). That
    is absence, as a 404 is: the guard decides on the pages pip read instead of reading the
    remote page once more as if pip could not read the local one."""
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    local_simple = tmp_path / "mirror" / "simple"
    local_simple.mkdir(parents=True)
    local_index.add("cleanlib", "1.0")
    local_index.clear_log()
    python = pip_venv("newest")
    indexes = ("-i", local_index.url, "--extra-index-url", local_simple.as_uri())
    result = safe_pip("install", "--python", python, *indexes, "cleanlib")
    assert result.returncode == 0, output(result)
    assert installed(python, isolated_env) == {"cleanlib": "1.0"}
    pages = [path for path in local_index.requests if path.rstrip("/").endswith("/cleanlib")]
    assert len(pages) == 1, local_index.requests  # pip's own request, no second one
