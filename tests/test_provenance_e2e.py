"""Publisher provenance (issue 18, item 2): a local index serves a real wheel with its real
PEP 740 provenance; ``safe-pip install`` verifies it offline and compares the publisher with
the project's first-seen one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safe_pip.pipeline.project_history import ProjectHistory
from support.attestations import (
    CIRCLECI_NAME,
    CIRCLECI_VERSION,
    CIRCLECI_WHEEL,
    OTHER_PROVENANCE,
    AssetsUnavailable,
    attestation_assets,
)
from support.guarded import Guarded
from support.outcomes import output
from support.uv_helpers import SKIP_WITHOUT_UV, safe_uv_pip_install
from support.venvs import BUNDLED

pytestmark = pytest.mark.integration
pytest.importorskip("pypi_attestations", reason="the provenance extra is not installed")

PIN = f"{CIRCLECI_NAME}=={CIRCLECI_VERSION}"


@pytest.fixture(scope="module")
def assets() -> Path:
    try:
        return attestation_assets()
    except AssetsUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def _history(guarded: Guarded) -> ProjectHistory:
    return ProjectHistory.open(Path(guarded.env["SAFE_PIP_CACHE_DIR"]) / "project-history.sqlite")


def _publish(guarded: Guarded, assets: Path, provenance: str | None) -> None:
    guarded.index.add_file(
        CIRCLECI_NAME,
        CIRCLECI_VERSION,
        CIRCLECI_WHEEL,
        (assets / CIRCLECI_WHEEL).read_bytes(),
        provenance=(assets / provenance).read_bytes() if provenance else None,
    )


def test_a_verified_publisher_is_recorded_and_a_changed_one_blocks(
    guarded: Guarded, assets: Path
) -> None:
    _publish(guarded, assets, CIRCLECI_WHEEL + ".provenance")
    first = guarded.install(guarded.venv(BUNDLED), PIN)
    assert first.returncode == 0, output(first)
    with _history(guarded) as history:
        recorded = history.first_publisher(CIRCLECI_NAME)
    assert recorded is not None and "kind=CircleCI" in recorded.values, output(first)
    assert any("sign-and-publish-examples" in value for value in recorded.values)

    with _history(guarded) as history:  # as if the project had come from elsewhere first
        history.close()
        history.path.unlink()
        history.record_publishers(
            {CIRCLECI_NAME: ("0.0.1.dev1", ("kind=GitHub", "repository=someone/else"))}
        )
    python = guarded.venv(BUNDLED)
    result = guarded.install(python, PIN)
    assert result.returncode == 1, output(result)
    assert "PUBLISHER-CHANGED" in result.stdout, output(result)
    assert guarded.installed(python) == {}


def test_an_attestation_of_another_file_blocks(guarded: Guarded, assets: Path) -> None:
    _publish(guarded, assets, OTHER_PROVENANCE)
    python = guarded.venv(BUNDLED)
    result = guarded.install(python, PIN)
    assert result.returncode == 1, output(result)
    assert "ATTESTATION-INVALID" in result.stdout, output(result)
    assert guarded.installed(python) == {}


def test_a_release_without_attestation_after_attested_ones_warns(
    guarded: Guarded, assets: Path
) -> None:
    _publish(guarded, assets, None)
    with _history(guarded) as history:
        history.record_publishers(
            {CIRCLECI_NAME: ("0.0.1.dev1", ("kind=CircleCI", "project_id=x"))}
        )
    python = guarded.venv(BUNDLED)
    result = guarded.install(python, PIN)
    assert result.returncode == 0, output(result)
    assert "ATTESTATION-DROPPED" in result.stdout, output(result)
    blocking = guarded.install(
        guarded.venv(BUNDLED), PIN, env=guarded.env_with(SAFE_PIP_ATTESTATION_DROPPED="block")
    )
    assert blocking.returncode == 1, output(blocking)


@SKIP_WITHOUT_UV
def test_safe_uv_checks_provenance_before_uv_installs(guarded: Guarded, assets: Path) -> None:
    _publish(guarded, assets, OTHER_PROVENANCE)
    python = guarded.venv(BUNDLED)
    result = safe_uv_pip_install(python, guarded.index, guarded.env, PIN)
    assert result.returncode == 1, output(result)
    assert "ATTESTATION-INVALID" in result.stdout, output(result)
    assert guarded.installed(python) == {}
