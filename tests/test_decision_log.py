"""The decision log: one JSON line per guarded run, capped and rotated, shown by ``safe-pip log``,
never a credential, never the reason a run fails."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip import cli
from safe_pip.models import Action, Category, Decision, Finding, PlanItem, Verdict
from safe_pip.pipeline import decision_log
from support.hook_helpers import PIP_MODULE, hook_venv, pip_install
from support.index_server import LocalIndex
from support.outcomes import output
from support.scenario import MALICIOUS_ID

SafePip = Callable[..., subprocess.CompletedProcess[str]]
SECRET = "s3cr3t-password"


def _entries(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _blocked_verdict() -> Verdict:
    finding = Finding("evilpkg", "0.1", Category.MALICIOUS, MALICIOUS_ID, "malicious code")
    return Verdict(
        plan=[PlanItem("evilpkg", "0.1", filename="evilpkg-0.1-py3-none-any.whl")],
        decisions=[Decision(finding, Action.BLOCK)],
    )


def test_a_guarded_run_writes_one_line_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["safe-pip", "install", "--index-url", f"https://me:{SECRET}@example.test/simple", "x"]
    monkeypatch.setattr("sys.argv", argv)
    decision_log.note_target("/venv/bin/python")
    decision_log.note_verdict(_blocked_verdict())

    decision_log.finish(1, None)

    log = tmp_path / "safe-pip-data" / "decisions.jsonl"
    [entry] = _entries(log)
    assert SECRET not in log.read_text(encoding="utf-8")
    assert entry["command"] == [
        "safe-pip",
        "install",
        "--index-url",
        "https://me:****@example.test/simple",
        "x",
    ]
    assert entry["target"] == "/venv/bin/python"
    assert (entry["verdict"], entry["exit_code"], entry["error"]) == ("blocked", 1, None)
    assert entry["plan"] == [
        {
            "name": "evilpkg",
            "version": "0.1",
            "source": "index",
            "filename": "evilpkg-0.1-py3-none-any.whl",
            "sha256": None,
        }
    ]
    findings = entry["findings"]
    assert isinstance(findings, list) and [f["id"] for f in findings] == [MALICIOUS_ID]
    assert entry["decisions"] == [
        {"id": MALICIOUS_ID, "name": "evilpkg", "version": "0.1", "action": "block", "reason": None}
    ]


def test_runs_that_never_checked_write_nothing(tmp_path: Path) -> None:
    decision_log.finish(0, None)
    assert not (tmp_path / "safe-pip-data").exists()


def test_a_failed_check_is_logged_with_its_error(tmp_path: Path) -> None:
    decision_log.note_check_started()
    decision_log.finish(3, "no advisory database at /x")

    [entry] = _entries(tmp_path / "safe-pip-data" / "decisions.jsonl")
    assert (entry["verdict"], entry["exit_code"]) == ("not checked", 3)
    assert entry["error"] == "no advisory database at /x"


def test_the_log_is_capped_and_rotated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decision_log, "MAX_BYTES", 2_000)
    log = tmp_path / "decisions.jsonl"
    for number in range(55):  # ~103 bytes a line: moved aside after runs 19 and 39
        decision_log.append({"run": number, "padding": "x" * 80}, log)

    rotated = log.with_name("decisions.jsonl.1")
    assert [entry["run"] for entry in decision_log.read_recent(99, rotated)] == [*range(20, 40)]
    assert log.stat().st_size < 2_000 and not log.with_name("decisions.jsonl.2").exists()
    recent = decision_log.read_recent(25, log)
    assert [entry["run"] for entry in recent] == list(range(30, 55))  # across both files


def test_an_unwritable_log_is_one_warning_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "not-a-dir").write_text("")
    monkeypatch.setenv("SAFE_PIP_DATA_DIR", str(tmp_path / "not-a-dir"))
    decision_log.note_verdict(_blocked_verdict())

    decision_log.finish(1, None)

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("safe-pip: warning: decision log not written: ")


def test_a_cut_line_is_skipped_when_reading(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    decision_log.append({"run": 1}, log)
    with log.open("a", encoding="utf-8") as file:
        file.write('{"run": 2, "cut sho')
    assert decision_log.read_recent(5, log) == [{"run": 1}]


def test_writing_the_log_is_cheap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = Verdict(plan=[PlanItem(f"pkg{n}", "1.0") for n in range(100)])
    started = time.perf_counter()
    for _ in range(20):
        decision_log.note_verdict(verdict)
        decision_log.finish(0, None)
    per_run = (time.perf_counter() - started) / 20
    assert per_run < 0.02, f"{per_run * 1000:.1f} ms per run"


def test_log_command_without_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["log"]) == 0
    assert capsys.readouterr().out.startswith("no guarded runs logged yet in ")


@pytest.mark.integration
def test_install_and_the_pip_hook_are_logged_and_shown(
    safe_pip: SafePip,
    world: LocalIndex,
    target_venv: Path,
    isolated_env: dict[str, str],
) -> None:
    index = ("--index-url", world.url)
    blocked = safe_pip("install", "--python", target_venv, *index, "evilpkg")
    assert blocked.returncode == 1, output(blocked)
    allowed = safe_pip("install", "--python", target_venv, *index, "cleanlib")
    assert allowed.returncode == 0, output(allowed)
    hook_venv(target_venv)
    hooked = pip_install(target_venv, PIP_MODULE, isolated_env, *index, "evilpkg")
    assert hooked.returncode == 1, output(hooked)

    shown = safe_pip("log", "--format", "json", "-n", "3")

    assert shown.returncode == 0, output(shown)
    first, second, third = (json.loads(line) for line in shown.stdout.splitlines())
    assert first["verdict"] == "blocked" and first["exit_code"] == 1
    assert first["target"] == str(target_venv)
    assert [d["id"] for d in first["decisions"]] == [MALICIOUS_ID]
    assert second["verdict"] == "allowed" and second["exit_code"] == 0
    assert [item["name"] for item in second["plan"]] == ["cleanlib"]
    assert third["command"][:2] == ["pip", "install"] and third["verdict"] == "blocked"
    assert third["target"] == str(target_venv)

    text = safe_pip("log", "-n", "2")
    assert text.returncode == 0, output(text)
    lines = text.stdout.splitlines()
    assert len(lines) == 2
    assert f"allowed (exit 0)  safe-pip install --python {target_venv}" in lines[0]
    assert lines[0].endswith(f"target {target_venv}  1 package")
    assert f"blocked (exit 1)  pip install --index-url {world.url} evilpkg" in lines[1]
    assert f"block {MALICIOUS_ID} evilpkg==0.1" in lines[1]


@pytest.mark.integration
def test_a_guarded_uv_install_is_logged_with_its_target(
    safe_pip: SafePip, world: LocalIndex, target_venv: Path
) -> None:
    blocked = safe_pip(
        "uv", "pip", "install", "--python", target_venv, "--index-url", world.url, "evilpkg"
    )
    assert blocked.returncode == 1, output(blocked)

    shown = safe_pip("log", "--format", "json", "-n", "1")

    [entry] = (json.loads(line) for line in shown.stdout.splitlines())
    assert entry["command"][:4] == ["safe-pip", "uv", "pip", "install"]
    assert entry["target"] == str(target_venv)
    assert entry["verdict"] == "blocked" and entry["exit_code"] == 1
