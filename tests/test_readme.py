"""The README's first lines are the two commands a new user needs; CI runs the second one."""

from __future__ import annotations

import re
import shlex
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


# --- the README and docs/ stay true ------------------------------------------------------

DOC_FILES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def test_readme_is_short_enough_to_read_in_five_minutes() -> None:
    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 200


def test_every_relative_link_in_readme_and_docs_resolves() -> None:
    broken = []
    for doc in DOC_FILES:
        for target in _LINK.findall(_FENCE.sub("", doc.read_text(encoding="utf-8"))):
            if re.match(r"[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (doc.parent / file_part).resolve() if file_part else doc
            if not linked.exists():
                broken.append(f"{doc.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{doc.name}: {target} (no such heading)")
    assert broken == []


def test_every_docs_page_is_linked_from_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    unlinked = [p.name for p in DOC_FILES[1:] if f"](docs/{p.name}" not in readme]
    assert unlinked == []


def _documented_command_lines() -> list[tuple[str, list[str]]]:
    """Every ``safe-pip ...`` / ``safe-uv ...`` command in a shell or console block."""
    found = []
    for doc in DOC_FILES:
        for language, block in _FENCE.findall(doc.read_text(encoding="utf-8")):
            if language not in ("sh", "console", "yaml"):
                continue
            for line in block.splitlines():
                line = line.strip()
                if language == "console" and not line.startswith("$ "):
                    continue  # output, not a command
                line = line.removeprefix("$ ").removeprefix("- run: ").strip("| ")
                for part in re.split(r"&&|\|\|?|;", line):
                    words = shlex.split(part, comments=True)
                    while words and ("=" in words[0] or words[0] == "sudo"):
                        words = words[1:]  # VAR=value prefixes
                    if words and words[0].rsplit("/", 1)[-1] in ("safe-pip", "safe-uv"):
                        found.append((doc.name, [words[0].rsplit("/", 1)[-1], *words[1:]]))
    return found


def test_docs_show_safe_pip_commands() -> None:
    names = {doc for doc, _ in _documented_command_lines()}
    assert {"README.md", "hook-and-aliases.md", "lockfiles-and-ci.md", "output.md"} <= names


def test_every_documented_command_parses() -> None:
    """A safe-pip command shown in README.md or docs/ names a real command and real options
    (argparse's own parser for safe-pip's commands; install and uv take pip's/uv's)."""
    from safe_pip import cli

    wrong = []
    for doc, words in _documented_command_lines():
        if words[0] == "safe-uv" or len(words) < 2 or words[1] in ("install", "uv"):
            continue
        command = words[1]
        if command not in cli._OWN_COMMANDS:
            if command not in cli._PIP_COMMANDS and not command.startswith("-"):
                wrong.append(f"{doc}: {' '.join(words)} (no such command)")
            continue
        try:
            cli._build_parser(command).parse_args(words[1:])
        except SystemExit:
            wrong.append(f"{doc}: {' '.join(words)}")
    assert wrong == []


def test_every_config_key_and_variable_is_documented_in_the_policy_page() -> None:
    from safe_pip.pipeline import config

    policy = (REPO_ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    keys = {key for key in config.CONFIG_KEYS if f"| `{key}` |" not in policy}
    variables = {name for name in config._ENV_VARS if f"`{name}`" not in policy}
    assert keys == set() and variables == set()
