"""``safe-pip check``: real lock files made by uv, a real index on 127.0.0.1, the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from safe_pip.models import ArtifactSource, PlanItem, plan_to_json
from support.index_server import LocalIndex
from support.outcomes import assert_one_line_error, output
from support.scenario import MALICIOUS_ID, VULN_ID
from support.tls import HttpsFront, make_certificate, openssl_missing_reason
from support.uv_helpers import SKIP_WITHOUT_UV, compile_requirements, lock_project, uv
from support.wheels import wheel_bytes

SafePip = Callable[..., subprocess.CompletedProcess[str]]
MALFORMED = Path(__file__).resolve().parent / "data" / "lockfiles"

pytestmark = [pytest.mark.integration, SKIP_WITHOUT_UV]


def check(safe_pip: SafePip, *args: str | Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return safe_pip("check", *args, **kw)


def findings(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    report = json.loads(result.stdout)
    found: list[dict[str, object]] = report["findings"]
    return found


# ---------------------------------------------------------------- uv.lock


def test_uv_lock_with_a_vulnerable_transitive_dependency_is_blocked(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    lock = lock_project(tmp_path / "project", world, ["app", "cleanlib"], isolated_env)
    result = check(safe_pip, lock)
    assert result.returncode == 1, output(result)
    assert "vulnlib==1.0 via app==1.0" in result.stdout and VULN_ID in result.stdout
    assert "1 of 3 packages" in result.stdout  # app, cleanlib, vulnlib; not the project
    assert "demo-project" not in result.stdout
    report = json.loads(check(safe_pip, lock, "--format", "json").stdout)
    requested = {p["name"]: p["requested"] for p in report["packages"]}
    assert requested == {"app": True, "cleanlib": True, "vulnlib": False}


def test_clean_uv_lock_passes_and_reports_json(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    lock = lock_project(tmp_path / "project", world, ["cleanlib"], isolated_env)
    result = check(safe_pip, lock, "--format", "json")
    assert result.returncode == 0, output(result)
    report = json.loads(result.stdout)
    assert report["verdict"] == "allowed"
    assert [(p["name"], p["version"]) for p in report["packages"]] == [("cleanlib", "1.0")]
    assert report["packages"][0]["index_url"] == world.url


def test_a_lock_hash_that_differs_from_the_index_is_blocked(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    lock = lock_project(tmp_path / "project", world, ["cleanlib"], isolated_env)
    (hosted,) = world.hosted_files("cleanlib")
    text = lock.read_text()
    assert hosted.sha256 in text
    lock.write_text(text.replace(hosted.sha256, "f" * 64))
    result = check(safe_pip, lock, "--format", "json")
    assert result.returncode == 1, output(result)
    (finding,) = findings(result)
    assert finding["id"] == "HASH-INDEX" and finding["action"] == "block"


def test_every_file_of_a_multi_platform_lock_is_verified_once_per_version(
    local_index: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    local_index.add("vulnlib", "1.0")
    windows = local_index.add_file(
        "vulnlib",
        "1.0",
        "vulnlib-1.0-cp39-abi3-win_amd64.whl",
        wheel_bytes("vulnlib", "1.0", salt="windows"),
    )
    lock = lock_project(tmp_path / "project", local_index, ["vulnlib"], isolated_env)
    assert windows.filename in lock.read_text()

    result = check(safe_pip, lock, "--format", "json")
    assert result.returncode == 1, output(result)
    report = json.loads(result.stdout)
    assert [(p["name"], p["version"]) for p in report["packages"]] == [("vulnlib", "1.0")]
    assert [f["id"] for f in report["findings"]] == [VULN_ID]  # once, not once per file

    lock.write_text(lock.read_text().replace(windows.sha256, "e" * 64))
    tampered = check(safe_pip, lock, "--format", "json", "--ignore-vuln", f"{VULN_ID}:test")
    assert tampered.returncode == 1, output(tampered)
    blocking = [f for f in findings(tampered) if f["action"] == "block"]
    assert [f["id"] for f in blocking] == ["HASH-INDEX"]
    assert "e" * 8 in str(blocking[0]["summary"])


# ---------------------------------------------------------------- requirements / pylock / poetry


def test_compiled_requirements_with_hashes_are_checked_as_they_are(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    requirements = compile_requirements(tmp_path, world, ["app"], isolated_env)
    world.clear_log()
    result = check(safe_pip, requirements, "--index-url", world.url, "--format", "json")
    assert result.returncode == 1, output(result)
    report = json.loads(result.stdout)
    files = {p["name"]: p["filename"] for p in report["packages"]}
    assert files == {"app": "app-1.0-py3-none-any.whl", "vulnlib": "vulnlib-1.0-py3-none-any.whl"}
    assert {f["id"] for f in report["findings"]} == {VULN_ID}
    # taken as they are: no pip dry run, so nothing was downloaded from the index
    assert not [path for path in world.requests if path.startswith("/files/")]
    # and each index page was read once, not once to name the pinned files and again to check
    pages = [path for path in world.requests if path.startswith("/simple/")]
    assert sorted(pages) == ["/simple/app/", "/simple/vulnlib/"]


def test_a_pinned_hash_the_index_does_not_publish_is_blocked(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    requirements = compile_requirements(tmp_path, world, ["cleanlib"], isolated_env)
    (hosted,) = world.hosted_files("cleanlib")
    requirements.write_text(requirements.read_text().replace(hosted.sha256, "d" * 64))
    result = check(safe_pip, requirements, "--index-url", world.url, "--format", "json")
    assert result.returncode == 1, output(result)
    # (the file the pin names is on no index page, so its upload time is unknown: a warning)
    (finding,) = [f for f in findings(result) if f["action"] == "block"]
    assert (finding["id"], finding["action"]) == ("HASH-INDEX", "block")
    assert "d" * 8 in str(finding["summary"])


def test_unpinned_requirements_are_resolved_for_the_target_python(
    world: LocalIndex, tmp_path: Path, target_venv: Path, safe_pip: SafePip
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index-url {world.url}\napp\n")
    result = check(safe_pip, requirements, "--python", target_venv, "--format", "json")
    assert result.returncode == 1, output(result)
    report = json.loads(result.stdout)
    assert {(p["name"], p["version"]) for p in report["packages"]} == {
        ("app", "1.0"),
        ("vulnlib", "1.0"),
    }
    assert all(p["sha256"] for p in report["packages"])


def test_exact_pins_are_checked_as_written_also_when_pip_could_not_resolve_them_together(
    world: LocalIndex, tmp_path: Path, target_venv: Path, safe_pip: SafePip
) -> None:
    """``app==1.0`` needs ``vulnlib<1.1``, the file pins ``vulnlib==1.1``: pip cannot resolve
    them together, but each pin names its version, so the audit reports vulnlib's sibling
    pin and every file of each pinned version is compared with the index."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index-url {world.url}\napp==1.0\nvulnlib==1.0\nvulnlib==1.1\n")
    result = check(safe_pip, requirements, "--python", target_venv, "--format", "json")
    assert result.returncode == 1, output(result)
    assert [(f["name"], f["version"], f["id"]) for f in findings(result)] == [
        ("vulnlib", "1.0", VULN_ID)
    ]
    report = json.loads(result.stdout)
    assert all(p["sha256"] for p in report["packages"]), report["packages"]


def test_exact_pins_are_checked_as_written_also_when_pip_finds_no_distribution_for_one(
    world: LocalIndex, tmp_path: Path, target_venv: Path, safe_pip: SafePip
) -> None:
    """An old release whose only files need another Python (Requires-Python: <3): pip finds
    no distribution of it for the target, which used to end the audit with exit 2 and no
    finding for any other pin of the file."""
    world.add("py2only", "1.0", requires_python="<3")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index-url {world.url}\npy2only==1.0\nvulnlib==1.0\n")
    result = check(safe_pip, requirements, "--python", target_venv, "--format", "json")
    assert result.returncode == 1, output(result)
    assert [(f["name"], f["id"]) for f in findings(result)] == [("vulnlib", VULN_ID)]
    report = json.loads(result.stdout)
    assert {p["name"] for p in report["packages"]} == {"py2only", "vulnlib"}


def test_a_file_of_exact_pins_is_checked_as_written_without_running_pip(
    world: LocalIndex, tmp_path: Path, target_venv: Path, safe_pip: SafePip
) -> None:
    """The shape pip freeze writes (``name==version``, no hashes): each pin stands for the
    files its version publishes, read from the index page; no pip dry run (which downloaded
    each wheel for its metadata: ~0.15 s per pin)."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index-url {world.url}\nvulnlib==1.0\ncleanlib==1.0\n")
    result = check(safe_pip, requirements, "--python", target_venv, "--format", "json")
    assert result.returncode == 1, output(result)
    assert [(f["name"], f["version"], f["id"]) for f in findings(result)] == [
        ("vulnlib", "1.0", VULN_ID)
    ]
    report = json.loads(result.stdout)
    assert {(p["name"], p["version"]) for p in report["packages"]} == {
        ("vulnlib", "1.0"),
        ("cleanlib", "1.0"),
    }
    assert all(p["sha256"] for p in report["packages"]), report["packages"]
    downloads = [p for p in world.requests if "/files/" in p and not p.endswith(".metadata")]
    assert downloads == []


def test_exact_pins_that_pull_in_what_the_file_does_not_pin_are_named(
    world: LocalIndex, tmp_path: Path, target_venv: Path, safe_pip: SafePip
) -> None:
    """Dependencies come from the wheels' index metadata (PEP 658), markers evaluated for
    the target and the pin's extras: a dependency the file does not pin is named (it was
    not checked), and so is a pin whose metadata the index does not serve."""
    world.add(
        "webapp",
        "1.0",
        requires=[
            "vulnlib<1.1",
            "cleanlib>=1.0",
            "oldpkg; python_version < '3'",
            "lowsev; extra == 'low'",
            "evilpkg; extra == 'evil'",
        ],
        metadata=True,
    )
    world.add("nometa", "1.0", requires=["cleanlib"])
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"--index-url {world.url}\nwebapp[low]==1.0\ncleanlib==1.0\nnometa==1.0\n"
    )
    result = check(safe_pip, requirements, "--python", target_venv)
    assert result.returncode == 0, output(result)
    named = " ".join(result.stderr.split())
    assert "webapp==1.0 requires vulnlib<1.1, lowsev (pin them" in named, output(result)
    assert "dependencies of cleanlib==1.0, nometa==1.0 not checked" in named, output(result)
    for not_needed in ("oldpkg", "evilpkg", "cleanlib>="):
        assert not_needed not in named


def test_a_conflicting_file_with_a_range_shows_pips_explanation_and_checks_the_pins(
    world: LocalIndex, tmp_path: Path, target_venv: Path, safe_pip: SafePip
) -> None:
    """requests==2.19.0 / flask>=2 / urllib3==1.26.4 (issue 17): a range needs the resolver,
    which fails on conflicting pins. Was: exit 3, one line naming a temporary file. Now pip's
    explanation, naming the user's file and lines, and the exact pins checked as written."""
    world.add("needsnew", "1.0", requires=["vulnlib>=1.1"])
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index-url {world.url}\nvulnlib==1.0\nneedsnew>=1\n")
    result = check(safe_pip, requirements, "--python", target_venv, "--format", "json")
    assert result.returncode == 1, output(result)
    assert [(f["name"], f["version"], f["id"]) for f in findings(result)] == [
        ("vulnlib", "1.0", VULN_ID)
    ]
    assert "safe-pip-check-" not in result.stderr  # no temporary path
    assert "The conflict is caused by" in result.stderr, output(result)
    assert f"{requirements}:2: vulnlib==1.0" in result.stderr
    assert f"{requirements}:3: needsnew>=1" in result.stderr


def test_pylock_exported_by_uv_is_checked(
    world: LocalIndex, tmp_path: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    project = tmp_path / "project"
    lock_project(project, world, ["evilpkg"], isolated_env)
    pylock = project / "pylock.toml"
    uv(["export", "--format", "pylock.toml", "--quiet", "-o", pylock], isolated_env, cwd=project)
    result = check(safe_pip, pylock)
    assert result.returncode == 1, output(result)
    assert "evilpkg==0.1" in result.stdout and MALICIOUS_ID in result.stdout


def test_poetry_lock_hashes_are_compared_with_the_named_source(
    world: LocalIndex, tmp_path: Path, safe_pip: SafePip
) -> None:
    (hosted,) = world.hosted_files("cleanlib")

    def poetry_lock(sha256: str) -> Path:
        path = tmp_path / "poetry.lock"
        path.write_text(
            "[[package]]\n"
            'name = "cleanlib"\nversion = "1.0"\n'
            f'files = [{{file = "{hosted.filename}", hash = "sha256:{sha256}"}}]\n\n'
            f'[package.source]\ntype = "legacy"\nurl = "{world.url}"\nreference = "local"\n\n'
            '[metadata]\nlock-version = "2.0"\ncontent-hash = "x"\n'
        )
        return path

    clean = check(safe_pip, poetry_lock(hosted.sha256))
    assert clean.returncode == 0, output(clean)
    assert clean.stdout.startswith("safe-pip: 1 package checked in ")
    assert clean.stdout.endswith("poetry.lock, no problems found.\n")
    tampered = check(safe_pip, poetry_lock("0" * 64))
    assert tampered.returncode == 1, output(tampered)
    assert "HASH-INDEX" in tampered.stdout


@pytest.mark.parametrize(
    "relative",
    [
        "uv-bad-toml/uv.lock",
        "uv-missing-version/uv.lock",
        "uv-bad-members/uv.lock",
        "pylock-bad-toml/pylock.toml",
        "pylock-missing-hashes/pylock.toml",
        "poetry-bad-toml/poetry.lock",
        "poetry-missing-version/poetry.lock",
        "requirements-bad-line/requirements.txt",
    ],
)
def test_malformed_lock_files_exit_2_with_one_line(relative: str, safe_pip: SafePip) -> None:
    line = assert_one_line_error(check(safe_pip, MALFORMED / relative), 2)
    assert str(MALFORMED / relative) in line


# ---------------------------------------------------------------- --plan


def test_plan_round_trip_through_standard_input(world: LocalIndex, safe_pip: SafePip) -> None:
    (vulnerable,) = world.hosted_files("vulnlib")[:1]
    plan = [
        PlanItem(
            name="vulnlib",
            version="1.0",
            url=vulnerable.url,
            filename=vulnerable.filename,
            sha256=vulnerable.sha256,
            index_url=world.url,
        ),
        PlanItem(name="cleanlib", version="1.0", source=ArtifactSource.EDITABLE, url="/src"),
    ]
    document = json.dumps(plan_to_json(plan, [world.url]))
    result = check(safe_pip, "--plan", "-", "--format", "json", input=document)
    assert result.returncode == 1, output(result)
    report = json.loads(result.stdout)
    # The plan comes back as sent, plus what the index page told about the index item.
    sent = plan_to_json(plan)["items"]
    assert isinstance(sent, list)
    assert vulnerable.upload_time is not None
    uploaded = vulnerable.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert report["packages"] == [{**sent[0], "yanked": False, "upload_time": uploaded}, sent[1]]
    assert {(f["id"], f["action"]) for f in report["findings"]} == {
        (VULN_ID, "block"),
        ("UNVERIFIED-SOURCE", "warn"),
    }
    allowed = check(safe_pip, "--plan", "-", "--warn-only", input=document)
    assert allowed.returncode == 0, output(allowed)


@pytest.mark.parametrize(
    "document",
    [
        "{not json",
        '{"items": [{"name": "x"}]}',
        "[]",
        '{"items": [{"name": "x", "version": "1"}], "network": 5}',
        '{"items": [{"name": "x", "version": "1"}], "network": {"cert": 7}}',
    ],
)
def test_bad_plan_json_exits_2_with_one_line(document: str, safe_pip: SafePip) -> None:
    line = assert_one_line_error(check(safe_pip, "--plan", "-", input=document), 2)
    assert "--plan standard input" in line


def test_an_empty_plan_needs_no_database(safe_pip: SafePip) -> None:
    result = check(safe_pip, "--plan", "-", input='{"items": []}')
    assert result.returncode == 0, output(result)


# ---------------------------------------------------------------- --installed


def test_installed_environment_with_a_vulnerable_package(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    uv(
        ["pip", "install", "--python", target_venv, "--index-url", world.url, "vulnlib==1.0"],
        isolated_env,
    )
    result = check(
        safe_pip, "--installed", "--python", target_venv, "--index-url", world.url,
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 1, output(result)
    report = json.loads(result.stdout)
    names = {p["name"]: p for p in report["packages"]}
    assert names["vulnlib"]["version"] == "1.0" and names["vulnlib"]["source"] == "installed"
    assert "pip" in names
    # advisories only: no NO-HASH/unverifiable noise for files nobody can hash any more
    assert [f["id"] for f in report["findings"]] == [VULN_ID]
    assert "yanked and hash checks were skipped" in result.stderr


def test_installed_release_that_is_too_new_is_only_a_warning(
    world: LocalIndex, target_venv: Path, isolated_env: dict[str, str], safe_pip: SafePip
) -> None:
    world.add("freshlib", "1.0", upload_time=datetime.now(timezone.utc) - timedelta(hours=2))
    uv(
        ["pip", "install", "--python", target_venv, "--index-url", world.url, "freshlib==1.0"],
        isolated_env,
    )
    args: list[str | Path] = ["--installed", "--python", target_venv, "--index-url", world.url]
    result = check(safe_pip, *args, "--format", "json")
    assert result.returncode == 0, output(result)
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["name"] == "freshlib"]
    assert (finding["id"], finding["action"]) == ("TOO-NEW", "warn")
    assert "uploaded 2h ago" in finding["summary"]


# ---------------------------------------------------------------- usage


@pytest.mark.parametrize(
    "args", [[], ["--installed", "--plan", "-"], ["requirements.txt", "--installed"]]
)
def test_exactly_one_thing_to_check(args: list[str], safe_pip: SafePip) -> None:
    assert_one_line_error(check(safe_pip, *args), 2)


def test_check_runs_as_a_module_entry_point(safe_pip: SafePip) -> None:
    result = check(safe_pip, "--help")
    assert result.returncode == 0 and "--installed" in result.stdout, output(result)
    assert sys.executable


def test_lock_hashes_are_compared_with_an_index_reached_through_pips_cert_setting(
    world: LocalIndex,
    target_venv: Path,
    tmp_path: Path,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
) -> None:
    """pip's ``cert`` and ``index-url`` (here from a pip config file) are what the audit uses."""
    reason = openssl_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    server = make_certificate(tmp_path / "tls", "server")
    (hosted,) = world.hosted_files("cleanlib")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"cleanlib==1.0 --hash=sha256:{hosted.sha256}\n")
    env = {
        k: v for k, v in isolated_env.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    }
    with HttpsFront(world.port, server) as front:
        config = tmp_path / "pip.conf"
        config.write_text(f"[global]\ncert = {server.cert}\nindex-url = {front.base_url}simple/\n")
        env["PIP_CONFIG_FILE"] = str(config)
        result = check(safe_pip, requirements, "--python", target_venv, env=env)
        assert result.returncode == 0, output(result)
        assert "/simple/cleanlib/" in front.requests
