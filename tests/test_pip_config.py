"""``pip_config``: pip's network settings (CA bundle, client certificate, proxy, trusted hosts),
asked of the real target pip (bundled and newest). The index URLs are tested in
``test_pip_plan.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from safe_pip.index.settings import IndexSettings
from safe_pip.installers.pip.args import parse_install_args
from safe_pip.installers.pip.config import (
    effective_index_settings,
    index_settings_from_answer,
    start_effective_index_urls,
)
from support.venvs import BUNDLED, NEWEST

INDEX = "http://127.0.0.1:1/simple/"


@pytest.fixture(params=[BUNDLED, NEWEST])
def python(request: pytest.FixtureRequest, pip_venv: Callable[[str], Path]) -> str:
    """A fresh venv's interpreter, once with the bundled pip and once with the newest pip."""
    return str(pip_venv(request.param))


def _pip_has_no_proxy_env(python: str) -> bool:
    """Newer pips (with ``--no-proxy-env``) ignore environment proxies once --proxy is set."""
    from support.isolation import run

    code = "import pip._internal.cli.cmdoptions as o; print(hasattr(o, 'no_proxy_env'))"
    return run([python, "-c", code], {}, check=True).stdout.strip() == "True"


@pytest.mark.integration
def test_network_options_from_the_command_line(
    python: str, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    args = parse_install_args(
        [
            "--index-url", INDEX,
            "--cert", str(tmp_path / "ca.pem"),
            "--client-cert", str(tmp_path / "client.pem"),
            "--proxy", "http://127.0.0.1:3128",
            "--trusted-host", "127.0.0.1:8443",
            "--trusted-host", "mirror.invalid",
            "demo",
        ]
    )  # fmt: skip
    with start_effective_index_urls(python, args, isolated_env) as pending:
        settings = pending.result()
        assert list(settings.index_urls) == [INDEX]  # the old answer is unchanged
    assert settings == IndexSettings(
        index_urls=(INDEX,),
        cert=str(tmp_path / "ca.pem"),
        client_cert=str(tmp_path / "client.pem"),
        proxy="http://127.0.0.1:3128",
        trusted_hosts=("127.0.0.1:8443", "mirror.invalid"),
        trust_env=not _pip_has_no_proxy_env(python),
    )


@pytest.mark.integration
def test_network_settings_from_environment_and_config_file(
    python: str, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nproxy = 127.0.0.1:3128\nclient-cert = /conf/client.pem\n")
    env = dict(
        isolated_env,
        PIP_CONFIG_FILE=str(config),
        PIP_CERT=str(tmp_path / "env-ca.pem"),
        PIP_TRUSTED_HOST="127.0.0.1 mirror.invalid:8443",
    )
    settings = effective_index_settings(python, parse_install_args(["-i", INDEX, "demo"]), env)
    assert settings.cert == str(tmp_path / "env-ca.pem")
    assert settings.client_cert == "/conf/client.pem"
    assert settings.proxy == "127.0.0.1:3128"
    assert settings.trusted_hosts == ("127.0.0.1", "mirror.invalid:8443")
    assert settings.index_urls == (INDEX,)


@pytest.mark.integration
def test_defaults_without_network_settings(python: str, isolated_env: dict[str, str]) -> None:
    settings = effective_index_settings(
        python, parse_install_args(["-i", INDEX, "x"]), isolated_env
    )
    assert settings == IndexSettings(index_urls=(INDEX,))


@pytest.mark.integration
def test_isolated_ignores_pip_cert_from_the_environment(
    target_venv: Path, isolated_env: dict[str, str]
) -> None:
    env = dict(isolated_env, PIP_CERT="/env/ca.pem")
    args = parse_install_args(["--isolated", "-i", INDEX, "demo"])
    assert effective_index_settings(str(target_venv), args, env).cert is None
    args = parse_install_args(["-i", INDEX, "demo"])
    assert effective_index_settings(str(target_venv), args, env).cert == "/env/ca.pem"


@pytest.mark.integration
def test_no_proxy_env_turns_environment_proxies_off(
    newest_pip_venv: Path, isolated_env: dict[str, str]
) -> None:
    python = str(newest_pip_venv)
    if not _pip_has_no_proxy_env(python):
        pytest.skip("the newest pip here has no --no-proxy-env")
    args = parse_install_args(["-i", INDEX, "--no-proxy-env", "demo"])
    assert effective_index_settings(python, args, isolated_env).trust_env is False


@pytest.mark.integration
def test_trusted_hosts_in_requirement_files_are_added(
    target_venv: Path, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    requirements = tmp_path / "r.txt"
    requirements.write_text("--trusted-host files.invalid\n--trusted-host 127.0.0.1\nx\n")
    args = parse_install_args(["-i", INDEX, "--trusted-host", "127.0.0.1", "-r", str(requirements)])
    settings = effective_index_settings(str(target_venv), args, isolated_env)
    assert settings.trusted_hosts == ("127.0.0.1", "files.invalid")


@pytest.mark.integration
def test_no_index_needs_no_network_settings(target_venv: Path) -> None:
    args = parse_install_args(["--no-index", "--cert", "/ca.pem", "x"])
    assert effective_index_settings(str(target_venv), args) == IndexSettings()


def test_fallback_reads_the_configuration_and_the_command_line() -> None:
    """The lookup script's second strategy, when pip's command parser is not importable."""
    answer = {
        "parser_error": "ImportError()",
        "config": {
            "index_url": None,
            "extra_index_urls": [],
            "no_index": False,
            "cert": "/conf/ca.pem",
            "client_cert": "/conf/client.pem",
            "proxy": None,
            "trusted_hosts": ["conf.invalid"],
        },
        "default_index_url": "http://default/simple",
    }
    args = parse_install_args(
        ["--cert=/cli/ca.pem", "--proxy", "127.0.0.1:3128", "--trusted-host", "cli.invalid", "x"]
    )
    assert index_settings_from_answer(answer, args) == IndexSettings(
        index_urls=("http://default/simple",),
        cert="/cli/ca.pem",
        client_cert="/conf/client.pem",
        proxy="127.0.0.1:3128",
        trusted_hosts=("conf.invalid", "cli.invalid"),
    )
    args = parse_install_args(["--no-proxy-env", "x"])
    assert index_settings_from_answer(answer, args).trust_env is False


@pytest.mark.integration
def test_without_arguments_the_light_parser_reads_what_pips_install_command_reads(
    python: str, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    """``safe-pip check`` asks with no install arguments: pip's option groups are built
    without loading the install command, and read the same config file and environment."""
    import json

    from safe_pip.installers.pip.config import _LOOKUP_SCRIPT
    from support.isolation import run

    config = tmp_path / "pip.conf"
    config.write_text(
        "[global]\ncert = /etc/ca.pem\ntrusted-host = mirror.internal\n"
        "[install]\nextra-index-url = https://extra.internal/simple/\n"
    )
    env = dict(
        isolated_env,
        PIP_CONFIG_FILE=str(config),
        PIP_INDEX_URL="https://main.internal/simple/",
        PIP_PROXY="proxy.internal:3128",
        PIP_CLIENT_CERT="/etc/client.pem",
    )
    probe = "\nimport sys as s; s.stderr.write(str('pip._internal.commands.install' in s.modules))"

    def answer(argv: list[str]) -> tuple[dict[str, object], str]:
        result = run([python, "-c", _LOOKUP_SCRIPT + probe, json.dumps(argv)], env, check=True)
        parsed: dict[str, object] = json.loads(result.stdout)["parsed"]
        return parsed, result.stderr.strip()

    light, light_loaded_install = answer([])
    full, full_loaded_install = answer(["--no-deps"])

    assert light == full
    assert light["index_url"] == "https://main.internal/simple/"
    assert light["extra_index_urls"] == ["https://extra.internal/simple/"]
    assert light["trusted_hosts"] == ["mirror.internal"]
    assert (light["cert"], light["client_cert"]) == ("/etc/ca.pem", "/etc/client.pem")
    assert (light_loaded_install, full_loaded_install) == ("False", "True")
