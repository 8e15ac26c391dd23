"""The layout shows the pipeline: few top-level modules, everything else in its package."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "safe_pip"
MAX_TOP_LEVEL_MODULES = 12  # __init__ and __main__ included
PACKAGES = {
    "advisories",
    "commands",
    "devpi",
    "hook",
    "index",
    "installers",
    "pipeline",
    "producers",
}


def test_at_most_a_dozen_top_level_modules() -> None:
    modules = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, (
        f"{len(modules)} modules in src/safe_pip/ ({', '.join(modules)}): put a new one in the "
        "package of its stage (see ARCHITECTURE.md) or merge it with its nearest relative"
    )


def test_every_package_is_in_the_architecture_map() -> None:
    found = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert found == PACKAGES
    architecture = (PACKAGE.parents[1] / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert all(f"`{name}/`" in architecture for name in PACKAGES)
