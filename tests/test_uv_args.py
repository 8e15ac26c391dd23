"""How ``uv pip install``/``sync`` arguments are split between planning and installing."""

from __future__ import annotations

from pathlib import Path

import pytest

from safe_pip.errors import UsageError
from safe_pip.installers.uv.args import parse_uv_install_args, uv_index_settings


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


def test_insecure_hosts_from_options_in_every_form_else_from_uv_insecure_host() -> None:
    args = [
        "--allow-insecure-host",
        "a.example:8443",
        "--trusted-host=b.example",
        "--allow-insecure-host",
        "https://[::1]:9443/simple",
    ]
    env = {"UV_INSECURE_HOST": "ignored.example"}
    assert uv_index_settings(args, env).trusted_hosts == (
        "a.example:8443",
        "b.example",
        "[::1]:9443",
    )
    from_env = uv_index_settings([], {"UV_INSECURE_HOST": "c.example  d.example:1"})
    assert from_env.trusted_hosts == ("c.example", "d.example:1")
    assert from_env.trust_env is True and from_env.proxy is None


def test_ca_bundle_precedence_and_system_certs(tmp_path: Path) -> None:
    bundle, option, client = (tmp_path / n for n in ("env.pem", "option.pem", "client.pem"))
    for path in (bundle, option, client):
        path.write_text("")
    env = {"SSL_CERT_FILE": str(bundle), "SSL_CLIENT_CERT": str(client), "PIP_CERT": "/x"}
    assert uv_index_settings([], env).cert == str(bundle)
    assert uv_index_settings([], env).client_cert == str(client)
    assert uv_index_settings(["--cert", str(option)], env).cert == str(option)
    assert uv_index_settings(["--native-tls"], env).cert is None
    assert uv_index_settings([], {**env, "UV_SYSTEM_CERTS": "true"}).cert is None
    assert uv_index_settings([], {**env, "UV_NATIVE_TLS": "0"}).cert == str(bundle)
    # uv ignores variables naming files that do not exist; a CA directory also works
    missing = {"SSL_CERT_FILE": str(tmp_path / "nope"), "SSL_CLIENT_CERT": str(tmp_path / "no")}
    assert uv_index_settings([], missing) == uv_index_settings([], {})
    assert uv_index_settings([], {**missing, "SSL_CERT_DIR": str(tmp_path)}).cert == str(tmp_path)


def test_arguments_after_a_double_dash_are_not_options() -> None:
    assert uv_index_settings(["--", "--allow-insecure-host", "x"], {}).trusted_hosts == ()
