"""What ``safe-pip install`` imports before it starts pip: the user waits for all of it.

pip is started first and the checking code is imported while pip starts up (``one_pass``);
what comes before pip's start is paid on every install. ``dataclasses`` alone (with the
``inspect`` and ``ast`` it imports, and the classes' generated code) took ~17 ms there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Modules that must not be imported before pip starts: each is imported, when needed,
# while pip runs (the checking code) or only on other paths.
NOT_BEFORE_PIP = (
    *("dataclasses", "inspect", "ast", "difflib", "textwrap", "httpx"),
    *("sqlite3", "packaging", "safe_pip.models", "safe_pip.pipeline.policy"),
    *("safe_pip.installers.pip.args", "safe_pip.commands.help_text", "safe_pip.redaction"),
    "safe_pip.installers.pip.guard_service",
)

# Stops safe-pip at the start of the guarded pip and prints the modules imported by then.
PROBE = """
import json, subprocess, sys
def stop(self, args, *rest, **kwargs):
    if "-c" in list(args)[1:2]:
        print(json.dumps(sorted(sys.modules)))
        sys.stdout.flush()
        import os
        os._exit(0)
    return started(self, args, *rest, **kwargs)
started = subprocess.Popen.__init__
subprocess.Popen.__init__ = stop
from safe_pip import cli
cli.main(sys.argv[1:])
"""


@pytest.mark.integration
def test_nothing_heavy_is_imported_before_pip_starts(
    target_venv: Path, isolated_env: dict[str, str]
) -> None:
    python = str(target_venv)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "install", "--python", python, "--dry-run", "anything"],
        env=isolated_env,
        capture_output=True,
        text=True,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    imported = set(json.loads(lines[-1]))
    assert "safe_pip.installers.pip.one_pass" in imported  # the probe saw the real start
    early = sorted(
        name
        for name in imported
        for unwanted in NOT_BEFORE_PIP
        if name == unwanted or name.startswith(unwanted + ".")
    )
    assert early == []
