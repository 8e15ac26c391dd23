"""Dependencies point down the pipeline: a producer (lock files, an installed environment)
never imports an installer or a command (the requirements-file reader both use lives in
``producers``); what checking a lock needs from pip is handed to it
(``producers.lockfiles.check.LockResolver``)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "safe_pip"
ABOVE_PRODUCERS = ("safe_pip.commands", "safe_pip.installers")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_producers_import_no_installer_and_no_command() -> None:
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / "producers").rglob("*.py")
        for name in _imports(path)
        if name.startswith(ABOVE_PRODUCERS)
    }
    assert sorted(wrong) == []
