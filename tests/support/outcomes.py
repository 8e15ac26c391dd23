"""What end-to-end tests look at after a run: what got installed, and how a failure read."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support.isolation import describe, run

INSTALLER_DISTRIBUTIONS = frozenset({"pip", "setuptools", "wheel"})


def installed(python: Path, env: dict[str, str]) -> dict[str, str]:
    """name -> version of what is installed for ``python``, besides pip/setuptools/wheel."""
    listing = run([python, "-m", "pip", "list", "--format", "json"], env, check=True)
    return {
        entry["name"].lower(): entry["version"]
        for entry in json.loads(listing.stdout)
        if entry["name"].lower() not in INSTALLER_DISTRIBUTIONS
    }


def output(result: subprocess.CompletedProcess[str]) -> str:
    """Everything about a run, for assertion messages."""
    return describe(result)


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The run failed with ``code`` and exactly one ``safe-pip: error:`` line; that line."""
    assert result.returncode == code, output(result)
    assert "Traceback" not in result.stdout + result.stderr, output(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("safe-pip: error:")]
    assert len(errors) == 1, output(result)
    return errors[0]
