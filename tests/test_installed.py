"""The plan of an installed environment, read by the target interpreter itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from safe_pip.errors import UsageError
from safe_pip.models import ArtifactSource
from safe_pip.producers.installed import installed_plan
from support.venvs import venv_site_packages

pytestmark = pytest.mark.integration


def test_every_distribution_is_listed_with_normalized_names(target_venv: Path) -> None:
    site_packages = venv_site_packages(target_venv.parent.parent)
    dist_info = site_packages / "My_Odd.Package-2.5.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: My_Odd.Package\nVersion: 2.5\n"
    )
    plan = installed_plan(str(target_venv))
    by_name = {item.name: item for item in plan}
    assert by_name["my-odd-package"].version == "2.5"
    assert "pip" in by_name
    assert all(item.source is ArtifactSource.INSTALLED and item.sha256 is None for item in plan)
    assert [item.name for item in plan] == sorted(by_name)


def test_the_working_directory_is_not_part_of_the_environment(
    target_venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stray = tmp_path / "Stray-1.0.dist-info"
    stray.mkdir()
    (stray / "METADATA").write_text("Metadata-Version: 2.1\nName: Stray\nVersion: 1.0\n")
    monkeypatch.chdir(tmp_path)
    assert "stray" not in {item.name for item in installed_plan(str(target_venv))}


def test_a_missing_interpreter_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such interpreter"):
        installed_plan(str(tmp_path / "python"))
