"""A file of exact pins is checked as written; what its pins pull in that it does not pin is
named, from the wheels' PEP 658 metadata (here ``file://`` files: no server, no pip)."""

from __future__ import annotations

from pathlib import Path

from safe_pip.models import PlanItem
from safe_pip.producers.lockfiles.pin_dependencies import unpinned_dependency_notes
from safe_pip.producers.lockfiles.requirements import read_requirements

ENVIRONMENT = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.7",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_release": "6.1",
    "platform_system": "Linux",
    "platform_version": "#1",
    "python_full_version": "3.11.7",
    "platform_python_implementation": "CPython",
    "python_version": "3.11",
    "sys_platform": "linux",
}


def _wheel(tmp_path: Path, name: str, version: str, requires: list[str] | None) -> PlanItem:
    filename = f"{name}-{version}-py3-none-any.whl"
    path = tmp_path / filename
    path.write_bytes(b"not read")
    if requires is not None:
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        lines += [f"Requires-Dist: {requirement}" for requirement in requires]
        (tmp_path / f"{filename}.metadata").write_text("\n".join(lines) + "\n")
    return PlanItem(name, version, filename=filename, url=path.as_uri())


def _notes(tmp_path: Path, text: str, items: list[PlanItem]) -> str:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(text)
    lock = read_requirements(requirements)
    return " | ".join(unpinned_dependency_notes(lock, items, None, ENVIRONMENT))


def test_a_closed_file_has_no_note(tmp_path: Path) -> None:
    items = [
        _wheel(tmp_path, "app", "1.0", ["lib>=1", "other; python_version < '3'"]),
        _wheel(tmp_path, "lib", "1.2", []),
    ]
    assert _notes(tmp_path, "app==1.0\nlib==1.2\n", items) == ""


def test_dependencies_the_file_does_not_pin_are_named(tmp_path: Path) -> None:
    items = [
        _wheel(
            tmp_path,
            "app",
            "1.0",
            [
                "lib>=2",  # pinned, but at a version this excludes
                "missing",
                "win-only; sys_platform == 'win32'",
                "socks-lib; extra == 'socks'",
                "docs-lib; extra == 'docs'",
            ],
        ),
        _wheel(tmp_path, "lib", "1.2", []),
    ]
    notes = _notes(tmp_path, "app[socks]==1.0\nlib==1.2\n", items)
    assert "app==1.0 requires lib>=2, missing, socks-lib (pin them" in notes
    assert "win-only" not in notes and "docs-lib" not in notes


def test_pins_whose_dependencies_cannot_be_read_are_named(tmp_path: Path) -> None:
    sdist_only = PlanItem("old", "0.1", filename="old-0.1.tar.gz", url="file:///nowhere.tar.gz")
    items = [_wheel(tmp_path, "nometa", "1.0", None), sdist_only]
    notes = _notes(tmp_path, "nometa==1.0\nold==0.1\n", items)
    assert "dependencies of nometa==1.0, old==0.1 not checked" in notes
