"""The one-pass guard's pieces that need no pip run: the command safe-pip starts, the facts the
guard reads off file names, and the gate's decisions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from safe_pip.advisories.database import AdvisoryMatch
from safe_pip.errors import UsageError
from safe_pip.hook.runtime import bootstrap
from safe_pip.hook.runtime.plan_from_pip import version_from_filename
from safe_pip.installers.pip.guard_server import GuardListener
from safe_pip.installers.pip.one_pass import guarded_pip_command
from safe_pip.models import Action, Category, PlanItem
from safe_pip.pipeline.gate import Candidate, candidate_decisions, candidate_from_json, is_allowed
from safe_pip.pipeline.policy import Policy

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)

# Lines whose meaning depends on how each option is read: abbreviations, values that look
# like options or requirements, "--" and "=" forms.
TRICKY_PIP_ARGS = [
    ["--in", "https://example.invalid/simple/", "--target", "evil @ file:///evil.whl", "./a.whl"],
    ["--pre", "-e", "./proj", "--config-settings=--build-option=--x", "--", "-weird-name"],
    ["-r", "requirements.txt", "--no-deps", "--upgrade-strategy", "eager", "--index", "u"],
    ["--format", "json"],  # only --format given to safe-pip itself is taken out, earlier
]


@pytest.mark.parametrize("pip_args", TRICKY_PIP_ARGS)
def test_pip_alone_reads_every_install_argument(pip_args: list[str]) -> None:
    """safe-pip no longer interprets pip's options: they reach pip verbatim, in order, and
    the guard's settings travel in the ``-c`` code (never in the environment)."""
    with GuardListener() as listener:
        command = guarded_pip_command("python3", pip_args, listener, mode="install")
    assert command[0] == "python3" and command[1] == "-c"
    assert command[3:] == ["install", *pip_args]
    assert listener.token in command[2] and listener.address in command[2]


def test_bootstrap_code_is_valid_python_that_names_the_runtime() -> None:
    code = bootstrap.code({"address": "unix:/x", "token": "t", "mode": "audit"})
    compile(code, "<bootstrap>", "exec")
    assert "_safe_pip_guard" in code and '"mode": "audit"' in code


@pytest.mark.parametrize(
    ("name", "filename", "version"),
    [
        ("evil", "evil-6.6-py3-none-any.whl", "6.6"),
        ("Foo.Bar", "foo_bar-1.0.tar.gz", "1.0"),
        ("foo-bar", "Foo-Bar-2.0rc1.zip", "2.0rc1"),
        ("foo", "foo-bar-1.0.tar.gz", None),  # another project's file
        ("foo", "foo.tar.gz", None),
        ("foo", "README.txt", None),
    ],
)
def test_version_from_file_names(name: str, filename: str, version: str | None) -> None:
    assert version_from_filename(name, filename) == version


class _Advisories:
    def __init__(self, malicious: bool) -> None:
        self.malicious = malicious

    def matches(self, name: str, version: str) -> list[AdvisoryMatch]:
        if name != "bad" or version not in ("1.2", "0"):
            return []
        advisory_id = "MAL-1" if self.malicious else "PYSEC-1"
        return [AdvisoryMatch(advisory_id, (), "bad", None, None, self.malicious)]

    def malicious_for_project(self, name: str) -> list[AdvisoryMatch]:
        """The records list version 1.2 only: a name-only lookup finds them all the same."""
        if name != "bad" or not self.malicious:
            return []
        return [AdvisoryMatch("MAL-1", (), "bad", None, None, True)]


class _NoSeen:
    def lookup(self, filename: str) -> None:
        return None


def _decide(
    raw: Mapping[str, object], malicious: bool, policy: Policy | None = None
) -> list[Action]:
    aged = {"upload_time": "2025-01-01T00:00:00Z", **raw}  # no release-age finding
    decisions = candidate_decisions(
        candidate_from_json(aged),
        _Advisories(malicious),
        _NoSeen(),
        policy or Policy(),
        NOW,
    )
    return [d.action for d in decisions]


def test_gate_blocks_a_malicious_candidate_even_in_warn_only_mode() -> None:
    raw = {"name": "bad", "version": "1.2", "filename": "bad-1.2.tar.gz", "sha256": "a" * 64}
    assert _decide(raw, malicious=True, policy=Policy(warn_only=True)) == [Action.BLOCK]


def test_gate_allows_a_clean_version() -> None:
    raw = {"name": "bad", "version": "1.1", "filename": "bad-1.1.tar.gz", "sha256": "a" * 64}
    assert _decide(raw, malicious=True) == []


def test_unknown_version_is_checked_for_malicious_records_only() -> None:
    """A direct URL whose file name tells no version: any malicious record of the name
    blocks it, whatever versions the record lists; a vulnerability needs the version."""
    raw = {"name": "bad", "version": None, "source": "url", "url": "https://h/x", "filename": "x"}
    candidate = candidate_from_json(raw)
    assert not candidate.version_known
    malicious = candidate_decisions(candidate, _Advisories(True), _NoSeen(), Policy(), NOW)
    assert [d.finding.category for d in malicious if d.action is Action.BLOCK] == [
        Category.MALICIOUS
    ]
    assert not is_allowed(malicious)
    vulnerable = candidate_decisions(candidate, _Advisories(False), _NoSeen(), Policy(), NOW)
    assert is_allowed(vulnerable)


def test_unverifiable_block_decides_an_unknown_version_at_the_gate() -> None:
    raw = {"name": "fine", "version": None, "source": "url", "url": "https://h/v1.tar.gz"}
    candidate = candidate_from_json(raw)
    warned = candidate_decisions(candidate, _Advisories(True), _NoSeen(), Policy(), NOW)
    assert is_allowed(warned)
    strict = Policy(unverifiable=Action.BLOCK)
    blocked = candidate_decisions(candidate, _Advisories(True), _NoSeen(), strict, NOW)
    assert [d.finding.category for d in blocked] == [Category.UNVERIFIABLE]
    assert not is_allowed(blocked)


def test_an_unnamed_source_is_not_looked_up_by_the_name_it_is_shown_with() -> None:
    """``pip install ./bad``: the directory's name is not the project's name."""
    raw = {
        "name": "bad",
        "name_known": False,
        "version": None,
        "source": "path",
        "url": "file:///w/bad",
    }
    decisions = candidate_decisions(
        candidate_from_json(raw), _Advisories(True), _NoSeen(), Policy(), NOW
    )
    assert is_allowed(decisions)


def test_yanked_candidate_blocks_only_when_policy_says_so() -> None:
    raw = {
        "name": "old",
        "version": "1.0",
        "filename": "old-1.0.tar.gz",
        "url": "https://h/old-1.0.tar.gz",
        "sha256": "b" * 64,
        "yanked": True,
        "page": {"sha256": "b" * 64, "yanked": True, "index_url": "https://h/simple/"},
    }
    assert _decide(raw, malicious=False) == [Action.WARN]
    assert _decide(raw, malicious=False, policy=Policy(yanked=Action.BLOCK)) == [Action.BLOCK]


def test_a_candidate_built_with_a_version_is_checked_for_every_advisory() -> None:
    item = PlanItem(name="bad", version="1.2", filename="bad-1.2.tar.gz", sha256="a" * 64)
    decisions = candidate_decisions(
        Candidate(item=item), _Advisories(True), _NoSeen(), Policy(), NOW
    )
    assert Candidate(item=item).version_known
    assert not is_allowed(decisions)


def test_the_candidates_own_upload_time_wins_over_its_page_and_the_index_url_falls_back() -> None:
    raw = {
        "name": "new",
        "version": "1.0",
        "filename": "new-1.0.tar.gz",
        "url": "https://h/new-1.0.tar.gz",
        "index_url": "https://h/simple/",
        "upload_time": "2025-01-01T00:00:00Z",
        "page": {"sha256": "c" * 64, "upload_time": "2026-01-01T00:00:00Z"},
    }
    candidate = candidate_from_json(raw)
    assert candidate.item.upload_time == "2025-01-01T00:00:00Z"
    assert candidate.page is not None and candidate.page.index_url == "https://h/simple/"
    without = candidate_from_json({**raw, "upload_time": None})
    assert without.item.upload_time == "2026-01-01T00:00:00Z"


# ---------------------------------------------------------------- steering and exact pins


def test_exact_pins_are_the_root_requirements_that_allow_one_version() -> None:
    from types import SimpleNamespace

    from packaging.requirements import Requirement

    from safe_pip.hook.runtime.plan_from_pip import exact_pins, requirement_texts

    roots = [
        SimpleNamespace(req=Requirement(text), match_markers=lambda: True)
        for text in ("Requests==2.19.0", "idna===2.7", "six==1.*", "flask>=2,<3", "rich")
    ]
    roots.append(SimpleNamespace(req=None))  # a local directory or an unnamed URL
    # a pin whose marker does not hold here is not in effect
    roots.append(SimpleNamespace(req=Requirement("urllib3==1.0"), match_markers=lambda: False))
    assert exact_pins(roots) == {"requests": "2.19.0", "idna": "2.7"}
    assert requirement_texts(roots) == [
        "Requests==2.19.0",
        "idna===2.7",
        "six==1.*",
        "flask<3,>=2",
        "rich",
    ]


def test_a_blocked_exact_pin_steps_aside_for_its_own_project_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``requests==2.19.0 'pkg<1.2'``: steering would hide the pinned version from pip, which
    then fails with "Could not find a version" before safe-pip's report, so it leaves that
    project to the gate (which blocks it before download); every other project is still
    steered, so pkg's vulnerable version is never picked (issue 15: one pin used to turn
    steering off for the whole run)."""
    from safe_pip.installers.pip.guard_service import GuardService
    from support.scenario import build_advisory_db

    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path))
    build_advisory_db({"SAFE_PIP_CACHE_DIR": str(tmp_path)})
    service = GuardService(Policy(min_release_age=timedelta(0)), print_reports=False, now=NOW)
    service.preload()

    def removed(name: str, versions: list[str], pinned: str | None = None) -> list[str]:
        candidates = [[version, False, None, None] for version in versions]
        question: dict[str, object] = {"op": "candidates", "name": name, "candidates": candidates}
        if pinned is not None:
            question["pinned"] = pinned
        answer = service.handle(question)
        return [versions[i] for i in answer["remove"]]

    try:
        assert removed("vulnlib", ["1.0", "1.1"]) == ["1.0"]  # steering is on
        assert removed("steerpkg", ["1.1", "1.2", "2.0"], pinned="1.1") == ["1.2"]
        assert removed("steerpkg", ["1.1", "1.2", "2.0"], pinned="1.2.0") == []
        assert removed("vulnlib", ["1.0", "1.1"]) == ["1.0"]  # ... and on for the others
        assert removed("steerpkg", ["1.1", "1.2", "2.0"]) == []  # the pinned project: off
    finally:
        service.close()


def test_the_pages_pip_read_are_read_by_safe_pip_and_complete_only_with_every_index(
    tmp_path: Path,
) -> None:
    """The guard sends the bytes of the pages pip read; safe-pip's own reading of them (a
    valueless ``data-yanked`` is yanked, a JSON ``project-status``) is what the checks use,
    and a project is known only when every index's page was read or absent."""
    from safe_pip.installers.pip.page_facts import PipPages

    a, b = "https://a.invalid/simple/", "https://__token__:s3cret@b.invalid/simple"
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "demo-0.5-py3-none-any.whl").write_bytes(b"local bytes")
    (wheels / "other-1.0-py3-none-any.whl").write_bytes(b"not demo")
    html = b'<a href="/f/demo-1.0-py3-none-any.whl#sha256=' + b"ab" * 32 + b'" data-yanked>d</a>'
    status = b'{"meta": {"api-version": "1.4"}, "project-status": {"status": "quarantined"},'
    status += b' "files": []}'
    pages = PipPages()
    sources = {"index_urls": [a, b], "find_links": [str(wheels)]}
    page_a = {
        "url": "https://a.invalid/simple/demo/",
        "page_url": "https://a.invalid/simple/demo/",
        "content_type": "text/html; charset=utf-8",
        "body": html.decode("latin-1"),
    }
    pages.take({"sources": sources, "pages": [page_a]})
    assert pages.project("demo") is None  # b's page was not read
    page_b = {
        "url": "https://b.invalid/simple/demo/",  # pip asks without the credentials
        "page_url": "https://b.invalid/simple/demo/",
        "content_type": "application/vnd.pypi.simple.v1+json",
        "body": status.decode("latin-1"),
    }
    pages.take({"sources": sources, "pages": [page_b]})
    facts = pages.project("demo")
    assert facts is not None
    assert [(f.filename, f.yanked, f.index_url) for f in facts.files] == [
        ("demo-1.0-py3-none-any.whl", True, a),
        ("demo-0.5-py3-none-any.whl", False, str(wheels)),
    ]
    assert facts.files[1].sha256 == hashlib.sha256(b"local bytes").hexdigest()
    assert [(s.status, s.index_url) for s in facts.statuses] == [("quarantined", b)]
    assert (pages.index_urls, pages.find_links) == ([a, b], [str(wheels)])
    # an index that does not have the project is no gap
    pages.take({"sources": sources, "pages": [{"url": a + "other/", "absent": True}]})
    assert pages.project("other") is None
    pages.take({"sources": sources, "pages": [{"url": b + "/other/", "absent": True}]})
    other = pages.project("other")
    assert other is not None and [f.filename for f in other.files] == ["other-1.0-py3-none-any.whl"]
    with pytest.raises(ValueError, match="'pages' must be a list"):
        pages.take({"pages": {}})


def test_a_version_steering_kept_back_is_reported_with_its_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steering looks advisories up without their fixed versions (hundreds of versions per
    project); when pip then finds nothing allowed, the report still says what to upgrade to."""
    from safe_pip.installers.pip.guard_service import GuardService
    from support.scenario import VULN_ID, build_advisory_db

    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path))
    build_advisory_db({"SAFE_PIP_CACHE_DIR": str(tmp_path)})
    service = GuardService(Policy(min_release_age=timedelta(0)), print_reports=False, now=NOW)
    service.preload()
    try:
        candidates = [["1.0", False, None, None]]
        answer = service.handle({"op": "candidates", "name": "vulnlib", "candidates": candidates})
        assert answer["remove"] == [0]
        error = "ERROR: Could not find a version that satisfies the requirement vulnlib<1.1"
        stopped = service.handle({"op": "failed", "error": error, "index_urls": []})
        assert stopped["exit_code"] == 1
    finally:
        service.close()
    result = service.outcome.stop_result
    assert result is not None
    assert [(d.finding.id, d.finding.fixed_in) for d in result.verdict.decisions] == [
        (VULN_ID, "1.1")
    ]


def test_steering_judges_versions_by_safe_pips_reading_of_the_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip says nothing is yanked and gives no times; the page bytes say 1.0 is yanked
    (valueless ``data-yanked``) and 1.1 has no upload time on a remote index (too new);
    1.2's page entry is dated long ago. Steering keeps 1.0 and 1.1 from pip."""
    from safe_pip.installers.pip.guard_service import GuardService
    from support.scenario import build_advisory_db

    monkeypatch.setenv("SAFE_PIP_CACHE_DIR", str(tmp_path))
    build_advisory_db({"SAFE_PIP_CACHE_DIR": str(tmp_path)})
    index = "https://private.invalid/simple/"
    files = [
        {"filename": "demo-1.0-py3-none-any.whl", "url": "/f/1", "hashes": {}, "yanked": True},
        {"filename": "demo-1.1-py3-none-any.whl", "url": "/f/2", "hashes": {}},
        {
            "filename": "demo-1.2-py3-none-any.whl",
            "url": "/f/3",
            "hashes": {},
            "upload-time": "2024-01-02T03:04:05Z",
        },
    ]
    body = '{"meta": {"api-version": "1.1"}, "files": ' + json.dumps(files) + "}"
    page = {
        "url": index + "demo/",
        "page_url": index + "demo/",
        "content_type": "application/vnd.pypi.simple.v1+json",
        "body": body,
    }
    service = GuardService(Policy(yanked=Action.BLOCK), print_reports=False, now=NOW)
    service.preload()
    try:
        pips_reading = [[version, False, None, None] for version in ("1.0", "1.1", "1.2")]
        answer = service.handle(
            {
                "op": "candidates",
                "name": "demo",
                "candidates": pips_reading,
                "sources": {"index_urls": [index], "find_links": []},
                "pages": [page],
            }
        )
    finally:
        service.close()
    assert answer["remove"] == [0, 1]


def test_a_find_links_page_pip_read_offers_its_files_of_the_project() -> None:
    from safe_pip.installers.pip.page_facts import PipPages

    links = "https://links.invalid/wheels.html"
    body = (
        '<a href="demo-1.0-py3-none-any.whl#sha256=' + "cd" * 32 + '">demo</a>'
        '<a href="other-2.0.tar.gz">other</a>'
    )
    pages = PipPages()
    page = {"url": links, "page_url": links, "content_type": "text/html", "body": body}
    pages.take({"sources": {"index_urls": [], "find_links": [links]}, "pages": [page]})
    facts = pages.project("demo")
    assert facts is not None
    assert [(f.filename, f.url, f.sha256, f.index_url) for f in facts.files] == [
        (
            "demo-1.0-py3-none-any.whl",
            "https://links.invalid/demo-1.0-py3-none-any.whl",
            "cd" * 32,
            links,
        )
    ]


def test_a_page_pip_read_again_unchanged_is_not_parsed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page cache keeps the reading of the bytes (by sha256): a page of 20,000 files
    pip reads again on the next run is not parsed again (the bytes still decide: a yank
    changes them)."""
    from safe_pip.index import client
    from safe_pip.installers.pip.page_facts import PipPages

    index = "https://big.invalid/simple/"
    html = '<a href="/f/demo-1.0-py3-none-any.whl#sha256=' + "ab" * 32 + '">d</a>'

    def facts_of(body: str) -> list[tuple[str, bool]]:
        pages = PipPages()
        page = {"url": index + "demo/", "page_url": index + "demo/", "content_type": "text/html"}
        pages.take({"sources": {"index_urls": [index], "find_links": []}})
        pages.take({"pages": [{**page, "body": body}]})
        facts = pages.project("demo")
        pages.close()
        assert facts is not None
        return [(f.filename, f.yanked) for f in facts.files]

    assert facts_of(html) == [("demo-1.0-py3-none-any.whl", False)]
    real_parse = client.parse_page
    parsed: list[str] = []

    def counting_parse(*args: object, **kwargs: object) -> object:
        parsed.append("x")
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "parse_page", counting_parse)
    assert facts_of(html) == [("demo-1.0-py3-none-any.whl", False)]
    assert parsed == []
    yanked = html.replace('">d', '" data-yanked>d')
    assert facts_of(yanked) == [("demo-1.0-py3-none-any.whl", True)]
    assert parsed == ["x"]


def test_a_mid_run_build_dependency_line_does_not_read_like_the_verdict() -> None:
    """pip checks build dependencies while it prepares; their clean summary used to read
    "3 packages checked, no problems found." before the install itself was checked."""
    from safe_pip.models import PlanItem, Verdict
    from safe_pip.pipeline.report import verdict_line
    from safe_pip.pipeline.report_options import ReportOptions

    verdict = Verdict(plan=[PlanItem(name="setuptools", version="80.0")])
    line = verdict_line(verdict, ReportOptions(intermediate="build dependencies"))
    assert (
        line
        == "safe-pip: build dependencies: 1 package checked, no problems found; checking goes on."
    )
    assert (
        verdict_line(verdict, ReportOptions()) == "safe-pip: 1 package checked, no problems found."
    )


def test_a_checker_that_answers_with_an_error_is_no_reason_to_delete_the_hook(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from safe_pip.hook.runtime import checker, pip_patch

    state = pip_patch._RunState(options=None)
    with pytest.raises(pip_patch.HookStop):
        pip_patch._checker_unavailable(state, checker.CheckerError("could not read it"))
    assert "delete" not in capsys.readouterr().err
    with pytest.raises(pip_patch.HookStop):
        pip_patch._checker_unavailable(state, checker.CheckerUnavailable("safe-pip is gone"))
    assert "delete" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("directory", "expected"),
    [
        ("Foo_Bar-1.0.dist-info", ("foo-bar", "1.0")),
        ("zope.interface-6.1.dist-info", ("zope-interface", "6.1")),
        ("legacy-2.0-py3.11.egg-info", ("legacy", "2.0")),
        ("bare.egg-info", ("bare", None)),
    ],
)
def test_the_backstop_reads_name_and_version_off_metadata_directories(
    directory: str, expected: tuple[str, str | None]
) -> None:
    from safe_pip.hook.runtime.installed import name_and_version

    assert name_and_version(directory) == expected


def test_the_backstop_names_what_was_installed_or_rewritten(tmp_path: Path) -> None:
    import os

    from safe_pip.hook.runtime.installed import installed_since, snapshot

    kept = tmp_path / "kept-1.0.dist-info"
    rewritten = tmp_path / "rewritten-1.0.dist-info"
    for directory in (kept, rewritten):
        directory.mkdir()
        (directory / "RECORD").write_text("")
    before = snapshot([str(tmp_path)])
    os.utime(rewritten / "RECORD", ns=(1, 1))
    (tmp_path / "new-2.0.dist-info").mkdir()
    assert installed_since(before, [str(tmp_path)]) == [("new", "2.0"), ("rewritten", "1.0")]


@pytest.mark.parametrize(
    ("raised", "exit_code"),
    [
        (OverflowError("date value out of range"), 3),
        (IndexError("list index out of range"), 3),
        (UsageError("policy: min-release-age must be a duration"), 2),
    ],
)
def test_an_unexpected_error_while_answering_stops_pip_with_one_line(
    raised: Exception, exit_code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: only KeyError/TypeError/ValueError were caught; anything else (an OverflowError
    from a hostile upload time) escaped the conversation thread as a traceback."""
    from safe_pip.installers.pip.guard_service import GuardService

    def fail(request: object) -> dict[str, object]:
        raise raised

    service = GuardService(Policy(), print_reports=False, now=NOW)
    monkeypatch.setattr(service, "_candidates", fail)
    monkeypatch.setattr(service, "_ready", lambda: True)  # no database needed to get there
    service.preload()
    try:
        answer = service.handle({"op": "candidates", "name": "demo", "candidates": []})
    finally:
        service.close()
    assert answer["exit_code"] == exit_code
    assert answer["stderr"].count("\n") == 1 and str(raised) in answer["stderr"]
    assert service.outcome.stop_code == exit_code
