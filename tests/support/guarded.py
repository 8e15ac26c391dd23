"""The standard world (``support.scenario``) on the local index, and ways to act on it from
an end-to-end test: ``safe-pip install`` into fresh venvs, and what ended up installed."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from support.index_server import LocalIndex
from support.outcomes import installed
from support.venvs import BUNDLED

SafePip = Callable[..., subprocess.CompletedProcess[str]]
Result = subprocess.CompletedProcess[str]


@dataclass
class Guarded:
    """The standard world (``support.scenario``) and ways to act on it."""

    index: LocalIndex
    env: dict[str, str]
    safe_pip: SafePip
    make_venv: Callable[[str], Path]

    def venv(self, kind: str = BUNDLED) -> Path:
        return self.make_venv(kind)

    def install(self, python: Path, *args: str | Path, **kw: object) -> Result:
        """``safe-pip install --python PYTHON --index-url INDEX ARGS``."""
        return self.safe_pip(
            "install", "--python", python, "--index-url", self.index.url, *args, **kw
        )

    def installed(self, python: Path) -> dict[str, str]:
        return installed(python, self.env)

    def env_with(self, **variables: str) -> dict[str, str]:
        return {**self.env, **variables}
