"""safe-pip's own options are taken out of a pip command line; everything else stays."""

from __future__ import annotations

import argparse

import pytest

from safe_pip.commands.own_options import (
    add_policy_options,
    own_options_from_parsed,
    split_own_options,
    take_python_option,
)
from safe_pip.errors import UsageError


def test_own_options_are_taken_out_and_pip_options_keep_their_order() -> None:
    own, rest = split_own_options(
        [
            "-i",
            "http://127.0.0.1:1/simple/",
            "--python=/venv/bin/python",
            "--warn-only",
            "requests",
            "--allow",
            "six",
            "--ignore-vuln",
            "PYSEC-1:reason",
            "--format",
            "json",
            "-r",
            "req.txt",
        ]
    )
    assert rest == ["-i", "http://127.0.0.1:1/simple/", "requests", "-r", "req.txt"]
    assert own.python == "/venv/bin/python"
    assert own.warn_only is True
    assert own.allow == ["six"]
    assert own.ignore_vuln == ["PYSEC-1:reason"]
    assert own.output_format == "json"


def test_everything_after_a_double_dash_belongs_to_the_installer() -> None:
    own, rest = split_own_options(["pkg", "--", "--allow", "x"])
    assert rest == ["pkg", "--", "--allow", "x"]
    assert own.allow == []


@pytest.mark.parametrize(
    "args",
    [["--format", "yaml"], ["--fail-mode", "sometimes"], ["--allow"]],
)
def test_bad_own_option_values_are_usage_errors(args: list[str]) -> None:
    with pytest.raises(UsageError):
        split_own_options(args)


def test_pass_through_commands_keep_pips_own_format_option() -> None:
    python, rest = take_python_option(["list", "--format", "json", "--python", "/p"])
    assert python == "/p"
    assert rest == ["list", "--format", "json"]


def test_check_reads_the_policy_options_from_the_same_table_as_install() -> None:
    parser = argparse.ArgumentParser()
    add_policy_options(parser)
    args = ["--format", "json", "--warn-only", "--ignore-vuln", "X-1:why", "--allow", "six"]
    args += ["--fail-mode", "open"]
    from_argparse = own_options_from_parsed(parser.parse_args(args))
    assert from_argparse == split_own_options(args)[0]
    assert from_argparse.policy().fails_open


def test_an_own_flag_given_a_value_is_left_to_the_installer() -> None:
    own, rest = split_own_options(["--warn-only=yes", "pkg"])
    assert own.warn_only is None
    assert rest == ["--warn-only=yes", "pkg"]
