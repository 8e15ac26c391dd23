"""How and where a verdict is reported: a module of its own, so that a front end can decide
where the installer's output goes before it imports the reporting code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportOptions:
    """How and where a verdict is reported, and what it is about."""

    output_format: str = "text"
    output_file: str | None = None  # --output: the report goes there, a text one to stdout
    audit: bool = False  # safe-pip check: nothing is being installed
    environment: str | None = None  # the environment installed into or audited, for people
    sources: tuple[str, ...] = ()  # the files that were checked (SARIF locations)

    @property
    def machine_stdout(self) -> bool:
        """Whether stdout carries a machine-readable document (installer output must not)."""
        return self.output_format != "text" and self.output_file is None
