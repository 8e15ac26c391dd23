"""The devpi plugin's decisions and page rewriting, without a server (fast).

The real devpi-server runs in ``test_devpi_server.py``; here the pieces it is built from:
``safe_pip.devpi.guard`` (one verdict per version, the server's policy and database,
reopened when they change, closed when they are missing or stale) and
``safe_pip.devpi.pages`` (devpi's PEP 503 HTML and PEP 691 JSON, read and rewritten).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from safe_pip.advisories.update import update_database
from safe_pip.devpi import guard as guard_module
from safe_pip.devpi import pages
from safe_pip.devpi.guard import ServedFile, ServerGuard, Upstream, stage_of
from safe_pip.errors import CannotCheckError
from safe_pip.models import Action, Category
from support.scenario import MALICIOUS_ID, OSV_LOCAL, VULN_ID

PAGE_URL = "http://devpi.test/acme/dev/+simple/vulnlib/"
NOW = datetime.now(timezone.utc)


def _wheel(name: str, version: str, stage: str = "root/pypi", **extra: object) -> ServedFile:
    return ServedFile(filename=f"{name}-{version}-py3-none-any.whl", stage=stage, **extra)  # type: ignore[arg-type]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "advisories.sqlite"
    update_database(source=str(OSV_LOCAL), db_path=path)
    return path


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text("")
    return path


@pytest.fixture
def server_guard(
    database: Path, policy_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ServerGuard:
    monkeypatch.setattr(guard_module, "RECHECK_SECONDS", 0.0)
    monkeypatch.setenv("SAFE_PIP_CONFIG_FILE", str(tmp_path / "no-user-config.toml"))
    return ServerGuard(
        policy_file=policy_file, database_path=database, start_dir=tmp_path, clock=lambda: NOW
    )


def _blocked(
    guard: ServerGuard, project: str, files: list[ServedFile], **kw: object
) -> dict[str, list[str]]:
    stages = kw.pop("stages", ["root/pypi"])
    verdicts = guard.page_verdicts(project, files, stages=stages, **kw)  # type: ignore[arg-type]
    return {v: [d.finding.id for d in verdict.blockers] for v, verdict in verdicts.items()}


def test_vulnerable_and_malicious_versions_are_blocked_clean_ones_not(
    server_guard: ServerGuard,
) -> None:
    assert _blocked(
        server_guard, "vulnlib", [_wheel("vulnlib", "1.0"), _wheel("vulnlib", "1.1")]
    ) == {"1.0": [VULN_ID]}
    assert _blocked(server_guard, "evilpkg", [_wheel("evilpkg", "0.1")]) == {"0.1": [MALICIOUS_ID]}
    # a file whose name tells no version is still refused when every version is malicious
    legacy = ServedFile(filename="evilpkg.exe", stage="root/pypi")
    assert _blocked(server_guard, "evilpkg", [legacy]) == {"0": [MALICIOUS_ID]}
    # ... and only then: a vulnerability needs a version
    assert _blocked(server_guard, "vulnlib", [ServedFile("vulnlib.exe", "root/pypi")]) == {}


def test_min_severity_and_yanked_follow_the_administrators_policy(
    server_guard: ServerGuard, policy_file: Path
) -> None:
    lowsev = [_wheel("lowsev", "1.0")]
    assert _blocked(server_guard, "lowsev", lowsev) == {"1.0": ["PYSEC-2099-2"]}
    yanked = [_wheel("oldpkg", "1.0", yanked=True, yanked_reason="broken")]
    assert _blocked(server_guard, "oldpkg", yanked) == {}  # yanked = "warn" by default
    policy_file.write_text('min-severity = "high"\nyanked = "block"\n')
    os.utime(policy_file, (1, 1))  # a change the guard notices even within one mtime tick
    assert _blocked(server_guard, "lowsev", lowsev) == {}
    assert _blocked(server_guard, "oldpkg", yanked) == {"1.0": ["YANKED"]}


def test_too_new_and_quarantined_come_from_the_upstream_page(server_guard: ServerGuard) -> None:
    files = [_wheel("cleanlib", "1.0"), _wheel("cleanlib", "2.0")]
    fresh = (NOW - timedelta(hours=1)).isoformat()
    old = (NOW - timedelta(days=30)).isoformat()
    upstream = Upstream(upload_times={files[0].filename: old, files[1].filename: fresh})
    assert _blocked(server_guard, "cleanlib", files, upstream=upstream) == {"2.0": ["TOO-NEW"]}
    quarantined = Upstream(upload_times=upstream.upload_times, status=("quarantined", "spam"))
    blocked = _blocked(server_guard, "cleanlib", files, upstream=quarantined)
    assert blocked == {"1.0": ["PROJECT-QUARANTINED"], "2.0": ["TOO-NEW", "PROJECT-QUARANTINED"]}


def test_a_name_a_private_index_and_the_mirror_both_serve_is_confusion(
    server_guard: ServerGuard, policy_file: Path
) -> None:
    files = [_wheel("acmelib", "1.0", stage="acme/dev"), _wheel("acmelib", "99.0")]
    stages = ["acme/dev", "root/pypi"]
    blocked = _blocked(server_guard, "acmelib", files, stages=stages)
    assert blocked == {"1.0": ["CONFUSION"], "99.0": ["CONFUSION"]}
    # one index alone is no confusion
    assert _blocked(server_guard, "acmelib", files[1:], stages=stages) == {}
    verdicts = server_guard.page_verdicts("acmelib", files, stages=stages)
    assert verdicts["99.0"].depends_on_view
    # index-for binds the name to the private index: the mirror's release is the attack
    policy_file.write_text('[index-for]\nacmelib = "https://devpi.test/acme/dev/+simple/"\n')
    os.utime(policy_file, (2, 2))
    assert _blocked(server_guard, "acmelib", files, stages=stages) == {"99.0": ["CONFUSION"]}


def test_a_record_published_later_takes_effect_without_a_restart(
    server_guard: ServerGuard, database: Path, tmp_path: Path
) -> None:
    files = [_wheel("cleanlib", "1.0")]
    assert _blocked(server_guard, "cleanlib", files) == {}
    before = server_guard.state().generation
    source = tmp_path / "osv"
    shutil.copytree(OSV_LOCAL, source)
    record = {
        "id": "MAL-2099-77",
        "summary": "Malicious code in cleanlib",
        "modified": "2099-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "cleanlib"}, "versions": ["1.0"]}],
    }
    (source / "MAL-2099-77.json").write_text(json.dumps(record))
    update_database(source=str(source), db_path=database)
    assert _blocked(server_guard, "cleanlib", files) == {"1.0": ["MAL-2099-77"]}
    assert server_guard.state().generation > before


def test_closed_without_a_database_open_only_when_policy_says_so(
    server_guard: ServerGuard, database: Path, policy_file: Path
) -> None:
    database.unlink()
    with pytest.raises(CannotCheckError, match="no advisory database"):
        server_guard.state()
    policy_file.write_text('fail-mode = "open"\n')
    os.utime(policy_file, (3, 3))
    state = server_guard.state()
    assert state.database is None and "fail-mode open" in state.notes[0]


def test_stale_malware_data_closes_the_index(
    server_guard: ServerGuard, database: Path, policy_file: Path, tmp_path: Path
) -> None:
    policy_file.write_text('max-malware-age = "1h"\n')
    assert server_guard.state().database is not None  # fetched just now
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    guard_later = ServerGuard(
        policy_file=policy_file, database_path=database, start_dir=tmp_path, clock=lambda: later
    )
    with pytest.raises(CannotCheckError, match="max-malware-age 1h; the index administrator"):
        guard_later.state()


def test_stage_of_reads_stage_names_and_index_urls() -> None:
    assert stage_of("acme/dev") == "acme/dev"
    assert stage_of("https://host/acme/dev/+simple/") == "acme/dev"
    assert stage_of("https://host/prefix/acme/dev/+simple") == "acme/dev"


# ---------------------------------------------------------------- pages

HTML = (
    b'<!DOCTYPE html><html lang="en"><head><title>acme/dev: links for vulnlib</title></head>'
    b"<body><h1>acme/dev: links for vulnlib</h1>\n"
    b'root/pypi <a href="../../../root/pypi/+f/f26/eeb/vulnlib-1.0-py3-none-any.whl#sha256=f26e"'
    b' data-requires-python="&gt;=3.8">vulnlib-1.0-py3-none-any.whl</a><br>\n'
    b'acme/dev <a href="../../+f/371/0a5/vulnlib-1.1-py3-none-any.whl#sha256=3710"'
    b' data-yanked="">vulnlib-1.1-py3-none-any.whl</a><br>\n'
    b"</body></html>"
)


HIDE_10 = {"vulnlib-1.0-py3-none-any.whl": pages.Hide("safe-pip: PYSEC-2099-1 <fix> 1.1")}


def test_html_pages_are_read_with_the_index_holding_each_file() -> None:
    files = pages.read_html(HTML, PAGE_URL)
    assert [(f.filename, f.stage, f.sha256, f.yanked) for f in files] == [
        ("vulnlib-1.0-py3-none-any.whl", "root/pypi", "f26e", False),
        ("vulnlib-1.1-py3-none-any.whl", "acme/dev", "3710", True),
    ]


def test_html_yank_keeps_the_link_with_the_finding_as_reason_and_remove_drops_it() -> None:
    yanked = pages.rewrite_html(HTML, HIDE_10, "yank")
    line = next(x for x in yanked.splitlines() if b"vulnlib-1.0" in x)
    assert b'data-yanked="safe-pip: PYSEC-2099-1 &lt;fix&gt; 1.1"' in line
    assert b'data-requires-python="&gt;=3.8"' in line
    assert pages.read_html(yanked, PAGE_URL)[0].yanked_reason == "safe-pip: PYSEC-2099-1 <fix> 1.1"
    removed = pages.rewrite_html(HTML, HIDE_10, "remove")
    assert b"vulnlib-1.0" not in removed and b"vulnlib-1.1" in removed
    assert removed.startswith(b"<!DOCTYPE html>") and removed.endswith(b"</html>")


def test_the_first_link_after_devpis_form_for_browsers_is_read_too() -> None:
    form = b'<form action="x/refresh" method="post"><input name="refresh" type="submit"></form>'
    note = b"<p><strong>INFO:</strong> no releases from <strong>root/pypi</strong></p>"
    page = HTML.replace(b"\nroot/pypi <a", b"\n" + form + note + b"root/pypi <a", 1)
    assert page != HTML
    assert len(pages.read_html(page, PAGE_URL)) == 2
    rewritten = pages.rewrite_html(page, HIDE_10, "remove")
    assert b"vulnlib-1.0" not in rewritten and form in rewritten


def test_a_file_another_index_holds_is_removed_even_in_yank_mode() -> None:
    hides = {"vulnlib-1.0-py3-none-any.whl": pages.Hide("confusion", remove=True)}
    assert b"vulnlib-1.0" not in pages.rewrite_html(HTML, hides, "yank")


def test_json_pages_are_rewritten_the_same_way() -> None:
    document: dict[str, object] = {
        "meta": {"api-version": "1.0"},
        "name": "vulnlib",
        "files": [
            {
                "filename": "vulnlib-1.0-py3-none-any.whl",
                "url": "../../../root/pypi/+f/f26/eeb/vulnlib-1.0-py3-none-any.whl",
                "hashes": {"sha256": "F26E"},
            },
            {
                "filename": "vulnlib-1.1-py3-none-any.whl",
                "url": "http://devpi.test/acme/dev/+f/371/0a5/vulnlib-1.1-py3-none-any.whl",
                "hashes": {},
            },
        ],
    }
    files = pages.read_json(document, PAGE_URL)
    assert [(f.stage, f.sha256) for f in files] == [("root/pypi", "f26e"), ("acme/dev", None)]
    yanked = json.loads(pages.rewrite_json(document, HIDE_10, "yank"))
    assert yanked["files"][0]["yanked"] == "safe-pip: PYSEC-2099-1 <fix> 1.1"
    assert "yanked" not in yanked["files"][1]
    removed = json.loads(pages.rewrite_json(document, HIDE_10, "remove"))
    assert [f["filename"] for f in removed["files"]] == ["vulnlib-1.1-py3-none-any.whl"]


def test_steering_behind_a_guarded_index_does_not_count_its_yank() -> None:
    from safe_pip.pipeline.candidates import Candidate, candidate_blockers
    from safe_pip.pipeline.policy import Policy

    policy = Policy(yanked=Action.BLOCK)
    hidden = Candidate("demo", "1.0", yanked=True, yanked_reason="safe-pip: demo 1.0: PYSEC-1")
    published = Candidate("demo", "1.0", yanked=True, yanked_reason="broken")
    assert candidate_blockers(hidden, policy, NOW) == []
    assert [d.finding.id for d in candidate_blockers(published, policy, NOW)] == ["YANKED"]


def test_a_refusal_is_a_decision_log_line_with_client_and_index(tmp_path: Path) -> None:
    from safe_pip.devpi.guard import VersionVerdict
    from safe_pip.devpi.refusal_log import log_refusal
    from safe_pip.models import Decision, Finding
    from safe_pip.pipeline.decision_log import read_recent

    finding = Finding("vulnlib", "1.0", Category.VULNERABILITY, VULN_ID, "bad", fixed_in="1.1")
    verdict = VersionVerdict("vulnlib", "1.0", (Decision(finding, Action.BLOCK, None),))
    log = tmp_path / "decisions.jsonl"
    path = "/root/pypi/+f/f26/eeb/vulnlib-1.0-py3-none-any.whl"
    log_refusal(
        log, method="GET", path=path, client="10.0.0.7", index="root/pypi", verdict="blocked",
        verdicts=[verdict], filename="vulnlib-1.0-py3-none-any.whl", error=None, when=NOW,
    )  # fmt: skip
    [line] = read_recent(5, log)
    assert line["command"] == ["devpi", "GET", path]
    assert (line["client"], line["target"], line["exit_code"]) == ("10.0.0.7", "root/pypi", 1)
    assert [d["id"] for d in line["decisions"]] == [VULN_ID]  # type: ignore[attr-defined]


def test_only_a_replica_with_devpis_own_token_bypasses_the_guard() -> None:
    from devpi_server.replica import ReplicaIdentity

    from safe_pip.devpi.tween import REPLICA_UUID_HEADER, _from_a_replica

    class Request:
        def __init__(self, headers: dict[str, str], identity: object) -> None:
            self.headers, self._identity = headers, identity

        @property
        def identity(self) -> object:
            if isinstance(self._identity, Exception):
                raise self._identity
            return self._identity

    header = {REPLICA_UUID_HEADER: "x"}
    assert _from_a_replica(Request(header, ReplicaIdentity()))
    assert not _from_a_replica(Request({}, ReplicaIdentity()))
    assert not _from_a_replica(Request(header, None))  # the header alone proves nothing
    assert not _from_a_replica(Request(header, PermissionError("Authorization malformed.")))


def test_the_plugin_is_a_front_end_nothing_else_imports() -> None:
    """devpi/ calls the pipeline and is never imported by it (or by anything else); it
    imports no installer and no command."""
    import ast

    package = Path(__file__).resolve().parents[1] / "src" / "safe_pip"

    def imports(path: Path) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
        return found

    outside = [
        f"{path.relative_to(package)}"
        for path in package.rglob("*.py")
        if "devpi" not in path.relative_to(package).parts
        and any(name.startswith("safe_pip.devpi") for name in imports(path))
    ]
    assert outside == []
    upward = [
        f"{path.name} imports {name}"
        for path in (package / "devpi").glob("*.py")
        for name in imports(path)
        if name.startswith(("safe_pip.commands", "safe_pip.installers"))
    ]
    assert upward == []
