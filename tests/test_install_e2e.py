"""``safe-pip install`` end to end: real pip, a real index on 127.0.0.1, real venvs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from support.guarded import Guarded, SafePip
from support.index_server import LocalIndex
from support.outcomes import assert_one_line_error, output
from support.scenario import LOW_SEVERITY_ID, MALICIOUS_ID, VULN_ALIAS, VULN_ID, YANK_REASON
from support.tls import HttpsFront, make_certificate, openssl_missing_reason
from support.venvs import BUNDLED, NEWEST
from support.wheels import build_wheel, wheel_bytes

pytestmark = pytest.mark.integration


@pytest.fixture
def no_database(
    local_index: LocalIndex,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
) -> Guarded:
    """An index with one clean package, and no advisory database at all."""
    local_index.add("cleanlib", "1.0")
    return Guarded(local_index, isolated_env, safe_pip, pip_venv)


@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_clean_install_installs_the_plan(kind: str, guarded: Guarded) -> None:
    python = guarded.venv(kind)
    result = guarded.install(python, "cleanlib")
    assert result.returncode == 0, output(result)
    assert "no problems found" in result.stdout
    assert guarded.installed(python) == {"cleanlib": "1.0"}


@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_vulnerable_direct_dependency_is_blocked(kind: str, guarded: Guarded) -> None:
    python = guarded.venv(kind)
    result = guarded.install(python, "vulnlib==1.0")
    assert result.returncode == 1, output(result)
    finding_lines = [
        line for line in result.stdout.splitlines() if line.startswith("BLOCKED  vulnlib==1.0")
    ]
    # PYSEC-2099-1 and GHSA-aaaa-bbbb-cccc are one vulnerability: one line, aliases merged.
    assert len(finding_lines) == 1, result.stdout
    line = finding_lines[0]
    assert "BLOCKED" in line and VULN_ID in line and VULN_ALIAS in line and "1.1" in line
    assert guarded.installed(python) == {}


def test_vulnerable_transitive_dependency_blocks_the_whole_plan(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python, "app")
    assert result.returncode == 1, output(result)
    assert "vulnlib==1.0" in result.stdout and VULN_ID in result.stdout
    assert guarded.installed(python) == {}


def test_malicious_package_blocks_even_with_warn_only(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python, "--warn-only", "evilpkg")
    assert result.returncode == 1, output(result)
    assert MALICIOUS_ID in result.stdout and "malicious" in result.stdout
    assert guarded.installed(python) == {}


def test_warn_only_installs_a_vulnerable_package_with_a_warning(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python, "--warn-only", "vulnlib==1.0")
    assert result.returncode == 0, output(result)
    assert "warning" in result.stdout and VULN_ID in result.stdout
    assert guarded.installed(python) == {"vulnlib": "1.0"}


def test_yanked_pin_warns_and_installs(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python, "oldpkg==1.0")
    assert result.returncode == 0, output(result)
    assert "yanked" in result.stdout and YANK_REASON in result.stdout
    assert guarded.installed(python) == {"oldpkg": "1.0"}


def test_yanked_pin_blocks_when_policy_says_so(guarded: Guarded) -> None:
    python = guarded.venv()
    env = guarded.env_with(SAFE_PIP_YANKED="block")
    result = guarded.install(python, "oldpkg==1.0", env=env)
    assert result.returncode == 1, output(result)
    assert "BLOCKED" in result.stdout and YANK_REASON in result.stdout
    assert guarded.installed(python) == {}


@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_index_hash_that_differs_from_the_served_file_is_blocked(
    kind: str, guarded: Guarded
) -> None:
    python = guarded.venv(kind)
    guarded.index.add("tampered", "1.0", publish_wrong_hash=True, metadata=True)
    result = guarded.install(python, "tampered")
    assert result.returncode == 1, output(result)
    assert "hash" in output(result).lower()
    assert "Traceback" not in output(result)
    assert guarded.installed(python) == {}


def test_user_pinned_hash_mismatch_is_blocked(guarded: Guarded, tmp_path: Path) -> None:
    python = guarded.venv()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("CleanLib[extra]==1.0 --hash=sha256:" + "0" * 64 + "\n")
    result = guarded.install(python, "-r", str(requirements))
    assert result.returncode == 1, output(result)
    (line,) = [line for line in result.stdout.splitlines() if "hash-mismatch" in line]
    assert "BLOCKED" in line and "cleanlib==1.0" in line  # normalized, without the extra
    assert guarded.installed(python) == {}


def test_user_pinned_hash_that_matches_installs(guarded: Guarded, tmp_path: Path) -> None:
    python = guarded.venv()
    sha256 = guarded.index.hosted_files("cleanlib")[0].sha256
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"cleanlib==1.0 --hash=sha256:{sha256}\n")
    result = guarded.install(python, "-r", str(requirements))
    assert result.returncode == 0, output(result)
    assert guarded.installed(python) == {"cleanlib": "1.0"}


def test_changed_artifact_for_a_known_filename_is_blocked(guarded: Guarded) -> None:
    first = guarded.venv()
    assert guarded.install(first, "cleanlib").returncode == 0
    hosted = guarded.index.hosted_files("cleanlib")[0]
    guarded.index.replace_file(hosted.filename, wheel_bytes("cleanlib", "1.0", salt="re-uploaded"))
    second = guarded.venv()
    result = guarded.install(second, "cleanlib")
    assert result.returncode == 1, output(result)
    assert "HASH-CHANGED" in result.stdout
    assert guarded.installed(second) == {}


def test_direct_url_is_unverifiable_and_warned(guarded: Guarded) -> None:
    python = guarded.venv()
    hosted = guarded.index.hosted_files("cleanlib")[0]
    result = guarded.install(python, f"cleanlib @ {hosted.url}")
    assert result.returncode == 0, output(result)
    assert "unverifiable" in result.stdout
    assert guarded.installed(python) == {"cleanlib": "1.0"}


def test_direct_url_blocks_when_unverifiable_is_block(guarded: Guarded) -> None:
    python = guarded.venv()
    hosted = guarded.index.hosted_files("cleanlib")[0]
    env = guarded.env_with(SAFE_PIP_UNVERIFIABLE="block")
    result = guarded.install(python, f"cleanlib @ {hosted.url}", env=env)
    assert result.returncode == 1, output(result)
    assert guarded.installed(python) == {}


def test_ignore_with_reason_by_alias_allows_install(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(
        python,
        "--ignore-vuln",
        f"{VULN_ALIAS}:not reachable here",
        "vulnlib==1.0",
    )
    assert result.returncode == 0, output(result)
    assert "ignored" in result.stdout and "not reachable here" in result.stdout
    assert guarded.installed(python) == {"vulnlib": "1.0"}


def test_ignore_without_reason_is_a_usage_error(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python, "--ignore-vuln", VULN_ID, "vulnlib==1.0")
    assert_one_line_error(result, 2)


def test_expired_ignore_in_pyproject_no_longer_applies(guarded: Guarded, tmp_path: Path) -> None:
    python = guarded.venv()
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        "[tool.safe-pip]\n"
        f'ignore = [{{ id = "{VULN_ID}", reason = "waiting for 1.1", expires = 2020-01-01 }}]\n'
    )
    result = guarded.install(python, "vulnlib==1.0", cwd=project)
    assert result.returncode == 1, output(result)
    assert "expired" in result.stdout
    # The same ignore with a future expiry applies.
    (project / "pyproject.toml").write_text(
        "[tool.safe-pip]\n"
        f'ignore = [{{ id = "{VULN_ID}", reason = "waiting for 1.1", expires = 2999-01-01 }}]\n'
    )
    result = guarded.install(python, "vulnlib==1.0", cwd=project)
    assert result.returncode == 0, output(result)


def test_min_severity_lets_a_low_severity_vulnerability_through_with_a_warning(
    guarded: Guarded,
) -> None:
    python = guarded.venv()
    env = guarded.env_with(SAFE_PIP_MIN_SEVERITY="medium")
    result = guarded.install(python, "lowsev", env=env)
    assert result.returncode == 0, output(result)
    assert LOW_SEVERITY_ID in result.stdout
    blocked = guarded.install(python, "lowsev==1.0", "--force-reinstall")
    assert blocked.returncode == 1, output(blocked)


def test_json_output_is_machine_readable(guarded: Guarded) -> None:
    python = guarded.venv()
    # Without steering, pip picks the vulnerable vulnlib for app, and the gate stops it
    # before its download (issue 15): the report is of what stopped the run.
    env = guarded.env_with(SAFE_PIP_RESOLVE="block")
    result = guarded.install(python, "--format", "json", "app", env=env)
    assert result.returncode == 1, output(result)
    report = json.loads(result.stdout)
    assert report["verdict"] == "blocked"
    assert {p["name"] for p in report["packages"]} == {"vulnlib"}
    # Every item says which index it came from and whether it is yanked (even with a pip
    # whose report has no is_yanked field: the index page says).
    assert {p["index_url"] for p in report["packages"]} == {guarded.index.url}
    assert {p["yanked"] for p in report["packages"]} == {False}
    (finding,) = report["findings"]
    assert finding["id"] == VULN_ID and VULN_ALIAS in finding["aliases"]
    assert finding["action"] == "block" and finding["fixed_in"] == "1.1"


def test_missing_database_cannot_check(no_database: Guarded) -> None:
    python = no_database.venv()
    result = no_database.install(python, "cleanlib")
    assert_one_line_error(result, 3)
    assert "safe-pip db update" in result.stderr
    assert no_database.installed(python) == {}


def test_missing_database_with_fail_open_installs_with_a_warning(no_database: Guarded) -> None:
    python = no_database.venv()
    result = no_database.install(python, "--fail-mode", "open", "cleanlib")
    assert result.returncode == 0, output(result)
    assert "warning" in result.stderr
    assert no_database.installed(python) == {"cleanlib": "1.0"}


def test_corrupt_database_cannot_check(guarded: Guarded) -> None:
    python = guarded.venv()
    db = Path(guarded.env["SAFE_PIP_CACHE_DIR"]) / "advisories.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    result = guarded.install(python, "cleanlib")
    assert_one_line_error(result, 3)
    assert guarded.installed(python) == {}


def test_damaged_name_index_cannot_check(guarded: Guarded) -> None:
    # One B-tree page of the name index damaged, file header intact: lookups found nothing
    # and the malicious package installed with exit 0.
    from support.damage import empty_name_index_page

    python = guarded.venv()
    empty_name_index_page(Path(guarded.env["SAFE_PIP_CACHE_DIR"]) / "advisories.sqlite")
    result = guarded.install(python, "evilpkg")
    line = assert_one_line_error(result, 3)
    assert "safe-pip db update" in line
    assert guarded.installed(python) == {}


def test_unreachable_index_cannot_check(guarded: Guarded) -> None:
    python = guarded.venv()
    guarded.index.make_unreachable()
    result = guarded.install(python, "--retries", "0", "--timeout", "2", "cleanlib")
    line = assert_one_line_error(result, 3)
    assert "unreachable" in line
    assert guarded.installed(python) == {}


def test_unknown_package_is_one_clear_line(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python, "no-such-package-anywhere")
    assert_one_line_error(result, 2)  # the index answered: the name is wrong
    assert "no-such-package-anywhere" in result.stderr


def test_broken_requirements_file_is_a_usage_error(guarded: Guarded, tmp_path: Path) -> None:
    python = guarded.venv()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("cleanlib==1.0\nthis is ((( not a requirement\n")
    result = guarded.install(python, "-r", str(requirements))
    assert_one_line_error(result, 2)


def test_other_pip_commands_pass_through(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.safe_pip("list", "--python", python, "--format", "json")
    assert result.returncode == 0, output(result)
    assert any(entry["name"] == "pip" for entry in json.loads(result.stdout))


def test_find_links_artifacts_are_checked_and_the_missing_index_comparison_is_said(
    guarded: Guarded, tmp_path: Path
) -> None:
    python = guarded.venv()
    links = tmp_path / "links"
    links.mkdir()
    build_wheel(links, "vulnlib", "1.0")
    build_wheel(links, "cleanlib", "1.0")
    blocked = guarded.safe_pip(
        "install", "--python", python, "--no-index", "--find-links", links, "vulnlib"
    )
    assert blocked.returncode == 1, output(blocked)
    assert VULN_ID in blocked.stdout
    allowed = guarded.safe_pip(
        "install", "--python", python, "--no-index", "--find-links", links, "cleanlib"
    )
    assert allowed.returncode == 0, output(allowed)
    assert "index hash could not be compared: cleanlib==1.0" in allowed.stderr
    assert guarded.installed(python) == {"cleanlib": "1.0"}


@pytest.mark.parametrize(
    "leading",
    [["--python", "{python}"], ["-q", "--python", "{python}"], ["--log", "{log}", "--isolated"]],
)
def test_pip_general_options_before_install_do_not_bypass_the_guard(
    leading: list[str], guarded: Guarded, tmp_path: Path
) -> None:
    # `alias pip=safe-pip` then `pip --python X install evilpkg` / `pip -q install evilpkg`:
    # pip's general options may precede its command; the install must still be checked.
    python = guarded.venv()
    values = {"python": str(python), "log": str(tmp_path / "pip.log")}
    args = [part.format(**values) for part in leading]
    if "--python" not in leading:
        args += ["--python", str(python)]
    result = guarded.safe_pip(*args, "install", "--index-url", guarded.index.url, "evilpkg")
    assert result.returncode == 1, output(result)
    assert MALICIOUS_ID in result.stdout
    assert guarded.installed(python) == {}


def test_install_without_requirements_is_a_usage_error(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python)
    line = assert_one_line_error(result, 2)
    assert "at least one requirement" in line


def test_bad_pip_option_is_a_usage_error(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python, "--no-such-pip-option", "cleanlib")
    line = assert_one_line_error(result, 2)
    assert "no such option: --no-such-pip-option" in line
    assert guarded.installed(python) == {}


def test_json_output_when_nothing_is_left_to_install(guarded: Guarded) -> None:
    python = guarded.venv()
    assert guarded.install(python, "cleanlib").returncode == 0
    result = guarded.install(python, "--format", "json", "cleanlib")
    assert result.returncode == 0, output(result)
    report = json.loads(result.stdout)  # stdout is one JSON document in every outcome
    assert (report["verdict"], report["packages"], report["findings"]) == ("allowed", [], [])
    assert "nothing to install" in result.stderr


def test_pip_verbose_setting_does_not_break_the_plan(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python, "cleanlib", env=guarded.env_with(PIP_VERBOSE="1"))
    assert result.returncode == 0, output(result)
    assert guarded.installed(python) == {"cleanlib": "1.0"}


def test_an_unwritable_seen_hash_record_fails_closed_or_warns_when_open(guarded: Guarded) -> None:
    python = guarded.venv()
    (Path(guarded.env["SAFE_PIP_CACHE_DIR"]) / "seen-hashes.sqlite").mkdir()
    closed = guarded.install(python, "cleanlib")
    assert_one_line_error(closed, 3)
    assert guarded.installed(python) == {}
    opened = guarded.install(python, "--fail-mode", "open", "cleanlib")
    assert opened.returncode == 0, output(opened)
    assert "seen-hash" in opened.stderr and "warning" in opened.stderr
    assert guarded.installed(python) == {"cleanlib": "1.0"}


def test_local_projects_are_not_looked_up_on_the_index(guarded: Guarded, tmp_path: Path) -> None:
    python = guarded.venv()
    wheel = build_wheel(tmp_path, "my-private-tool", "1.0")
    result = guarded.install(python, wheel)
    assert result.returncode == 0, output(result)
    assert "unverifiable" in result.stdout
    assert not [path for path in guarded.index.requests if "my-private-tool" in path]
    assert guarded.installed(python) == {"my-private-tool": "1.0"}


@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_an_index_with_its_own_ca_is_checked_with_pips_cert_setting(
    kind: str, guarded: Guarded, tmp_path: Path
) -> None:
    """pip's ``cert`` (a config file's, or ``--cert``) is what safe-pip reads the index with."""
    reason = openssl_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    server = make_certificate(tmp_path / "tls", "server")
    python = guarded.venv(kind)
    # requests (inside pip) would prefer these to pip's cert; the machine may set them.
    env = {
        k: v for k, v in guarded.env.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    }
    with HttpsFront(guarded.index.port, server) as front:
        index_url = front.base_url + "simple/"
        if kind == BUNDLED:
            config = tmp_path / "pip.conf"
            config.write_text(f"[global]\ncert = {server.cert}\nindex-url = {index_url}\n")
            env["PIP_CONFIG_FILE"] = str(config)
            result = guarded.safe_pip("install", "--python", python, "cleanlib", env=env)
        else:
            cli = ("--index-url", index_url, "--cert", server.cert)
            result = guarded.safe_pip("install", "--python", python, *cli, "cleanlib", env=env)
        assert result.returncode == 0, output(result)
        assert "no problems found" in result.stdout
        # pip read the page through its cert; safe-pip checks what pip read, never refetching
        assert front.requests.count("/simple/cleanlib/") == 1, front.requests
    assert guarded.installed(python) == {"cleanlib": "1.0"}


def test_json_report_of_a_steering_block_names_what_was_kept_from_pip(guarded: Guarded) -> None:
    python = guarded.venv()
    result = guarded.install(python, "--format", "json", "app")
    assert result.returncode == 1, output(result)
    report = json.loads(result.stdout)
    assert report["verdict"] == "blocked"
    assert [(p["name"], p["version"]) for p in report["packages"]] == [("vulnlib", "1.0")]
    (finding,) = report["findings"]
    assert finding["id"] == VULN_ID and finding["action"] == "block"


@pytest.mark.parametrize("kind", [BUNDLED, NEWEST])
def test_a_file_index_is_named_as_the_index_a_file_came_from(
    kind: str, guarded: Guarded, tmp_path: Path
) -> None:
    """pip reads a ``file://`` index's project directory as ``.../name/index.html``: the
    file still comes from that index (its page hash compared, its name in the report), not
    from "no index page safe-pip could read"."""
    (hosted,) = guarded.index.hosted_files("cleanlib")
    files = tmp_path / "mirror" / "files"
    files.mkdir(parents=True)
    (files / hosted.filename).write_bytes(hosted.content)
    page = tmp_path / "mirror" / "simple" / "cleanlib"
    page.mkdir(parents=True)
    link = f"../../files/{hosted.filename}#sha256={hosted.sha256}"
    (page / "index.html").write_text(f'<a href="{link}">{hosted.filename}</a>\n')
    mirror = (tmp_path / "mirror" / "simple").as_uri()
    python = guarded.venv(kind)
    result = guarded.safe_pip(
        "install", "--python", python, "--index-url", mirror, "--format", "json", "cleanlib"
    )
    assert result.returncode == 0, output(result)
    (package,) = json.loads(result.stdout)["packages"]
    assert package["index_url"] == mirror
    assert "could not be compared" not in result.stderr


def test_without_a_venv_the_python3_on_path_is_the_target_and_named_first(
    guarded: Guarded,
) -> None:
    """safe-pip runs from a venv of its own (as installed the README way) and no venv is
    active: the install goes into the python3 on PATH, named on the first line, never into
    safe-pip's own environment; `check --installed` audits the same interpreter."""
    python = guarded.venv()
    env = guarded.env_with(PATH=f"{python.parent}:{guarded.env['PATH']}")

    result = guarded.safe_pip("install", "--index-url", guarded.index.url, "cleanlib", env=env)

    assert result.returncode == 0, output(result)
    first = result.stderr.splitlines()[0]
    assert "no virtualenv is active" in first and str(python.parent / "python3") in first
    assert guarded.installed(python) == {"cleanlib": "1.0"}
    audit = guarded.safe_pip("check", "--installed", "--format", "json", env=env)
    assert json.loads(audit.stdout)["environment"] == str(python.parent.parent)


@pytest.mark.parametrize("where", ["missing-dir/report.json", "."])
def test_an_unwritable_output_is_a_usage_error_before_anything_runs(
    guarded: Guarded, tmp_path: Path, where: str
) -> None:
    """`--output` into a folder that does not exist, or onto a folder: exit 2 before pip
    runs (was: a thread traceback, "pip failed to install the checked plan", exit 4)."""
    python = guarded.venv()
    result = guarded.install(python, "cleanlib", "--output", tmp_path / where)
    line = assert_one_line_error(result, 2)
    assert line.startswith(f"safe-pip: error: --output {tmp_path / where}: ")
    assert "Traceback" not in result.stderr and guarded.installed(python) == {}


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_a_run_that_cannot_check_still_gives_one_document(
    no_database: Guarded, tmp_path: Path, output_format: str
) -> None:
    """--format json (or sarif): one document on stdout in every outcome, the error object
    included; --output gets the same document."""
    python = no_database.venv()
    report = tmp_path / "report.out"
    result = no_database.install(python, "cleanlib", "--format", output_format)
    assert result.returncode == 3, output(result)
    document = json.loads(result.stdout)
    with_file = no_database.install(
        python, "cleanlib", "--format", output_format, "--output", report
    )
    assert with_file.returncode == 3, output(with_file)
    assert json.loads(report.read_text()) == document
    if output_format == "json":
        assert document["verdict"] == "error" and document["error"]["exit_code"] == 3
        assert "advisory database" in document["error"]["message"]
    else:
        [invocation] = document["runs"][0]["invocations"]
        assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 3


def test_a_missing_requirements_file_is_a_usage_error_worded_as_check_words_it(
    guarded: Guarded, tmp_path: Path
) -> None:
    line = assert_one_line_error(guarded.install(guarded.venv(), "-r", tmp_path / "nope.txt"), 2)
    assert line == f"safe-pip: error: requirements file not found: {tmp_path / 'nope.txt'}"


def test_an_environment_without_pip_gets_one_line_with_the_ways_forward(
    guarded: Guarded, tmp_path: Path
) -> None:
    """A venv made by `uv venv` has no pip: was a raw traceback and exit 3."""
    from support.uv_helpers import UV, uv

    if not UV.is_file():
        pytest.skip("uv is not installed")
    venv = tmp_path / "uv-made"
    uv(["venv", "--quiet", venv], guarded.env)
    result = guarded.install(venv / "bin" / "python", "cleanlib")
    line = assert_one_line_error(result, 2)
    assert f"{venv} has no pip" in line
    assert f"safe-uv pip install --python {venv} ..." in line and "-m ensurepip" in line


def test_stale_advisory_data_is_said_once_with_the_refresh_command(guarded: Guarded) -> None:
    """The advisory data's age (newest record 2026-02-01, built today): one warning."""
    python = guarded.venv()
    stale = guarded.install(python, "cleanlib", env=guarded.env_with(SAFE_PIP_MAX_DB_AGE_DAYS="30"))
    assert stale.returncode == 0, output(stale)
    assert stale.stderr.count("advisory data is ") == 1, output(stale)
    assert "refresh it with `safe-pip db update`" in stale.stderr


def test_a_fail_open_skip_is_said_once(no_database: Guarded) -> None:
    """fail-mode open and no database: the skipped check is one warning (it was two)."""
    python = no_database.venv()
    result = no_database.install(
        python, "cleanlib", env=no_database.env_with(SAFE_PIP_FAIL_MODE="open")
    )
    assert result.returncode == 0, output(result)
    assert result.stderr.count("check skipped") == 1, output(result)


def test_quiet_drops_the_all_clear_and_keeps_what_blocks(guarded: Guarded) -> None:
    """-q as pip means it: warnings and errors only (the verdict line came anyway)."""
    python = guarded.venv()
    clean = guarded.install(python, "-q", "cleanlib")
    assert clean.returncode == 0, output(clean)
    assert "no problems found" not in clean.stdout + clean.stderr
    blocked = guarded.install(python, "-qq", "vulnlib==1.0")
    assert blocked.returncode == 1, output(blocked)
    assert "BLOCKED  vulnlib==1.0" in blocked.stdout and "safe-pip: blocked" in blocked.stdout
