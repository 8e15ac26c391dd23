"""``safe-pip uv`` reads an HTTPS index with uv's own TLS settings: ``--allow-insecure-host``
/ ``UV_INSECURE_HOST``, ``SSL_CERT_FILE`` and ``SSL_CLIENT_CERT``.

Real uv against the local index behind an HTTPS front with a self-signed certificate.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.index_server import LocalIndex
from support.outcomes import assert_one_line_error, output
from support.scenario import VULN_ID
from support.tls import CertificatePair, HttpsFront, make_certificate, openssl_missing_reason
from support.uv_helpers import SKIP_WITHOUT_UV, installed

SafePip = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = [pytest.mark.integration, SKIP_WITHOUT_UV]
# CA settings the machine may have that would decide the verification instead of the test's.
_MACHINE_CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class SignedServer:
    """A server certificate issued by a private CA: uv (rustls) refuses a self-signed CA
    certificate as the server's own, so ``make_certificate`` alone is not enough here."""

    ca: Path
    pair: CertificatePair


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def make_ca_signed_server(directory: Path) -> SignedServer:
    directory.mkdir(parents=True, exist_ok=True)
    ca = make_certificate(directory, "ca")
    key, request, cert = (
        directory / "server.key",
        directory / "server.csr",
        directory / "server.crt",
    )
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")
    _openssl(
        "req", "-new", "-nodes", *curve, "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1"
    )
    extensions = directory / "server.ext"
    extensions.write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectAltName = IP:127.0.0.1\n"
        "authorityKeyIdentifier = keyid\n"
    )
    _openssl(
        "x509", "-req", "-in", request, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial",
        "-days", "2", "-out", cert, "-extfile", extensions,
    )  # fmt: skip
    combined = directory / "server.pem"
    combined.write_bytes(key.read_bytes() + cert.read_bytes())
    return SignedServer(ca=ca.cert, pair=CertificatePair(cert=cert, key=key, combined=combined))


@pytest.fixture
def server(tmp_path: Path) -> SignedServer:
    reason = openssl_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    return make_ca_signed_server(tmp_path / "tls")


@pytest.fixture
def front(world: LocalIndex, server: SignedServer) -> Iterator[HttpsFront]:
    with HttpsFront(world.port, server.pair) as https:
        yield https


@pytest.fixture
def tls_env(isolated_env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in isolated_env.items() if k not in _MACHINE_CA_VARIABLES}


def host_of(front: HttpsFront) -> str:
    return f"127.0.0.1:{front.port}"


def uv_install(
    safe_pip: SafePip, python: Path, front: HttpsFront, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    index = ("--index-url", front.base_url + "simple/")
    return safe_pip("uv", "pip", "install", "--python", python, *index, *args, env=env)


def test_an_allowed_insecure_host_is_read_without_verification(
    front: HttpsFront, target_venv: Path, tls_env: dict[str, str], safe_pip: SafePip
) -> None:
    insecure = ("--allow-insecure-host", host_of(front))
    blocked = uv_install(safe_pip, target_venv, front, tls_env, *insecure, "app")
    assert blocked.returncode == 1, output(blocked)
    assert "vulnlib==1.0" in blocked.stdout and VULN_ID in blocked.stdout

    allowed = uv_install(safe_pip, target_venv, front, tls_env, *insecure, "cleanlib")
    assert allowed.returncode == 0, output(allowed)
    assert "no problems found" in allowed.stdout
    assert installed(target_venv, tls_env) == {"cleanlib": "1.0"}


def test_uv_insecure_host_variable_and_the_global_option_position(
    front: HttpsFront, target_venv: Path, tls_env: dict[str, str], safe_pip: SafePip
) -> None:
    env = {**tls_env, "UV_INSECURE_HOST": f"unrelated.invalid {host_of(front)}"}
    from_env = uv_install(safe_pip, target_venv, front, env, "cleanlib", "--dry-run")
    assert from_env.returncode == 0, output(from_env)

    index = ("--index-url", front.base_url + "simple/")
    global_option = ("uv", "--allow-insecure-host", f"https://{host_of(front)}", "pip", "install")
    before_command = safe_pip(*global_option, "--python", target_venv, *index, "app", env=tls_env)
    assert before_command.returncode == 1, output(before_command)
    assert VULN_ID in before_command.stdout


def test_the_ca_bundle_uv_uses_verifies_the_index(
    front: HttpsFront,
    server: SignedServer,
    tmp_path: Path,
    target_venv: Path,
    tls_env: dict[str, str],
    safe_pip: SafePip,
) -> None:
    # pip's CA setting is not uv's: it must not decide how the uv front end verifies.
    other = make_certificate(tmp_path / "other-tls", "other")
    env = {**tls_env, "SSL_CERT_FILE": str(server.ca), "PIP_CERT": str(other.cert)}
    blocked = uv_install(safe_pip, target_venv, front, env, "app")
    assert blocked.returncode == 1, output(blocked)
    assert VULN_ID in blocked.stdout

    allowed = uv_install(safe_pip, target_venv, front, env, "cleanlib")
    assert allowed.returncode == 0, output(allowed)
    assert installed(target_venv, env) == {"cleanlib": "1.0"}


def test_uvs_cert_option_verifies_the_index(
    front: HttpsFront, server: SignedServer, target_venv: Path, tls_env: dict[str, str],
    safe_pip: SafePip,
) -> None:  # fmt: skip
    result = uv_install(safe_pip, target_venv, front, tls_env, "--cert", str(server.ca), "app")
    assert result.returncode == 1, output(result)
    assert VULN_ID in result.stdout


def test_without_trust_the_check_fails_closed(
    front: HttpsFront, target_venv: Path, tls_env: dict[str, str], safe_pip: SafePip
) -> None:
    """uv itself refuses the unknown certificate: one line, exit 3, nothing installed."""
    result = uv_install(safe_pip, target_venv, front, tls_env, "cleanlib")
    assert_one_line_error(result, 3)
    assert installed(target_venv, tls_env) == {}


def test_a_client_certificate_is_presented_to_an_index_that_requires_one(
    world: LocalIndex,
    server: SignedServer,
    tmp_path: Path,
    target_venv: Path,
    tls_env: dict[str, str],
    safe_pip: SafePip,
) -> None:
    client = make_certificate(tmp_path / "client-tls", "client")
    env = {**tls_env, "SSL_CERT_FILE": str(server.ca)}
    with HttpsFront(world.port, server.pair, client_ca=client.cert) as mtls:
        refused = uv_install(safe_pip, target_venv, mtls, env, "cleanlib")
        assert refused.returncode == 3, output(refused)
        env["SSL_CLIENT_CERT"] = str(client.combined)
        result = uv_install(safe_pip, target_venv, mtls, env, "cleanlib")
        assert result.returncode == 0, output(result)
    assert installed(target_venv, env) == {"cleanlib": "1.0"}


def test_uv_sync_checks_the_lock_with_uvs_tls_settings(
    front: HttpsFront, tmp_path: Path, tls_env: dict[str, str], safe_pip: SafePip
) -> None:
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["cleanlib"]\n'
    )
    index = ("--default-index", front.base_url + "simple/", "--python", sys.executable)
    insecure = ("--allow-insecure-host", host_of(front))
    synced = safe_pip("uv", "sync", *index, *insecure, cwd=project, env=tls_env)
    assert synced.returncode == 0, output(synced)
    assert installed(project / ".venv" / "bin" / "python", tls_env) == {"cleanlib": "1.0"}

    blocked = safe_pip("uv", "add", "app", *index, *insecure, cwd=project, env=tls_env)
    assert blocked.returncode == 1, output(blocked)
    assert VULN_ID in blocked.stdout
