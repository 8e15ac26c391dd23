"""Typosquats end to end (issue 18, item 3): a typed name close to a popular project's warns;
with ``typosquat = "block"`` the guard's gate stops pip before it downloads anything."""

from __future__ import annotations

import pytest

from support.guarded import Guarded
from support.outcomes import output

pytestmark = pytest.mark.integration


def test_a_typed_typosquat_warns_and_blocks_before_download_when_configured(
    guarded: Guarded,
) -> None:
    guarded.index.add("termncolor", "1.0")
    python = guarded.venv()

    blocked = guarded.install(
        python, "termncolor", env=guarded.env_with(SAFE_PIP_TYPOSQUAT="block")
    )
    assert blocked.returncode == 1, output(blocked)
    assert "TYPOSQUAT" in blocked.stdout and "'termcolor'" in blocked.stdout, output(blocked)
    assert not [path for path in guarded.index.requests if path.startswith("/files/")]
    assert guarded.installed(python) == {}

    warned = guarded.install(python, "termncolor")
    assert warned.returncode == 0, output(warned)
    assert "TYPOSQUAT" in warned.stdout, output(warned)
    assert guarded.installed(python) == {"termncolor": "1.0"}
