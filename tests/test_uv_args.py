"""How ``uv pip install``/``sync`` arguments are split between planning and installing."""

from __future__ import annotations

import pytest

from safe_pip.errors import UsageError
from safe_pip.uv_args import parse_uv_install_args


def test_inputs_target_and_steps_are_classified() -> None:
    args = parse_uv_install_args(
        [
            "app>=1",
            "-r",
            "reqs.txt",
            "-e./local",
            "-p",
            "/venv/bin/python",
            "--index-url=http://127.0.0.1:9/simple/",
            "-c",
            "constraints.txt",
            "--reinstall",
            "--target",
            "out",
            "-qq",
            "--require-hashes",
        ]
    )
    assert args.requirements == ("app>=1",)
    assert args.requirement_files == ("reqs.txt",)
    assert args.editables == ("./local",)
    assert args.python == "/venv/bin/python"
    assert args.target_args == ["--python", "/venv/bin/python"]
    assert args.plan_args == (
        "--index-url",
        "http://127.0.0.1:9/simple/",
        "--constraints",
        "constraints.txt",
    )
    assert args.install_args == (
        "--index-url",
        "http://127.0.0.1:9/simple/",
        "--reinstall",
        "--target",
        "out",
        "-qq",
    )
    assert args.shared_args == ("--index-url", "http://127.0.0.1:9/simple/")
    assert args.location_args == ("--target", "out")
    assert not args.upgrade


def test_system_upgrade_check_and_help_flags() -> None:
    args = parse_uv_install_args(["--system", "-U", "x", "--check"])
    assert args.system and args.upgrade and args.check_only
    assert args.target_args == ["--system"]
    assert parse_uv_install_args(["-h"]).help_requested


def test_everything_after_double_dash_is_a_requirement() -> None:
    assert parse_uv_install_args(["--", "-weird-name"]).requirements == ("-weird-name",)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mystery"], "does not know the uv option --mystery"),
        (["--index-url"], "needs a value"),
        (["--no-deps=yes"], "takes no value"),
    ],
)
def test_bad_options_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_uv_install_args(args)
