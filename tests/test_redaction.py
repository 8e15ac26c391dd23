"""Secrets never leave: credentials in index URLs are redacted in every output safe-pip has.

Issue 8, reproduction 1: ``packages[].index_url`` of ``install --format json`` and ``url`` of
``check --format json`` printed the password of ``-i http://alice:PW@...``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.models import Action, Category, Decision, Finding, PlanItem, Verdict
from safe_pip.pipeline.report import render_json, render_text
from safe_pip.redaction import index_identity, redact_document, redact_text, redact_url
from support.index_server import LocalIndex
from support.outcomes import output

SafePip = Callable[..., subprocess.CompletedProcess[str]]
PASSWORD = "s3cr3t-PW"
TOKEN = "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdo"


def with_credentials(url: str, userinfo: str) -> str:
    return url.replace("http://", f"http://{userinfo}@", 1)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://alice:pw@host.invalid/simple/", "https://alice:****@host.invalid/simple/"),
        (f"https://__token__:{TOKEN}@host.invalid/", "https://__token__:****@host.invalid/"),
        ("https://ghp_abcdef@host.invalid/simple", "https://****@host.invalid/simple"),
        ("https://host.invalid/simple/", "https://host.invalid/simple/"),
        ("https://a:b:c@host.invalid:8080/x?y=z", "https://a:****@host.invalid:8080/x?y=z"),
    ],
)
def test_redact_url_masks_passwords_and_lone_tokens(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_masks_every_url_in_a_message() -> None:
    text = f"cannot read https://u:{PASSWORD}@a.invalid/x and http://{TOKEN}@b.invalid/y (e@mail)"
    redacted = redact_text(text)
    assert PASSWORD not in redacted and TOKEN not in redacted
    assert "https://u:****@a.invalid/x" in redacted and "(e@mail)" in redacted


AT_PASSWORD_URL = "https://alice:p@ss@private.example/simple/"


def test_a_password_with_a_raw_at_sign_is_masked_whole_in_every_form() -> None:
    """pip splits user info from the host at the *last* '@', so ``p@ss`` is the password."""
    masked = "https://alice:****@private.example/simple/"
    assert redact_url(AT_PASSWORD_URL) == masked
    assert redact_text(f"cannot read {AT_PASSWORD_URL}: 401") == f"cannot read {masked}: 401"
    assert redact_document({"index": [AT_PASSWORD_URL]}) == {"index": [masked]}
    assert index_identity(AT_PASSWORD_URL) == "https://private.example/simple"


def test_a_token_with_a_raw_at_sign_is_masked_whole() -> None:
    url = "https://tok@en@private.example/"
    assert redact_url(url) == redact_text(url) == "https://****@private.example/"
    assert index_identity(url) == "https://private.example"


def test_an_at_sign_after_the_host_is_no_user_info() -> None:
    text = "https://private.example/simple/?who=a@b and https://private.example#x@y (e@mail)"
    assert redact_text(text) == text
    assert redact_url("https://private.example/a@b") == "https://private.example/a@b"


@pytest.mark.parametrize(
    "url",
    ["https://alice:s3cr3t@[::1/simple/", "https://s3cr3t@[private.example/simple/"],
)
def test_a_url_python_cannot_split_is_still_redacted(url: str) -> None:
    """``urlsplit`` raises ValueError for a bad IPv6 host: the text rule still masks it."""
    assert "s3cr3t" not in redact_url(url)
    assert "****@[" in redact_url(url)
    assert "s3cr3t" not in index_identity(url) and "@" not in index_identity(url)


def test_redact_document_walks_nested_values() -> None:
    document = {"a": [f"http://u:{PASSWORD}@h/"], "b": {"c": f"git+https://{TOKEN}@h/r.git"}}
    assert PASSWORD not in json.dumps(redact_document(document))
    assert TOKEN not in json.dumps(redact_document(document))


def test_reports_in_every_format_redact_index_and_artifact_urls() -> None:
    secret_index = f"https://__token__:{TOKEN}@private.invalid/simple/"
    item = PlanItem(
        name="corp",
        version="1.0",
        url=f"https://__token__:{TOKEN}@private.invalid/files/corp-1.0.whl",
        filename="corp-1.0.whl",
        index_url=secret_index,
    )
    finding = Finding("corp", "1.0", Category.UNVERIFIABLE, "NO-HASH", f"see {secret_index}")
    verdict = Verdict(plan=[item], decisions=[Decision(finding, Action.WARN)])
    for rendered in (render_text(verdict), render_json(verdict)):
        assert TOKEN not in rendered
        assert "__token__:****@private.invalid" in rendered


def write_hashed_requirements(index: LocalIndex, directory: Path, index_url: str) -> Path:
    (hosted,) = index.hosted_files("cleanlib")
    requirements = directory / "requirements.txt"
    requirements.write_text(
        f"--index-url {index_url}\ncleanlib==1.0 --hash=sha256:{hosted.sha256}\n",
        encoding="utf-8",
    )
    return requirements


@pytest.mark.integration
def test_check_json_of_a_requirements_file_does_not_print_its_index_password(
    world: LocalIndex, safe_pip: SafePip, tmp_path: Path
) -> None:
    secret_url = with_credentials(world.url, f"alice:{PASSWORD}")
    requirements = write_hashed_requirements(world, tmp_path, secret_url)
    for output_format in ("json", "text"):
        result = safe_pip("check", "--format", output_format, requirements)
        assert result.returncode == 0, output(result)
        assert PASSWORD not in result.stdout + result.stderr, output(result)
    report = json.loads(safe_pip("check", "--format", "json", requirements).stdout)
    assert report["packages"][0]["index_url"].startswith("http://alice:****@127.0.0.1")


@pytest.mark.integration
def test_install_json_does_not_print_a_token_from_the_index_url(
    world: LocalIndex, safe_pip: SafePip, pip_venv: Callable[[str], Path]
) -> None:
    python = pip_venv("bundled")
    secret_url = with_credentials(world.url, f"__token__:{TOKEN}")
    result = safe_pip(
        "install", "--python", python, "-i", secret_url, "--format", "json", "cleanlib"
    )
    assert result.returncode == 0, output(result)
    assert TOKEN not in result.stdout + result.stderr, output(result)
    (package,) = json.loads(result.stdout)["packages"]
    assert package["index_url"].startswith("http://__token__:****@127.0.0.1")


@pytest.mark.integration
def test_unreachable_index_error_redacts_the_token(safe_pip: SafePip, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"--index-url http://__token__:{TOKEN}@127.0.0.1:9/simple\n"
        f"cleanlib==1.0 --hash=sha256:{'0' * 64}\n",
        encoding="utf-8",
    )
    (tmp_path / "db").mkdir()
    result = safe_pip("check", requirements)
    assert result.returncode == 3, output(result)
    assert TOKEN not in result.stdout + result.stderr, output(result)


@pytest.mark.integration
def test_an_advisory_source_url_is_stored_and_shown_without_its_token(
    local_index: LocalIndex, safe_pip: SafePip, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    import zipfile

    from support.scenario import OSV_LOCAL

    feed = tmp_path / "feed.zip"
    with zipfile.ZipFile(feed, "w") as archive:
        for record in OSV_LOCAL.glob("*.json"):
            archive.write(record, record.name)
    hosted = local_index.add_file("feed", "1.0", "feed.zip", feed.read_bytes())
    secret_url = with_credentials(hosted.url, f"__token__:{TOKEN}")
    updated = safe_pip("db", "update", "--source", secret_url)
    assert updated.returncode == 0, output(updated)
    status = safe_pip("db", "status", "--format", "json")
    text_status = safe_pip("db", "status")
    for result in (updated, status, text_status):
        assert TOKEN not in result.stdout + result.stderr, output(result)
    assert "__token__:****@127.0.0.1" in text_status.stdout
    cache = Path(isolated_env["SAFE_PIP_CACHE_DIR"])
    assert all(TOKEN.encode() not in f.read_bytes() for f in cache.rglob("*") if f.is_file())
