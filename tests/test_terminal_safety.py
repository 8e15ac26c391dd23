"""Text from indexes and advisories cannot drive the terminal (issue 8, reproduction 5).

A yanked reason holding ``ESC[1A ESC[2K`` was printed raw, so an index could erase the
BLOCKED lines printed before it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.console import terminal_safe
from safe_pip.models import Action, Category, Decision, Finding, Verdict
from safe_pip.pipeline.report import render_text
from support.index_server import LocalIndex
from support.outcomes import output

SafePip = Callable[..., subprocess.CompletedProcess[str]]
ERASE_LINE_ABOVE = "\x1b[1A\x1b[2K"


@pytest.mark.parametrize(
    "hostile",
    [
        ERASE_LINE_ABOVE,
        "\x1b]0;pwned title\x07",  # OSC: set the window title
        "\x1b]8;;http://evil.invalid\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
        "\x9b2K",  # 8-bit CSI
        "\x1bc",  # full reset
        "a\rb\nc\x08d\x00e\x7f",
        "\u202eevil\u202c",  # right-to-left override
    ],
)
def test_terminal_safe_leaves_no_control_characters(hostile: str) -> None:
    cleaned = terminal_safe(f"before {hostile} after")
    assert cleaned.startswith("before ") and cleaned.endswith(" after")
    assert all(ch.isprintable() for ch in cleaned), repr(cleaned)


def test_terminal_safe_keeps_ordinary_text() -> None:
    text = "Requests < 2.20 sends an Authorization header: fix >=2.20.0 (CVE-2018-18074) é 漢"
    assert terminal_safe(text) == text


def test_text_report_strips_escape_sequences_from_every_field() -> None:
    finding = Finding(
        name=f"pkg{ERASE_LINE_ABOVE}",
        version="1.0",
        category=Category.YANKED,
        id="YANKED",
        summary=f"yanked: {ERASE_LINE_ABOVE}all good",
        fixed_in=f"2{ERASE_LINE_ABOVE}",
    )
    verdict = Verdict(plan=[], decisions=[Decision(finding, Action.BLOCK, f"x{ERASE_LINE_ABOVE}")])
    assert "\x1b" not in render_text(verdict)


@pytest.mark.integration
def test_a_yanked_reason_cannot_erase_earlier_lines(
    local_index: LocalIndex,
    isolated_env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
) -> None:
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    local_index.add("vulnlib", "1.0", yanked=f"{ERASE_LINE_ABOVE}{ERASE_LINE_ABOVE}fine")
    python = pip_venv("bundled")
    # yanked = "block": the gate's report of vulnlib==1.0 has its BLOCKED vulnerability line
    # first and then the yanked line, whose reason would like to erase the lines above it
    result = safe_pip(
        "install",
        "--python",
        python,
        "-i",
        local_index.url,
        "vulnlib==1.0",
        env={**isolated_env, "SAFE_PIP_YANKED": "block"},
    )
    assert result.returncode == 1, output(result)
    assert "\x1b" not in result.stdout + result.stderr, output(result)
    lines = result.stdout.splitlines()
    vulnerable = next(i for i, line in enumerate(lines) if "vulnlib==1.0  vulnerability" in line)
    yanked = next(i for i, line in enumerate(lines) if "vulnlib==1.0  yanked" in line)
    assert vulnerable < yanked and "fine" in lines[yanked], output(result)


@pytest.mark.integration
def test_the_decision_log_is_shown_terminal_safe_and_bad_lines_are_skipped(
    safe_pip: SafePip, isolated_env: dict[str, str]
) -> None:
    from safe_pip.paths import decision_log_path

    env = {**isolated_env, "SAFE_PIP_DATA_DIR": str(Path(isolated_env["HOME"]) / "data")}
    log = Path(env["SAFE_PIP_DATA_DIR"]) / decision_log_path().name
    log.parent.mkdir(parents=True, exist_ok=True)
    entry = {"time": "2026-01-01T00:00:00+00:00", "verdict": "allowed", "exit_code": 0}
    hostile = {**entry, "command": ["pip", f"install {ERASE_LINE_ABOVE}x"]}
    log.write_text(
        "\n".join([json.dumps(entry), "[" * 100_000, json.dumps(hostile)]) + "\n", "utf-8"
    )
    result = safe_pip("log", env=env)
    assert result.returncode == 0, output(result)
    assert "\x1b" not in result.stdout and len(result.stdout.splitlines()) == 2
