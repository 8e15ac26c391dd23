"""The README's first lines are the two commands a new user needs; CI runs the second one."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _first_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert block is not None, "README.md must start with a ```sh block"
    return [line.split("   #")[0].strip() for line in block.group(1).splitlines()]


def test_readme_starts_with_install_and_test_commands() -> None:
    install, test = _first_commands()
    # needs nothing but Python's venv: no pipx, no uv, no externally-managed error
    assert install.startswith("python3 -m venv ~/.safe-pip && ~/.safe-pip/bin/pip install . && ")
    assert "safe-pip db update" in install and "safe-pip install" in install
    assert "pytest" in test


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, test = _first_commands()
    ci_lines = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci_lines


def test_distribution_name_is_not_the_unrelated_safe_pip() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^name = "safe-pip-guard"$', pyproject, re.MULTILINE)
    assert "[project.scripts]\nsafe-pip = " in pyproject
