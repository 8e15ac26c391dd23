"""Helpers for the pip hook tests: hook a venv, run its pip both ways, see what is installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from safe_pip.hook.site_files import HookTarget, hook_target, install_hook, interpreter_info
from support.isolation import run

# The two ways a user runs pip: the venv's ``bin/pip`` script and ``python -m pip``.
PIP_SCRIPT = "script"
PIP_MODULE = "module"
PIP_INVOCATIONS = (PIP_SCRIPT, PIP_MODULE)

# Stands in for safe-pip's checker (``guard-serve``) where a test looks at the plan the hook
# sends: answers every question with "go on", records each non-empty plan sent for the full
# check with its arguments, says one line, and answers that check with $FAKE_CHECKER_EXIT.
FAKE_CHECKER = """\
import json, os, sys
exit_code = int(os.environ.get("FAKE_CHECKER_EXIT", "0"))
for line in sys.stdin:
    request = json.loads(line)
    answer = {"exit_code": 0, "remove": []}
    if request.get("op") == "check" and request["plan"]["items"]:
        with open(os.environ["FAKE_CHECKER_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps({"args": sys.argv[1:], "plan": request["plan"]}) + "\\n")
        names = " ".join(item["name"] for item in request["plan"]["items"])
        answer = {"exit_code": exit_code, "stdout": "fake checker saw " + names + "\\n"}
    print(json.dumps(answer), flush=True)
"""


def hook_venv(python: Path, checker: list[str] | None = None) -> HookTarget:
    """Install the hook into ``python``'s environment (checker: this safe-pip by default)."""
    target = hook_target(interpreter_info(str(python)), user=False)
    install_hook(target, checker)
    return target


def fake_checker(tmp_path: Path) -> tuple[list[str], Path]:
    """A checker command that logs what it is sent, and the log file it writes."""
    script = tmp_path / "fake_checker.py"
    script.write_text(FAKE_CHECKER, encoding="utf-8")
    return [sys.executable, str(script)], tmp_path / "fake-checker.log"


def hook_with_fake_checker(
    python: Path, tmp_path: Path, env: dict[str, str], **extra_env: str
) -> tuple[dict[str, str], Path]:
    """Hook ``python``'s environment with the fake checker; the env to run pip with (it names
    the checker's log) and that log."""
    checker, log = fake_checker(tmp_path)
    hook_venv(python, checker)
    return dict(env, FAKE_CHECKER_LOG=str(log), **extra_env), log


def checker_calls(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def pip_command(python: Path, via: str) -> list[str]:
    if via == PIP_SCRIPT:
        return [str(python.parent / ("pip.exe" if os.name == "nt" else "pip"))]
    return [str(python), "-m", "pip"]


def pip_install(
    python: Path, via: str, env: dict[str, str], *args: str | os.PathLike[str]
) -> subprocess.CompletedProcess[str]:
    return run([*pip_command(python, via), "install", *args], env)
