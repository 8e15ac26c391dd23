"""Every network wait ends (issue 8, reproduction 4).

An index that sends one byte every few seconds never trips a per-read timeout; safe-pip was
still waiting after 60 s. Now each page has an overall deadline and so has the run, ending
in exit 3 naming the URL. The slow-drip index stops dripping by itself.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.errors import IndexUnreachableError
from safe_pip.index.client import fetch_index_files
from support.index_server import LocalIndex
from support.outcomes import assert_one_line_error

SafePip = Callable[..., subprocess.CompletedProcess[str]]
SECONDS_PER_BYTE = 1.0
DRIP_STOPS_AFTER = 40.0  # far longer than any deadline below, short enough to end by itself

pytestmark = pytest.mark.integration


@pytest.fixture
def dripping_index(local_index: LocalIndex) -> LocalIndex:
    local_index.add("cleanlib", "1.0")
    local_index.drip_simple_api(SECONDS_PER_BYTE, stop_after=DRIP_STOPS_AFTER)
    return local_index


def test_a_page_that_drips_ends_at_the_request_deadline(dripping_index: LocalIndex) -> None:
    started = time.monotonic()
    with pytest.raises(IndexUnreachableError) as caught:
        fetch_index_files([dripping_index.url], ["cleanlib"], request_deadline=3)
    assert time.monotonic() - started < 3 + 2 * SECONDS_PER_BYTE + 2
    assert str(caught.value) == (
        f"package index too slow: {dripping_index.url}cleanlib/ "
        "(no complete answer within 3 s (request-deadline))"
    )


def test_all_pages_together_end_at_the_run_deadline(dripping_index: LocalIndex) -> None:
    started = time.monotonic()
    with pytest.raises(IndexUnreachableError, match=r"within 2 s \(run-deadline\)"):
        fetch_index_files(
            [dripping_index.url], ["cleanlib", "other"], request_deadline=30, run_deadline=2
        )
    assert time.monotonic() - started < 2 + 2 * SECONDS_PER_BYTE + 2


def test_check_against_a_dripping_index_exits_3_naming_the_url(
    dripping_index: LocalIndex, isolated_env: dict[str, str], safe_pip: SafePip, tmp_path: Path
) -> None:
    from support.scenario import build_advisory_db

    build_advisory_db(isolated_env)
    (hosted,) = dripping_index.hosted_files("cleanlib")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"--index-url {dripping_index.url}\ncleanlib==1.0 --hash=sha256:{hosted.sha256}\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    result = safe_pip("check", requirements, env={**isolated_env, "SAFE_PIP_REQUEST_DEADLINE": "3"})
    line = assert_one_line_error(result, 3)
    assert time.monotonic() - started < 15
    assert f"{dripping_index.url}cleanlib/" in line and "request-deadline" in line


def test_an_advisory_download_that_drips_ends_at_the_download_deadline(
    dripping_index: LocalIndex, tmp_path: Path
) -> None:
    from safe_pip.advisories.feeds import fetch_source
    from safe_pip.errors import DatabaseError

    def new_temporary(suffix: str) -> Path:
        return tmp_path / f"download{suffix}"

    started = time.monotonic()
    with pytest.raises(DatabaseError, match=r"within 2 s \(download deadline\)"):
        fetch_source(f"{dripping_index.url}cleanlib/", None, new_temporary, deadline_seconds=2.0)
    assert time.monotonic() - started < 2 + 2 * SECONDS_PER_BYTE + 2
