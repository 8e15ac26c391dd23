"""uv plan details: which file of a package is installed, uv's error lines, finding uv."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from safe_pip.errors import PipError, UsageError
from safe_pip.installers.uv.install import vetted_lines
from safe_pip.installers.uv.plan import _plan_item, find_uv, uv_error_line, uv_failure
from safe_pip.models import ArtifactSource
from safe_pip.producers.lockfiles.model import LockedArtifact, LockedPackage


def artifact(filename: str, digit: str) -> LockedArtifact:
    return LockedArtifact(filename, f"http://127.0.0.1:9/files/{filename}", digit * 64)


def test_the_most_specific_compatible_wheel_is_planned() -> None:
    package = LockedPackage(
        name="native",
        version="1.0",
        artifacts=(
            artifact("native-1.0.tar.gz", "1"),
            artifact("native-1.0-py3-none-any.whl", "2"),
            artifact("native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "3"),
        ),
    )
    item = _plan_item(package, requested=True)
    assert item.filename == "native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    assert item.sha256 == "3" * 64 and item.requested


def test_an_sdist_is_planned_when_no_wheel_fits() -> None:
    package = LockedPackage(
        name="pure", version="2.0", artifacts=(artifact("pure-2.0.tar.gz", "4"),)
    )
    assert _plan_item(package, requested=False).filename == "pure-2.0.tar.gz"


def test_vetted_lines_pin_files_and_keep_sources_without_hashes(tmp_path: Path) -> None:
    index_item = _plan_item(
        LockedPackage("a", "1.0", artifacts=(artifact("a-1.0-py3-none-any.whl", "5"),)), False
    )
    local = _plan_item(
        LockedPackage("tree", "unknown", ArtifactSource.LOCAL_PATH, location=str(tmp_path)), False
    )
    editable = _plan_item(
        LockedPackage("dev", "unknown", ArtifactSource.EDITABLE, location=str(tmp_path)), False
    )
    lines = vetted_lines([index_item, local, editable], ["--index-url http://127.0.0.1:9/"])
    assert lines[1:] == [
        "--index-url http://127.0.0.1:9/",
        f"a==1.0 --hash=sha256:{'5' * 64}",
        f"tree @ {tmp_path.as_uri()}",
        f"-e {tmp_path}",
    ]


RESOLUTION_FAILURE = """\
Using Python 3.11.7 environment at: venv
error: No solution found when resolving dependencies
  cause: Because only alpha==1.0 is available and you require alpha>5, we can conclude that \
your requirements are unsatisfiable.
"""
PARSE_FAILURE = """\
error: Couldn't parse requirement in `bad.txt` at position 0
  cause: Unexpected end of version specifier, expected version
         alpha===
              ^^^
"""
OLD_STYLE = """\
error: Request failed after 3 retries
  Caused by: Failed to fetch: `http://127.0.0.1:1/simple/alpha/`
  Caused by: Connection refused (os error 111)
"""


def test_error_line_joins_the_error_and_its_root_cause() -> None:
    assert uv_error_line(RESOLUTION_FAILURE) == (
        "No solution found when resolving dependencies: Because only alpha==1.0 is available "
        "and you require alpha>5, we can conclude that your requirements are unsatisfiable."
    )
    assert (
        uv_error_line(OLD_STYLE)
        == "Request failed after 3 retries: Connection refused (os error 111)"
    )
    assert uv_error_line("\x1b[31merror\x1b[0m: x\n") == "x"
    assert uv_error_line("") == "uv failed without a message"


def test_failures_of_the_input_are_usage_errors() -> None:
    assert isinstance(uv_failure(PARSE_FAILURE), UsageError)
    assert isinstance(uv_failure(OLD_STYLE), PipError)
    assert isinstance(uv_failure(RESOLUTION_FAILURE), PipError)


def test_find_uv_prefers_explicit_then_this_environment(tmp_path: Path) -> None:
    fake = tmp_path / "my-uv"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_uv(str(fake)) == str(fake)
    with pytest.raises(UsageError, match="--uv"):
        find_uv(str(tmp_path / "missing"))
    beside = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    if beside.is_file():
        assert find_uv(None, env={"PATH": ""}) == str(beside)
