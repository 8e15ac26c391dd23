"""The recursion marker (``SAFE_PIP_ACTIVE``): a per-run token that only a direct child of the
issuer can claim, once; anything a script can put into the variable by itself is refused.

Claims run in real child processes of this test (``sys.executable``), because the token is
bound to the issuer's process id."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

import pytest

from safe_pip.hook.runtime import run_token
from support.isolation import run

CLAIM = "from safe_pip.hook.runtime import run_token; print(run_token.claim())"
# The child starts a grandchild that inherits the child's environment as it was at start.
CLAIM_IN_GRANDCHILD = (
    "import os, subprocess, sys; env = dict(os.environ); "
    f"print(subprocess.run([sys.executable, '-c', {CLAIM!r}], env=env, "
    "capture_output=True, text=True).stdout.strip())"
)
# What the child keeps in its environment after the claim.
CLAIM_AND_SHOW_ENV = (
    "import os; from safe_pip.hook.runtime import run_token; "
    "print(run_token.claim(), os.environ.get('SAFE_PIP_ACTIVE'))"
)


def claimed(env: dict[str, str], script: str = CLAIM) -> str:
    return run([sys.executable, "-c", script], env, check=True).stdout.strip()


@pytest.mark.integration
def test_a_direct_child_claims_a_fresh_token_once() -> None:
    with run_token.issue() as token:
        env = token.child_env()
        assert claimed(env) == "True"
        assert claimed(env) == "False"  # single use: a second process gets nothing
        assert not os.path.exists(token.path)


@pytest.mark.integration
def test_the_claim_removes_the_variable_in_every_case() -> None:
    with run_token.issue() as token:
        assert claimed(token.child_env(), CLAIM_AND_SHOW_ENV) == "True None"
    assert claimed(dict(os.environ, SAFE_PIP_ACTIVE="1"), CLAIM_AND_SHOW_ENV) == "False None"


@pytest.mark.integration
def test_a_grandchild_cannot_use_an_inherited_token() -> None:
    with run_token.issue() as token:
        assert claimed(token.child_env(), CLAIM_IN_GRANDCHILD) == "False"


@pytest.mark.integration
def test_a_reusable_token_for_any_descendant() -> None:
    with run_token.issue(direct_child_only=False, single_use=False) as token:
        assert claimed(token.child_env(), CLAIM_IN_GRANDCHILD) == "True"
        assert claimed(token.child_env()) == "True"
    assert not os.path.exists(token.path)  # revoked when the block ended
    assert claimed(token.child_env()) == "False"


@pytest.mark.integration
@pytest.mark.parametrize(
    "forged",
    [
        str(os.getpid()),  # the old marker: the parent's process id
        "1",
        "a" * 64 + "@/nonexistent/safe-pip-run.token",
        "a" * 64,
        "@",
    ],
)
def test_values_a_script_can_write_are_refused(forged: str) -> None:
    assert claimed(dict(os.environ, SAFE_PIP_ACTIVE=forged)) == "False"


@pytest.mark.integration
def test_a_wrong_secret_for_a_real_token_file_is_refused() -> None:
    with run_token.issue() as token:
        path = token.value.partition("@")[2]
        assert claimed(dict(os.environ, SAFE_PIP_ACTIVE="0" * 64 + "@" + path)) == "False"
        assert os.path.exists(token.path)  # a failed attempt does not consume it


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_the_token_file_is_private_and_holds_no_secret() -> None:
    with run_token.issue() as token:
        info = os.stat(token.path)
        assert stat.S_IMODE(info.st_mode) == 0o600
        secret = token.value.partition("@")[0]
        content = Path(token.path).read_text()
        assert secret not in content
        assert hashlib.sha256(secret.encode()).hexdigest() in content


@pytest.mark.integration
@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes and links")
def test_a_readable_or_linked_token_file_is_refused(tmp_path: Path) -> None:
    with run_token.issue() as token:
        os.chmod(token.path, 0o644)
        assert claimed(token.child_env()) == "False"
    with run_token.issue() as token:
        link = tmp_path / "link.token"
        link.symlink_to(token.path)
        secret = token.value.partition("@")[0]
        assert claimed(dict(os.environ, SAFE_PIP_ACTIVE=f"{secret}@{link}")) == "False"


def test_revoke_is_idempotent() -> None:
    token = run_token.issue()
    token.revoke()
    token.revoke()
    assert not os.path.exists(token.path)


def test_without_marker_drops_only_the_marker() -> None:
    env = run_token.without_marker({"SAFE_PIP_ACTIVE": "x", "KEEP": "1"})
    assert env == {"KEEP": "1"}
