"""``pip_plan.resolve_plan`` and ``pip_config``: real pip (bundled and newest) on a local index."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.errors import PipError, UsageError
from safe_pip.installers.pip.args import parse_install_args
from safe_pip.installers.pip.config import (
    apply_requirement_file_options,
    effective_index_urls,
    start_effective_index_urls,
)
from safe_pip.installers.pip.plan import (
    PinnedHashMismatchError,
    pip_error_block,
    pip_error_line,
    resolve_plan,
    unfound_project,
)
from safe_pip.installers.requirement_pins import RequirementFileOption
from safe_pip.models import ArtifactSource, PlanItem
from support.index_server import LocalIndex
from support.venvs import BUNDLED, NEWEST

PIP_KINDS = [BUNDLED, NEWEST]


@pytest.fixture(params=PIP_KINDS)
def python(request: pytest.FixtureRequest, pip_venv: Callable[[str], Path]) -> str:
    """A fresh venv's interpreter, once with the bundled pip and once with the newest pip."""
    return str(pip_venv(request.param))


@pytest.mark.integration
@pytest.mark.parametrize("kind", PIP_KINDS)
def test_plan_has_exact_items_with_served_hashes_and_requested_flags(
    kind: str,
    pip_venv: Callable[[str], Path],
    local_index: LocalIndex,
    isolated_env: dict[str, str],
) -> None:
    demo = local_index.add("demo", "1.0", ["helper>=1"])
    local_index.add("helper", "1.0")
    helper = local_index.add("helper", "1.1")
    args = parse_install_args(["-i", local_index.url, "demo"])

    plan = resolve_plan(str(pip_venv(kind)), args, isolated_env)

    assert sorted(plan, key=lambda item: item.name) == [
        PlanItem(
            name="demo",
            version="1.0",
            source=ArtifactSource.INDEX,
            url=demo.url,
            filename="demo-1.0-py3-none-any.whl",
            sha256=demo.sha256,
            requested=True,
            yanked=None if kind == BUNDLED else False,
        ),
        PlanItem(
            name="helper",
            version="1.1",
            source=ArtifactSource.INDEX,
            url=helper.url,
            filename="helper-1.1-py3-none-any.whl",
            sha256=helper.sha256,
            requested=False,
            yanked=None if kind == BUNDLED else False,
            required_by=("demo==1.0",),  # the edge from demo's Requires-Dist
        ),
    ]


@pytest.mark.integration
def test_unknown_package_is_one_line_pip_error(
    python: str, local_index: LocalIndex, isolated_env: dict[str, str]
) -> None:
    args = parse_install_args(["-i", local_index.url, "nosuchpkg"])
    with pytest.raises(PipError) as caught:
        resolve_plan(python, args, isolated_env)
    assert str(caught.value) == (
        "pip could not resolve the install plan: "
        "No matching distribution found for nosuchpkg"  # never "error: ERROR:"
    )
    # pip's whole error block goes along, shown above the one line
    assert "ERROR: Could not find a version that satisfies the requirement nosuchpkg" in (
        caught.value.details
    )


@pytest.mark.integration
def test_unreachable_index_fails_the_plan(
    python: str, local_index: LocalIndex, isolated_env: dict[str, str]
) -> None:
    local_index.add("demo", "1.0")
    local_index.make_unreachable()
    args = parse_install_args(["-i", local_index.url, "--retries", "0", "--timeout", "2", "demo"])
    with pytest.raises(PipError, match=r"^pip could not resolve the install plan: (?!ERROR)"):
        resolve_plan(python, args, isolated_env)


@pytest.mark.integration
def test_pip_log_lines_on_stdout_do_not_break_the_plan(
    python: str, local_index: LocalIndex, isolated_env: dict[str, str]
) -> None:
    # ``verbose`` in pip's config (here PIP_VERBOSE) outweighs the dry run's --quiet: pip then
    # logs "Collecting ..." on stdout, which must not end up in the report safe-pip reads.
    demo = local_index.add("demo", "1.0")
    args = parse_install_args(["-i", local_index.url, "demo"])
    env = {**isolated_env, "PIP_VERBOSE": "2"}
    (item,) = resolve_plan(python, args, env)
    assert (item.name, item.sha256) == ("demo", demo.sha256)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--no-such-option", "demo"], "no such option: --no-such-option"),
        ([], "You must give at least one requirement"),
        (["((bad"], "Invalid requirement"),
    ],
)
def test_arguments_pip_rejects_are_usage_errors(
    args: list[str],
    said: str,
    target_venv: Path,
    local_index: LocalIndex,
    isolated_env: dict[str, str],
) -> None:
    install_args = parse_install_args(["-i", local_index.url, *args])
    with pytest.raises(UsageError, match=r"^pip rejected the install arguments: ") as caught:
        resolve_plan(str(target_venv), install_args, isolated_env)
    assert said in str(caught.value)


@pytest.mark.integration
def test_pinned_hashes_are_attached_to_the_plan(
    local_index: LocalIndex, isolated_env: dict[str, str], target_venv: Path, tmp_path: Path
) -> None:
    demo = local_index.add("demo", "1.0")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"demo==1.0 --hash=sha256:{demo.sha256}\n")
    args = parse_install_args(["-i", local_index.url, "-r", str(requirements)])
    (item,) = resolve_plan(str(target_venv), args, isolated_env)
    assert item.pinned_hashes == (demo.sha256,)
    assert item.sha256 == demo.sha256


@pytest.mark.integration
def test_pinned_hash_mismatch_is_reported_clearly(
    python: str, local_index: LocalIndex, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    demo = local_index.add("demo", "1.0")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"demo==1.0 --hash=sha256:{'0' * 64}\n")
    args = parse_install_args(["-i", local_index.url, "-r", str(requirements)])
    with pytest.raises(PinnedHashMismatchError) as caught:
        resolve_plan(python, args, isolated_env)
    assert str(caught.value) == (
        "a downloaded file does not match the hash pinned in the requirements: "
        f"demo==1.0: expected sha256 {'0' * 64}, got {demo.sha256}"
    )
    assert [m.url for m in caught.value.mismatches] == [demo.url]


@pytest.mark.integration
def test_broken_requirements_file_fails_before_pip_runs(
    local_index: LocalIndex, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("demo==1.0\n!!!\n")
    args = parse_install_args(["-i", local_index.url, "-r", str(requirements)])
    with pytest.raises(UsageError, match=r"requirements\.txt:2: invalid requirement"):
        resolve_plan(sys.executable, args, isolated_env)
    assert local_index.requests == []


def test_missing_interpreter_is_a_usage_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-python")
    with pytest.raises(UsageError) as caught:
        resolve_plan(missing, parse_install_args(["demo"]))
    assert str(caught.value) == f"Python interpreter not found: {missing}"


# Shell: write {report} to the file that follows ``--report`` on the command line.
_WRITE_REPORT = """\
while [ $# -gt 0 ]; do
  if [ "$1" = "--report" ]; then printf '%s' '{report}' > "$2"; fi
  shift
done
"""


def _fake_interpreter(tmp_path: Path, body: str) -> str:
    """A stand-in for a Python whose pip we cannot install offline (a shell script)."""
    script = tmp_path / "fake-python"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.mark.integration
@pytest.mark.skipif(os.name == "nt", reason="shell script interpreter")
def test_pip_without_report_option_is_too_old(tmp_path: Path) -> None:
    python = _fake_interpreter(
        tmp_path,
        'echo "\nUsage:   \n  pip install [options] <requirement specifier>\n\n'
        'no such option: --dry-run" >&2\nexit 2\n',
    )
    with pytest.raises(PipError, match=r"is too old: safe-pip needs pip >= 22\.2"):
        resolve_plan(python, parse_install_args(["demo"]))


@pytest.mark.integration
@pytest.mark.skipif(os.name == "nt", reason="shell script interpreter")
def test_dry_run_command_line_and_recursion_guard(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"
    python = _fake_interpreter(
        tmp_path,
        f'echo "$SAFE_PIP_ACTIVE $*" > "{record}"\n'
        + _WRITE_REPORT.format(report='{"version": "1", "install": []}'),
    )
    args = parse_install_args(["-v", "--report", "x.json", "-i", "http://one/simple/", "demo"])
    assert resolve_plan(python, args, {"PATH": os.environ.get("PATH", "")}) == []
    recorded = record.read_text().split()
    report_file = Path(recorded[6])
    assert report_file.name == "report.json"
    assert not report_file.parent.exists()  # the temporary report is cleaned up
    secret, _, token_file = recorded[0].partition("@")  # the recursion marker: a run token
    assert len(secret) == 64
    assert not Path(token_file).exists()  # revoked once pip has ended
    assert recorded[1:6] + recorded[7:] == [
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--report",
        "--quiet",
        "--disable-pip-version-check",
        "-i",
        "http://one/simple/",
        "demo",
    ]


@pytest.mark.integration
@pytest.mark.skipif(os.name == "nt", reason="shell script interpreter")
def test_unreadable_report_is_a_pip_error(tmp_path: Path) -> None:
    python = _fake_interpreter(tmp_path, _WRITE_REPORT.format(report="Collecting demo"))
    with pytest.raises(PipError, match="could not read pip's installation report: not JSON"):
        resolve_plan(python, parse_install_args(["demo"]))


@pytest.mark.integration
@pytest.mark.skipif(os.name == "nt", reason="shell script interpreter")
def test_missing_report_is_a_pip_error(tmp_path: Path) -> None:
    python = _fake_interpreter(tmp_path, 'echo \'{"version": "1", "install": []}\'\n')
    with pytest.raises(PipError, match="could not read pip's installation report: pip wrote none"):
        resolve_plan(python, parse_install_args(["demo"]))


# ---------------------------------------------------------------- pip_config


def _target_default_index(python: str) -> str:
    """pip's built-in default index, as the target pip itself defines it."""
    from support.isolation import run

    code = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
    return run([python, "-c", code], {}, check=True).stdout.strip()


@pytest.mark.integration
def test_index_urls_default_to_the_target_pips_own(
    python: str, isolated_env: dict[str, str]
) -> None:
    urls = effective_index_urls(python, parse_install_args(["demo"]), isolated_env)
    assert urls == [_target_default_index(python)]


@pytest.mark.integration
def test_index_urls_from_environment_config_file_and_command_line(
    python: str, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nextra-index-url = http://config/simple/\n")
    env = dict(isolated_env, PIP_CONFIG_FILE=str(config), PIP_INDEX_URL="http://env/simple/")
    args = parse_install_args(["--extra-index-url", "http://cli/simple/", "demo"])
    assert effective_index_urls(python, args, env) == [
        "http://env/simple/",
        "http://config/simple/",
        "http://cli/simple/",
    ]
    args = parse_install_args(["-i", "http://cli-index/simple/", "demo"])
    assert effective_index_urls(python, args, env) == [
        "http://cli-index/simple/",
        "http://config/simple/",
    ]


@pytest.mark.integration
def test_isolated_ignores_environment(python: str, isolated_env: dict[str, str]) -> None:
    env = dict(isolated_env, PIP_INDEX_URL="http://env/simple/")
    urls = effective_index_urls(python, parse_install_args(["--isolated", "demo"]), env)
    assert urls == [_target_default_index(python)]


@pytest.mark.integration
def test_no_index_from_config_or_command_line(
    target_venv: Path, isolated_env: dict[str, str]
) -> None:
    assert effective_index_urls(str(target_venv), parse_install_args(["--no-index", "x"])) == []
    env = dict(isolated_env, PIP_NO_INDEX="1")
    assert effective_index_urls(str(target_venv), parse_install_args(["x"]), env) == []


@pytest.mark.integration
def test_requirement_file_index_options_apply_after_the_command_line(
    target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    requirements = tmp_path / "r.txt"
    requirements.write_text("--index-url http://file/simple/\n--extra-index-url http://more/\nx\n")
    args = parse_install_args(["--extra-index-url", "http://cli/simple/", "-r", str(requirements)])
    pending = start_effective_index_urls(str(target_venv), args, isolated_env)
    assert pending.result().index_urls == ("http://file/simple/", "http://more/")
    assert pending.result().index_urls == ("http://file/simple/", "http://more/")  # cached


def test_requirement_file_option_rules() -> None:
    options = [
        RequirementFileOption("--extra-index-url", "http://b/"),
        RequirementFileOption("--no-index"),
        RequirementFileOption("--index-url", "http://c/"),
    ]
    assert apply_requirement_file_options(["http://a/"], options[:1]) == ["http://a/", "http://b/"]
    assert apply_requirement_file_options(["http://a/"], options) == []


def test_index_url_lookup_with_a_missing_interpreter(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Python interpreter not found"):
        effective_index_urls(str(tmp_path / "nope"), parse_install_args(["x"]))


@pytest.mark.integration
@pytest.mark.skipif(os.name == "nt", reason="shell script interpreter")
def test_index_url_lookup_without_pip_is_a_pip_error(tmp_path: Path) -> None:
    python = _fake_interpreter(tmp_path, 'echo "$0: No module named pip" >&2\nexit 1\n')
    with pytest.raises(
        PipError, match=r"could not read pip's index settings from .*No module named pip"
    ):
        effective_index_urls(python, parse_install_args(["x"]))


def test_index_url_lookup_falls_back_to_pip_configuration() -> None:
    """The second strategy of the lookup script, when pip's command parser is not importable."""
    from safe_pip.installers.pip.config import index_urls_from_answer

    answer = {
        "parser_error": "ImportError()",
        "config": {"index_url": None, "extra_index_urls": ["http://conf/"], "no_index": False},
        "default_index_url": "http://default/simple",
    }
    args = parse_install_args(["--extra-index-url", "http://cli/", "x"])
    assert index_urls_from_answer(answer, args) == [
        "http://default/simple",
        "http://conf/",
        "http://cli/",
    ]
    with pytest.raises(PipError, match=r"could not read pip's index settings from .*: boom"):
        index_urls_from_answer({"config_error": "boom"}, args)


def test_pip_error_block_keeps_every_line_after_the_first_error() -> None:
    stderr = (
        "Looking in indexes: http://127.0.0.1:1/simple\n"
        "ERROR: Could not find a version that satisfies the requirement vulnlib==9 "
        "(from versions: 1.0, 1.1)\n"
        "ERROR: No matching distribution found for vulnlib==9\n"
    )
    assert pip_error_block(stderr) == "\n".join(stderr.splitlines()[1:])
    assert pip_error_line(stderr, 1) == "No matching distribution found for vulnlib==9"
    assert pip_error_line("error: externally-managed-environment\n", 1) == (
        "externally-managed-environment"
    )
    assert unfound_project(stderr) == "vulnlib"
    assert unfound_project("ERROR: No matching distribution found for Foo_Bar[x]>=1") == "foo-bar"
    assert unfound_project("ERROR: something else") is None
