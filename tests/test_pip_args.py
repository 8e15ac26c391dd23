"""``pip_args.parse_install_args``: which arguments go to the dry run and to the vetted install."""

from __future__ import annotations

import pytest

from safe_pip.installers.pip.args import parse_install_args
from safe_pip.installers.pip.options import needs_separate_value


def test_plain_requirements_go_to_the_dry_run_only() -> None:
    args = parse_install_args(["demo>=1", "helper"])
    assert args.dry_run_args == ("demo>=1", "helper")
    assert args.passthrough_args == ()
    assert args.requirements == ("demo>=1", "helper")


def test_requirement_inputs_and_resolution_options_are_not_passed_through() -> None:
    args = parse_install_args(
        [
            "-r",
            "req.txt",
            "--constraint=c.txt",
            "-e",
            "./proj",
            "-U",
            "--upgrade-strategy",
            "eager",
            "--pre",
            "--no-deps",
            "--require-hashes",
            "pkg",
        ]
    )
    assert args.dry_run_args == args.args
    assert args.passthrough_args == ()
    assert args.requirement_files == ("req.txt",)
    assert args.constraint_files == ("c.txt",)
    assert args.editables == ("./proj",)
    assert args.requirements == ("pkg",)


def test_index_options_go_to_both_in_order() -> None:
    args = parse_install_args(
        [
            "-i",
            "http://one/simple/",
            "--extra-index-url=http://two/simple/",
            "--extra-index-url",
            "http://three/simple/",
            "--trusted-host",
            "one",
            "-f",
            "/wheels",
            "demo",
        ]
    )
    assert args.index_urls == ["http://one/simple/", "http://two/simple/", "http://three/simple/"]
    assert args.find_links == ("/wheels",)
    assert args.passthrough_args == args.args[:-1]
    assert args.dry_run_args == args.args


def test_extra_index_urls_without_index_url() -> None:
    args = parse_install_args(["--extra-index-url", "http://two/simple/", "demo"])
    assert args.index_url is None
    assert args.index_urls == ["http://two/simple/"]


def test_no_index_and_location_options() -> None:
    args = parse_install_args(
        ["--no-index", "--target", "/t", "--prefix=/p", "--root", "/r", "--user", "x"]
    )
    assert args.no_index is True
    assert (args.target, args.prefix, args.root, args.user) == ("/t", "/p", "/r", True)
    assert args.passthrough_args == args.args[:-1]


def test_no_user_cancels_user() -> None:
    assert parse_install_args(["--user", "--no-user", "x"]).user is False
    assert parse_install_args(["--no-user", "--user", "x"]).user is True


def test_build_and_install_options_are_passed_through() -> None:
    given = [
        "--no-build-isolation",
        "--use-pep517",
        "-C",
        "key=value",
        "--config-settings=other=1",
        "--only-binary",
        ":all:",
        "--no-binary=foo",
        "--prefer-binary",
        "--break-system-packages",
        "--no-warn-script-location",
        "--no-warn-conflicts",
        "--no-compile",
        "--no-cache-dir",
        "--force-reinstall",
        "-I",
        "--python-version",
        "3.9",
        "--platform",
        "any",
        "--implementation",
        "cp",
        "--abi",
        "none",
        "--isolated",
        "--exists-action",
        "w",
        "--timeout",
        "5",
        "--retries",
        "1",
        "--proxy",
        "http://proxy:3128",
        "--cert",
        "/ca.pem",
        "--client-cert",
        "/client.pem",
    ]
    args = parse_install_args([*given, "demo"])
    assert args.passthrough_args == tuple(given)
    assert args.dry_run_args == (*given, "demo")
    assert args.isolated is True


def test_report_dry_run_and_python_are_dropped_and_remembered() -> None:
    args = parse_install_args(
        ["--dry-run", "--report", "out.json", "--python=/usr/bin/python3", "demo"]
    )
    assert args.dry_run_args == ("demo",)
    assert args.passthrough_args == ()
    assert args.dry_run is True
    assert args.report_path == "out.json"
    assert args.python == "/usr/bin/python3"


def test_verbosity_goes_to_the_vetted_install_only() -> None:
    args = parse_install_args(["-v", "--quiet", "demo"])
    assert args.dry_run_args == ("demo",)
    assert args.passthrough_args == ("-v", "--quiet")


def test_short_option_clusters() -> None:
    args = parse_install_args(["-qq", "-Ur", "req.txt", "-rother.txt", "-Iv", "demo"])
    assert args.requirement_files == ("req.txt", "other.txt")
    assert args.passthrough_args == ("-q", "-q", "-I", "-v")
    assert args.dry_run_args == ("-U", "-r", "req.txt", "-r", "other.txt", "-I", "demo")


def test_unique_prefix_of_a_long_option_is_recognised_like_optparse() -> None:
    args = parse_install_args(["--force-re", "--index-u", "http://one/simple/", "demo"])
    assert args.index_url == "http://one/simple/"
    assert args.passthrough_args == ("--force-re", "--index-u", "http://one/simple/")
    assert args.dry_run_args == args.args


def test_ambiguous_prefix_is_left_to_pip() -> None:
    args = parse_install_args(["--upgr", "--no-dep", "demo"])  # optparse: ambiguous
    assert args.unknown_options == ("--upgr", "--no-dep")
    assert "--upgr" in args.dry_run_args
    assert "--upgr" in args.passthrough_args


def test_unknown_options_are_kept_for_pip_to_judge() -> None:
    args = parse_install_args(["--frobnicate=3", "-Z", "demo"])
    assert args.unknown_options == ("--frobnicate=3", "-Z")
    assert args.dry_run_args == ("--frobnicate=3", "-Z", "demo")
    assert args.passthrough_args == ("--frobnicate=3", "-Z")


def test_missing_option_value_is_left_to_pip() -> None:
    args = parse_install_args(["demo", "--index-url"])
    assert args.index_url is None
    assert args.dry_run_args == ("demo", "--index-url")


def test_flag_with_inline_value_is_left_to_pip() -> None:
    args = parse_install_args(["--no-deps=1", "demo"])
    assert args.unknown_options == ("--no-deps=1",)


def test_double_dash_ends_options() -> None:
    args = parse_install_args(["-q", "--", "-weird-name"])
    assert args.requirements == ("-weird-name",)
    assert args.dry_run_args == ("--", "-weird-name")
    assert args.passthrough_args == ("-q",)


@pytest.mark.parametrize("spelling", ["-h", "--help"])
def test_help_is_noticed(spelling: str) -> None:
    args = parse_install_args([spelling])
    assert args.help_requested is True
    assert args.dry_run_args == ()


def test_result_is_frozen_and_keeps_the_original_arguments() -> None:
    args = parse_install_args(["-q", "demo"])
    assert args.args == ("-q", "demo")
    with pytest.raises(AttributeError):
        args.no_index = True  # type: ignore[misc]


def test_requirement_inputs_are_constraints_then_requirements() -> None:
    args = parse_install_args(["-r", "a.txt", "-c", "c.txt", "--requirement=b.txt"])
    assert args.requirement_inputs == ["c.txt", "a.txt", "b.txt"]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("--log", True),
        ("--log=pip.log", False),
        ("--cache", True),  # unique prefix of --cache-dir, as optparse reads it
        ("-q", False),
        ("-qr", True),
        ("-rreq.txt", False),
        ("--isolated", False),
        ("--no-such-option", False),
    ],
)
def test_options_that_take_the_next_argument(token: str, expected: bool) -> None:
    assert needs_separate_value(token) is expected
