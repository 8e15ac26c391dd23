"""uv plan details: which file of a package is installed, uv's error lines, finding uv."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from safe_pip.errors import PipError, UsageError
from safe_pip.installers.uv.plan import _plan_item, find_uv, uv_error_line, uv_failure
from safe_pip.installers.uv.vetted_lock import write_vetted_lock
from safe_pip.models import ArtifactSource, PlanItem
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


FILES = "http://127.0.0.1:9/files/"
PURE_WHEEL = (
    f'{{ url = "{FILES}a-1.0-py3-none-any.whl", upload-time = 2026-01-02T03:04:05Z, '
    'hashes = { sha256 = "22" } }'
)
LINUX_WHEEL = (
    f'{{ url = "{FILES}a-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", '
    'hashes = { sha256 = "33" } }'
)
UV_PYLOCK = f"""\
lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.9"

[[packages]]
name = "a"
version = "1.0"
sdist = {{ url = "{FILES}a-1.0.tar.gz", hashes = {{ sha256 = "11" }} }}
wheels = [
  {PURE_WHEEL},
  {LINUX_WHEEL},
]

[[packages]]
name = "b"
version = "2.0"
sdist = {{ url = "{FILES}b-2.0.tar.gz", size = 7, hashes = {{ sha256 = "44" }} }}

[[packages]]
name = "tree"
directory = {{ path = "tree", editable = true }}

[[packages]]
name = "gone"
version = "1.0"
wheels = [{{ url = "{FILES}gone-1.0-py3-none-any.whl", hashes = {{ sha256 = "55" }} }}]
"""


def test_the_vetted_lock_lists_exactly_the_checked_file_of_each_planned_package(
    tmp_path: Path,
) -> None:
    lock_file = tmp_path / "pylock.toml"
    lock_file.write_text(UV_PYLOCK)
    checked = [
        PlanItem("a", "1.0", filename="a-1.0-py3-none-any.whl", sha256="22"),
        PlanItem("b", "2.0", filename="b-2.0.tar.gz", sha256="44"),
        PlanItem("tree", "unknown", ArtifactSource.EDITABLE),
    ]
    write_vetted_lock(lock_file, checked, "http://127.0.0.1:9/simple/")
    document = tomllib.loads(lock_file.read_text())
    assert document["lock-version"] == "1.0"
    packages = {package["name"]: package for package in document["packages"]}
    assert set(packages) == {"a", "b", "tree"}  # what was not checked is not installed
    assert packages["a"]["wheels"] == [
        {
            "url": "http://127.0.0.1:9/files/a-1.0-py3-none-any.whl",
            "upload-time": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            "hashes": {"sha256": "22"},
        }
    ]
    assert "sdist" not in packages["a"]
    assert packages["b"]["sdist"]["hashes"] == {"sha256": "44"} and "wheels" not in packages["b"]
    assert packages["tree"]["directory"] == {"path": "tree", "editable": True}
    # uv finds an index file in its cache only when the package names its index
    assert packages["a"]["index"] == packages["b"]["index"] == "http://127.0.0.1:9/simple/"
    assert "index" not in packages["tree"]


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


def test_a_uv_without_build_hash_pinning_is_named_as_too_old() -> None:
    stderr = (
        "error: unexpected argument '--require-build-hashes' found\n\n"
        "  tip: a similar argument exists: '--require-hashes'\n"
    )
    failure = uv_failure(stderr)
    assert isinstance(failure, UsageError)
    assert "--require-build-hashes" in str(failure) and "0.13.9 or newer" in str(failure)


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
