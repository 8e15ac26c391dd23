"""The hook runtime (stdlib only, copied into the target environment): its copies of
safe-pip's constants and rules are pinned to the originals, and its messages are one line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.utils import canonicalize_name

from safe_pip import exit_codes
from safe_pip.commands.check import read_plan_json
from safe_pip.hook import runtime
from safe_pip.hook.runtime import pip_patch, plan_from_pip, run_token
from safe_pip.index.settings import IndexSettings

NAMES = ["Django", "zope.interface", "Foo__Bar", "a-_.b", "PyYAML", "ruamel.yaml.clib", "x"]


def test_exit_codes_are_safe_pips() -> None:
    assert (pip_patch.BLOCKED, pip_patch.USAGE, pip_patch.CANNOT_CHECK) == (
        exit_codes.BLOCKED,
        exit_codes.USAGE,
        exit_codes.CANNOT_CHECK,
    )


@pytest.mark.parametrize("name", NAMES)
def test_name_normalisation_is_pep_503(name: str) -> None:
    assert plan_from_pip.normalize_name(name) == canonicalize_name(name)


def test_network_fields_are_the_index_settings_fields(tmp_path: Path) -> None:
    options = SimpleNamespace(
        cert="/ca.pem", client_cert=None, proxy=None, trusted_hosts=["h"], no_proxy_env=False
    )
    sent = plan_from_pip.network_from_options(options)
    settings_fields = {field.name for field in dataclasses.fields(IndexSettings)}
    assert set(sent) == settings_fields - {"index_urls"}
    # and ``safe-pip check --plan`` reads every one of them back
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(
        json.dumps({"items": [], "index_urls": ["http://i/simple/"], "network": sent})
    )
    _, _, read_back = read_plan_json(str(plan_file))
    assert read_back == IndexSettings(
        index_urls=("http://i/simple/",), cert="/ca.pem", trusted_hosts=("h",), trust_env=True
    )


def test_the_startup_check_reads_the_run_token_variable() -> None:
    assert runtime.ACTIVE_ENV_VAR == run_token.ENV_VAR


def test_a_plan_error_is_one_line_with_one_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    no_version = SimpleNamespace(
        name="Demo",
        editable=False,
        original_link=None,
        metadata={"Version": ""},
        link=SimpleNamespace(is_vcs=False),
    )
    requirement_set = SimpleNamespace(requirements_to_install=[no_version])
    options = SimpleNamespace(no_index=False, index_url="http://i/simple/", extra_index_urls=[])
    with pytest.raises(pip_patch.HookStop) as stop:
        pip_patch._check(requirement_set, pip_patch._RunState(options), "install")
    assert stop.value.exit_code == exit_codes.CANNOT_CHECK
    assert capsys.readouterr().err == (
        "safe-pip hook: Demo has no version in its metadata; refusing to install.\n"
    )
