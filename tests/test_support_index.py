"""The test infrastructure is real: real pip installs from the local index, wheels are valid,
content negotiation follows PEP 691, and venv copies are independent of their templates."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import subprocess
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.index_server import HTML_V1, JSON_V1, TEXT_HTML, LocalIndex, negotiate
from support.isolation import describe, run
from support.venvs import BUNDLED, KINDS, NEWEST, VenvTemplates, venv_site_packages
from support.wheels import build_wheel, wheel_filename

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)


def pip(python: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run([python, "-m", "pip", *args], env)


def dry_run(
    python: Path, env: dict[str, str], index: LocalIndex, *requirements: str
) -> tuple[dict[str, Any], str]:
    """pip's ``install --dry-run --report -`` against ``index``: (report, stderr)."""
    completed = pip(
        python,
        env,
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--report",
        "-",
        "--index-url",
        index.url,
        *requirements,
    )
    assert completed.returncode == 0, describe(completed)
    report: dict[str, Any] = json.loads(completed.stdout)
    return report, completed.stderr


def planned(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Report install items by lower-cased project name."""
    items = report["install"]
    assert isinstance(items, list)
    return {item["metadata"]["name"].lower(): item for item in items}


def fetch(url: str, accept: str | None) -> tuple[str, bytes]:
    request = urllib.request.Request(url, headers={} if accept is None else {"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


# ---------------------------------------------------------------- wheels


def test_build_wheel_is_deterministic_and_salt_changes_bytes(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "a", "Demo.Pkg", "1.0", ["helper>=1"]).read_bytes()
    second = build_wheel(tmp_path / "b", "Demo.Pkg", "1.0", ["helper>=1"]).read_bytes()
    salted = build_wheel(tmp_path / "c", "Demo.Pkg", "1.0", ["helper>=1"], salt="x")

    assert first == second
    assert salted.name == "demo_pkg-1.0-py3-none-any.whl"
    assert salted.read_bytes() != first


def test_build_wheel_has_valid_metadata_and_record(tmp_path: Path) -> None:
    path = build_wheel(
        tmp_path, "Demo.Pkg", "1.0", ["helper>=1", "other; extra == 'x'"], files={"x.txt": "hi"}
    )
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        metadata = archive.read("demo_pkg-1.0.dist-info/METADATA").decode()
        wheel = archive.read("demo_pkg-1.0.dist-info/WHEEL").decode()
        record = archive.read("demo_pkg-1.0.dist-info/RECORD").decode().splitlines()
        module = archive.read("demo_pkg/__init__.py").decode()
        contents = {name: archive.read(name) for name in names}

    assert names[-1] == "demo_pkg-1.0.dist-info/RECORD"
    assert "Name: Demo.Pkg\n" in metadata and "Version: 1.0\n" in metadata
    assert "Requires-Dist: helper>=1\n" in metadata
    assert "Requires-Dist: other; extra == 'x'\n" in metadata
    assert "Tag: py3-none-any\n" in wheel and "Root-Is-Purelib: true\n" in wheel
    assert module == '__version__ = "1.0"\n'
    assert contents["x.txt"] == b"hi"
    assert sorted(line.split(",")[0] for line in record) == sorted(names)
    for line in record:
        member, digest, size = line.split(",")
        if member.endswith("RECORD"):
            assert (digest, size) == ("", "")
            continue
        expected = base64.urlsafe_b64encode(hashlib.sha256(contents[member]).digest())
        assert digest == "sha256=" + expected.rstrip(b"=").decode()
        assert int(size) == len(contents[member])


# ---------------------------------------------------------------- content negotiation


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, TEXT_HTML),
        ("*/*", TEXT_HTML),
        (PIP_ACCEPT, JSON_V1),
        ("text/html", TEXT_HTML),
        (f"{JSON_V1}; q=0.2, text/html", TEXT_HTML),
        (f"text/html; q=0.5, {JSON_V1}", JSON_V1),
        (f"{HTML_V1}, {JSON_V1}", HTML_V1),
        ("application/vnd.pypi.simple.latest+json", JSON_V1),
        ("application/vnd.pypi.simple.latest+html", HTML_V1),
        ("application/*", HTML_V1),
        (f"{JSON_V1}; q=0, text/html; q=0", None),
        ("application/json", None),
    ],
)
def test_negotiate_honours_q_values(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


@pytest.mark.integration
def test_json_project_page(local_index: LocalIndex) -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    old = local_index.add("Demo_Pkg", "1.0", upload_time=moment, requires_python=">=3.8")
    local_index.add("demo-pkg", "2.0", yanked="broken build", metadata=True)
    local_index.add("demo-pkg", "2.1", yanked=True)

    content_type, body = fetch(local_index.project_url("demo-pkg"), PIP_ACCEPT)
    page = json.loads(body)

    assert content_type == JSON_V1
    assert page["meta"] == {"api-version": "1.1"}
    assert page["name"] == "demo-pkg"
    assert page["versions"] == ["1.0", "2.0", "2.1"]
    first, second, third = page["files"]
    assert first == {
        "filename": "demo_pkg-1.0-py3-none-any.whl",
        "url": local_index.files_url + "demo_pkg-1.0-py3-none-any.whl",
        "hashes": {"sha256": old.sha256},
        "requires-python": ">=3.8",
        "yanked": False,
        "size": len(old.content),
        "upload-time": "2024-05-06T07:08:09.000000Z",
    }  # no metadata: the keys are absent (pip 23.0.x cannot read an explicit false)
    assert second["yanked"] == "broken build"
    assert second["core-metadata"] == second["dist-info-metadata"]
    assert re.fullmatch(r"[0-9a-f]{64}", second["core-metadata"]["sha256"])
    assert third["yanked"] is True


@pytest.mark.integration
def test_html_project_page_with_httpx(local_index: LocalIndex) -> None:
    hosted = local_index.add("demo-pkg", "1.0", requires_python=">=3.8", metadata=True)
    local_index.add("demo-pkg", "2.0", yanked="bad <release>")
    local_index.add("demo-pkg", "2.1", yanked=True)

    response = httpx.get(local_index.project_url("demo-pkg"), headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["Content-Type"] == TEXT_HTML
    page = response.text
    assert '<meta name="pypi:repository-version" content="1.1">' in page
    anchors = re.findall(r"<a ([^>]*)>([^<]*)</a>", page)
    assert [text for _, text in anchors] == [
        "demo_pkg-1.0-py3-none-any.whl",
        "demo_pkg-2.0-py3-none-any.whl",
        "demo_pkg-2.1-py3-none-any.whl",
    ]
    first, second, third = (attributes for attributes, _ in anchors)
    assert f'href="../../files/{hosted.filename}#sha256={hosted.sha256}"' in first
    assert 'data-requires-python="&gt;=3.8"' in first
    assert f'data-core-metadata="sha256={hosted.metadata_sha256}"' in first
    assert f'data-dist-info-metadata="sha256={hosted.metadata_sha256}"' in first
    assert "data-yanked" not in first
    assert 'data-yanked="bad &lt;release&gt;"' in second
    assert 'data-yanked=""' in third
    href = re.search(r'href="([^"#]*)', first)
    assert href is not None
    file_response = httpx.get(httpx.URL(local_index.project_url("demo-pkg")).join(href[1]))
    assert file_response.content == hosted.content


@pytest.mark.integration
def test_root_listing_in_both_formats(local_index: LocalIndex) -> None:
    local_index.add("Zeta_Pkg", "1.0")
    local_index.add("alpha", "1.0")

    json_type, json_body = fetch(local_index.url, JSON_V1)
    html_type, html_body = fetch(local_index.url, "text/html")

    assert json_type == JSON_V1
    assert json.loads(json_body) == {
        "meta": {"api-version": "1.1"},
        "projects": [{"name": "alpha"}, {"name": "Zeta_Pkg"}],
    }
    assert html_type == TEXT_HTML
    assert re.findall(r'href="([^"]*)"', html_body.decode()) == ["alpha/", "zeta-pkg/"]


@pytest.mark.integration
def test_redirects_unknown_and_unacceptable(local_index: LocalIndex) -> None:
    local_index.add("demo-pkg", "1.0")

    moved = httpx.get(local_index.url + "Demo_Pkg/", headers={"Accept": JSON_V1})
    no_slash = httpx.get(local_index.url + "demo-pkg", headers={"Accept": JSON_V1})
    with urllib.request.urlopen(local_index.url + "DEMO.pkg/", timeout=10) as followed:
        final_url = followed.geturl()
    unknown = httpx.get(local_index.project_url("missing"))
    unacceptable = httpx.get(local_index.project_url("demo-pkg"), headers={"Accept": "a/b"})

    assert moved.status_code == no_slash.status_code == 301
    assert moved.headers["Location"] == no_slash.headers["Location"]
    assert moved.headers["Location"] == local_index.project_url("demo-pkg")
    assert final_url == local_index.project_url("demo-pkg")
    assert unknown.status_code == 404
    assert unacceptable.status_code == 406
    assert ("/simple/Demo_Pkg/", 301) in [(r.path, r.status) for r in local_index.request_log]


@pytest.mark.integration
def test_metadata_file_is_the_wheel_metadata(local_index: LocalIndex) -> None:
    hosted = local_index.add("demo", "1.0", ["helper>=1"], metadata=True)
    plain = local_index.add("demo", "1.1")

    with zipfile.ZipFile(io.BytesIO(hosted.content)) as archive:
        inside = archive.read("demo-1.0.dist-info/METADATA")
    served = httpx.get(hosted.metadata_url)

    assert served.content == inside
    assert hashlib.sha256(served.content).hexdigest() == hosted.metadata_sha256
    assert httpx.get(plain.metadata_url).status_code == 404


@pytest.mark.integration
def test_wrong_hash_and_replaced_files(local_index: LocalIndex) -> None:
    wrong = local_index.add("demo", "1.0", publish_wrong_hash=True)
    original = local_index.add("demo", "2.0")
    new_bytes = build_wheel(local_index.root / "other", "demo", "2.0", salt="v2").read_bytes()

    replaced = local_index.replace_file(original.filename, new_bytes)
    swapped = local_index.replace_file(wrong.filename, new_bytes, keep_published_hash=True)
    page = json.loads(fetch(local_index.project_url("demo"), JSON_V1)[1])
    published = {entry["filename"]: entry["hashes"]["sha256"] for entry in page["files"]}

    assert wrong.published_sha256 != wrong.sha256 == hashlib.sha256(wrong.content).hexdigest()
    assert replaced.sha256 == replaced.published_sha256 == hashlib.sha256(new_bytes).hexdigest()
    assert replaced.sha256 != original.sha256
    assert swapped.published_sha256 == wrong.published_sha256
    assert published == {wrong.filename: wrong.published_sha256, original.filename: replaced.sha256}
    assert httpx.get(original.url).content == new_bytes
    with pytest.raises(ValueError, match="already published"):
        local_index.add("demo", "2.0")


@pytest.mark.integration
def test_request_log_failure_mode_and_unreachable(local_index: LocalIndex) -> None:
    hosted = local_index.add("demo", "1.0")
    httpx.get(local_index.project_url("demo"))
    httpx.head(hosted.url)
    local_index.fail_simple_api_with(503)
    failing = httpx.get(local_index.project_url("demo"))
    local_index.fail_simple_api_with(None)

    assert local_index.requests == ["/simple/demo/", f"/files/{hosted.filename}", "/simple/demo/"]
    assert [entry.method for entry in local_index.request_log] == ["GET", "HEAD", "GET"]
    assert failing.status_code == 503
    assert httpx.get(local_index.project_url("demo")).status_code == 200

    local_index.make_unreachable()

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(local_index.url, timeout=5)
    with pytest.raises(httpx.ConnectError):
        httpx.get(local_index.url)


@pytest.mark.integration
def test_html_only_index_ignores_accept(tmp_path: Path) -> None:
    with LocalIndex(tmp_path / "index", serve_json=False) as index:
        index.add("demo", "1.0")
        content_type, body = fetch(index.project_url("demo"), JSON_V1)

    assert content_type == TEXT_HTML
    assert b"demo-1.0-py3-none-any.whl" in body


# ---------------------------------------------------------------- real pip against the index


@pytest.mark.integration
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("serve_json", [True, False], ids=["json", "html"])
def test_pip_installs_with_dependency(
    tmp_path: Path,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    kind: str,
    serve_json: bool,
) -> None:
    python = pip_venv(kind)
    with LocalIndex(tmp_path / "index", serve_json=serve_json) as index:
        index.add("Demo.Pkg", "1.0", ["helper>=1.1"])
        index.add("helper", "1.0")
        index.add("helper", "1.2")
        completed = pip(python, isolated_env, "install", "--index-url", index.url, "demo-pkg")
        log = index.request_log

    assert completed.returncode == 0, describe(completed)
    imported = run(
        [python, "-c", "import demo_pkg, helper; print(demo_pkg.__version__, helper.__version__)"],
        isolated_env,
        check=True,
    )
    assert imported.stdout.split() == ["1.0", "1.2"]
    pages = {entry.path: entry.content_type for entry in log if entry.path.startswith("/simple/")}
    expected_type = JSON_V1 if serve_json else TEXT_HTML
    assert pages == {"/simple/demo-pkg/": expected_type, "/simple/helper/": expected_type}
    assert "/files/helper-1.2-py3-none-any.whl" in [entry.path for entry in log]


@pytest.mark.integration
@pytest.mark.parametrize("kind", KINDS)
def test_pip_skips_yanked_unless_pinned(
    local_index: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    kind: str,
) -> None:
    python = pip_venv(kind)
    local_index.add("demo", "1.0")
    local_index.add("demo", "2.0", yanked="security issue")

    unpinned, unpinned_stderr = dry_run(python, isolated_env, local_index, "demo")
    pinned, pinned_stderr = dry_run(python, isolated_env, local_index, "demo==2.0")

    assert planned(unpinned)["demo"]["metadata"]["version"] == "1.0"
    assert "yanked" not in unpinned_stderr
    assert planned(pinned)["demo"]["metadata"]["version"] == "2.0"
    assert "Reason for being yanked: security issue" in pinned_stderr
    if kind == NEWEST:  # the report's is_yanked field is newer than the bundled pip
        assert planned(unpinned)["demo"]["is_yanked"] is False
        assert planned(pinned)["demo"]["is_yanked"] is True


@pytest.mark.integration
@pytest.mark.parametrize("kind", KINDS)
def test_pip_rejects_a_file_that_does_not_match_the_published_hash(
    local_index: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    kind: str,
) -> None:
    python = pip_venv(kind)
    hosted = local_index.add("demo", "1.0", publish_wrong_hash=True)

    completed = pip(python, isolated_env, "install", "--index-url", local_index.url, "demo")

    assert completed.returncode != 0
    assert "DO NOT MATCH THE HASHES" in completed.stderr, describe(completed)
    assert hosted.published_sha256 in completed.stderr
    assert hosted.sha256 in completed.stderr
    assert "demo" not in pip(python, isolated_env, "list", "--format=freeze").stdout


@pytest.mark.integration
@pytest.mark.parametrize("kind", KINDS)
def test_dry_run_report_points_at_the_local_index(
    local_index: LocalIndex,
    pip_venv: Callable[[str], Path],
    isolated_env: dict[str, str],
    kind: str,
) -> None:
    python = pip_venv(kind)
    demo = local_index.add("demo", "1.0", ["helper"])
    helper = local_index.add("helper", "3.0", metadata=True)

    items = planned(dry_run(python, isolated_env, local_index, "demo")[0])

    for hosted in (demo, helper):
        info = items[hosted.name]["download_info"]
        assert info["url"] == hosted.url
        assert info["url"].startswith("http://127.0.0.1:")
        assert info["archive_info"]["hashes"] == {"sha256": hosted.published_sha256}
        assert info["archive_info"]["hash"] == f"sha256={hosted.published_sha256}"


@pytest.mark.integration
def test_newest_pip_dry_run_takes_hash_from_index_without_downloading(
    local_index: LocalIndex, newest_pip_venv: Path, isolated_env: dict[str, str]
) -> None:
    """With PEP 658 metadata a dry run never fetches the wheel: its hash is the index's claim."""
    hosted = local_index.add("demo", "1.0", publish_wrong_hash=True, metadata=True)

    items = planned(dry_run(newest_pip_venv, isolated_env, local_index, "demo")[0])

    assert items["demo"]["download_info"]["archive_info"]["hashes"] == {
        "sha256": hosted.published_sha256
    }
    assert f"/files/{hosted.filename}.metadata" in local_index.requests
    assert f"/files/{hosted.filename}" not in local_index.requests


# ---------------------------------------------------------------- isolation and venvs


@pytest.mark.integration
def test_isolated_env_hides_machine_pip_config(
    target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    leaked = [key for key in isolated_env if key.startswith("UV_") and key != "UV_NO_CONFIG"]
    assert sorted(leaked) == ["UV_CACHE_DIR", "UV_PYTHON_DOWNLOADS"]
    assert isolated_env["PIP_CONFIG_FILE"] == "/dev/null"
    assert "VIRTUAL_ENV" not in isolated_env and "PYTHONPATH" not in isolated_env
    assert Path(isolated_env["HOME"]).is_dir()
    assert not Path(isolated_env["SAFE_PIP_CONFIG_FILE"]).exists()

    config = pip(target_venv, isolated_env, "config", "list")

    assert config.returncode == 0, describe(config)
    settings = {line.split("=")[0] for line in config.stdout.splitlines()}
    assert settings == {
        ":env:.cache-dir",
        ":env:.config-file",
        ":env:.disable-pip-version-check",
        ":env:.no-input",
    }


@pytest.mark.integration
@pytest.mark.parametrize(("kind", "version_pattern"), [(BUNDLED, r"23\."), (NEWEST, r"2[5-9]\.")])
def test_venv_copies_are_independent_of_their_template(
    venv_templates: VenvTemplates,
    tmp_path: Path,
    isolated_env: dict[str, str],
    kind: str,
    version_pattern: str,
) -> None:
    copy = venv_templates.copy(kind, tmp_path / "copy")
    site_packages = venv_site_packages(copy)

    via_module = run([copy / "bin" / "python", "-m", "pip", "--version"], isolated_env, check=True)
    via_script = run([copy / "bin" / "pip", "--version"], isolated_env, check=True)
    prefix = run([copy / "bin" / "python", "-c", "import sys; print(sys.prefix)"], isolated_env)

    for completed in (via_module, via_script):
        assert f"from {site_packages / 'pip'} " in completed.stdout
        assert re.match(r"pip " + version_pattern, completed.stdout)
    assert prefix.stdout.strip() == str(copy)
    assert str(venv_templates.template(kind)) not in (copy / "bin" / "pip").read_text()


def test_wheel_filename_normalizes_name_and_version() -> None:
    assert wheel_filename("Foo.Bar-baz", "01.0") == "foo_bar_baz-1.0-py3-none-any.whl"
