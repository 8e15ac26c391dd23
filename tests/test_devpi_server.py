"""safe-pip's devpi plugin in a real devpi-server, with plain pip and uv as clients.

One devpi-server (primary role) per module, its mirror ``root/pypi`` reading the tests'
local index (no network) and a private index ``acme/dev`` inheriting it with every name
whitelisted -- the usual company set-up, and devpi's gap: stage-customizer filters are not
applied through inheritance. The plugin reads the advisory database and the administrator's
policy file this module keeps in its temporary directory; tests that change them restore them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from safe_pip.advisories.update import update_database
from safe_pip.devpi.guard import RECHECK_SECONDS
from support.devpi_server import DevpiServer, init_serverdir, mirror_config, write_secret
from support.index_server import LocalIndex
from support.isolation import isolated_env
from support.scenario import (
    MALICIOUS_ID,
    OSV_LOCAL,
    VULN_ID,
    publish_standard_packages,
    publish_steering,
)
from support.wheels import build_wheel

pytestmark = pytest.mark.integration

JSON_V1 = "application/vnd.pypi.simple.v1+json"
PRIVATE = "acme/dev"


@dataclass
class World:
    upstream: LocalIndex
    server: DevpiServer
    env: dict[str, str]
    osv: Path  # the advisory source directory the database is built from
    database: Path
    policy: Path
    log: Path
    tmp: Path

    def rebuild_database(self) -> None:
        update_database(source=str(self.osv), db_path=self.database)
        time.sleep(RECHECK_SECONDS + 0.2)  # the plugin looks at its files once a second

    def set_policy(self, text: str) -> None:
        self.policy.write_text(text)
        time.sleep(RECHECK_SECONDS + 0.2)

    def refusals(self) -> list[dict[str, object]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("devpi")
    env = isolated_env(tmp / "isolated")
    osv = tmp / "osv"
    shutil.copytree(OSV_LOCAL, osv)
    database = tmp / "advisories.sqlite"
    update_database(source=str(osv), db_path=database)
    policy = tmp / "policy.toml"
    policy.write_text("")
    log = tmp / "decisions.jsonl"
    with LocalIndex(tmp / "upstream") as upstream:
        publish_standard_packages(upstream)
        publish_steering(upstream)
        upstream.add("acmelib", "99.0")  # the attacker's name grab on the public index
        upstream.add_file("evilpkg", "0.1", "evilpkg-0.1.win32.exe", b"MZ")  # tells no version
        upstream.add("freshlib", "1.0")
        upstream.add("freshlib", "2.0", upload_time=datetime.now(timezone.utc))  # too new
        init_serverdir(tmp / "server", env)
        secret = write_secret(tmp / "secret")
        args = ["--role", "primary", "--secretfile", str(secret), "--safe-pip-db", str(database)]
        args += ["--safe-pip-policy", str(policy), "--safe-pip-log", str(log)]
        with DevpiServer(tmp / "server", env, args) as server:
            server.put_index("root/pypi", mirror_config(upstream.url))
            server.put_index(
                PRIVATE, {"bases": ["root/pypi"], "mirror_whitelist": ["*"], "acl_upload": ["root"]}
            )
            wheel = build_wheel(tmp / "private", "acmelib", "1.0")
            server.upload(PRIVATE, wheel, "acmelib", "1.0")
            yield World(upstream, server, env, osv, database, policy, log, tmp)


def _pip_install(
    world: World, *requirements: str, index: str = PRIVATE
) -> subprocess.CompletedProcess[str]:
    target = world.tmp / f"pip-target-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "pip", "install", "--target", str(target), "--retries", "0"]
    command += ["--index-url", world.server.index_url(index), *requirements]
    return subprocess.run(command, env=world.env, capture_output=True, text=True, timeout=180)


def _uv(world: World, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    return subprocess.run(
        [uv, *args], env=world.env, capture_output=True, text=True, timeout=180, cwd=cwd
    )


def _installed(output: str, name: str) -> str | None:
    """The version pip's or uv's last lines say was installed."""
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("Successfully installed"):
            for spec in line.split()[2:]:
                if spec.rsplit("-", 1)[0] == name:
                    return spec.rsplit("-", 1)[1]
        if line.startswith(f"+ {name}=="):
            return line.split("==", 1)[1]
    return None


def test_pip_pin_of_a_vulnerable_release_is_refused_and_names_the_finding(world: World) -> None:
    result = _pip_install(world, "vulnlib==1.0")
    assert result.returncode != 0, result.stdout
    assert f"403 Client Error: Forbidden by safe-pip {VULN_ID}" in result.stderr
    last = world.refusals()[-1]
    assert last["verdict"] == "blocked" and last["client"] == "127.0.0.1"
    assert last["target"] == "root/pypi"  # the index that holds the mirrored file
    assert [d["id"] for d in last["decisions"]] == [VULN_ID]  # type: ignore[attr-defined]


def test_the_page_says_why_a_version_is_hidden(world: World) -> None:
    page = world.server.get(f"/{PRIVATE}/+simple/vulnlib/", JSON_V1)
    yanked = {f["filename"]: f.get("yanked") for f in page.json()["files"]}
    assert yanked["vulnlib-1.0-py3-none-any.whl"].startswith(f"safe-pip: vulnlib 1.0: {VULN_ID}")
    assert yanked["vulnlib-1.1-py3-none-any.whl"] is None
    assert page.headers["X-Safe-Pip-Hidden"].startswith("1 version(s) (1.0); reasons: ")
    reasons = world.server.get(f"/{PRIVATE}/+safe-pip/vulnlib")
    assert "vulnlib 1.0: PYSEC-2099-1 (vulnerability); fix: upgrade to 1.1" in reasons.text


def test_unpinned_requirements_get_the_newest_allowed_version(world: World) -> None:
    pip = _pip_install(world, "steerpkg<2")
    assert _installed(pip.stdout, "steerpkg") == "1.1", pip.stdout + pip.stderr
    target = world.tmp / "uv-target-steer"
    uv = _uv(world, "pip", "install", "--target", str(target), "--index-url",
             world.server.index_url(PRIVATE), "steerpkg<2")  # fmt: skip
    assert _installed(uv.stderr, "steerpkg") == "1.1", uv.stderr


def test_uv_pin_of_a_vulnerable_release_is_refused_and_names_the_finding(world: World) -> None:
    target = world.tmp / "uv-target-vuln"
    uv = _uv(world, "pip", "install", "--target", str(target), "--index-url",
             world.server.index_url(PRIVATE), "vulnlib==1.0")  # fmt: skip
    assert uv.returncode != 0
    assert f"403 Forbidden by safe-pip {VULN_ID}" in uv.stderr


def test_uv_sync_resolves_to_the_allowed_version(world: World) -> None:
    project = world.tmp / "uv-project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.9"\n'
        'dependencies = ["steerpkg<2"]\n'
    )
    index = world.server.index_url(PRIVATE)
    sync = _uv(world, "sync", "--python", sys.executable, "--default-index", index, cwd=project)
    assert sync.returncode == 0, sync.stderr
    assert _installed(sync.stderr, "steerpkg") == "1.1", sync.stderr


def test_a_release_younger_than_min_release_age_is_held_back(world: World) -> None:
    """devpi keeps no upload times: the plugin reads them from the mirror's upstream page."""
    chosen = _pip_install(world, "freshlib")
    assert _installed(chosen.stdout, "freshlib") == "1.0", chosen.stderr
    page = world.server.get(f"/{PRIVATE}/+simple/freshlib/", JSON_V1).json()
    yanked = {f["filename"]: f.get("yanked") for f in page["files"]}
    assert "TOO-NEW (release-age)" in yanked["freshlib-2.0-py3-none-any.whl"]


def test_a_malicious_release_is_never_served(world: World) -> None:
    assert _pip_install(world, "evilpkg").returncode != 0
    pinned = _pip_install(world, "evilpkg==0.1")
    assert f"Forbidden by safe-pip {MALICIOUS_ID}" in pinned.stderr
    # straight to each file (a legacy .exe too), on the mirror and through the private index
    for stage in ("root/pypi", PRIVATE):
        page = world.server.get(f"/{stage}/+simple/evilpkg/", JSON_V1).json()
        assert len(page["files"]) == 2
        for listed in page["files"]:
            url = httpx.URL(world.server.url + f"/{stage}/+simple/evilpkg/").join(listed["url"])
            refused = httpx.get(url)
            assert refused.status_code == 403, listed["filename"]
            assert MALICIOUS_ID in refused.text and "refused by this index's policy" in refused.text


def test_a_release_flagged_after_it_was_cached_is_refused(world: World) -> None:
    installed = _pip_install(world, "cleanlib")
    assert _installed(installed.stdout, "cleanlib") == "1.0"  # devpi has the file cached now
    record = {
        "id": "MAL-2099-77",
        "summary": "Malicious code in cleanlib",
        "modified": "2099-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "cleanlib"}, "versions": ["1.0"]}],
    }
    added = world.osv / "MAL-2099-77.json"
    added.write_text(json.dumps(record))
    try:
        world.rebuild_database()  # `safe-pip db update` on the server; devpi keeps running
        again = _pip_install(world, "cleanlib==1.0")
        assert again.returncode != 0
        assert "Forbidden by safe-pip MAL-2099-77" in again.stderr
    finally:
        added.unlink()
        world.rebuild_database()


def test_a_name_served_by_the_private_index_and_the_mirror_is_held_back(world: World) -> None:
    page = world.server.get(f"/{PRIVATE}/+simple/acmelib/", JSON_V1).json()
    files = {f["filename"]: f.get("yanked") for f in page["files"]}
    # the mirror's 99.0 is left out (the mirror itself would serve a pin), 1.0 is held back
    assert list(files) == ["acmelib-1.0-py3-none-any.whl"]
    assert "CONFUSION" in files["acmelib-1.0-py3-none-any.whl"]
    assert _pip_install(world, "acmelib").returncode != 0
    try:
        binding = world.server.index_url(PRIVATE)
        world.set_policy(f'[index-for]\nacmelib = "{binding}"\n')  # no restart
        chosen = _pip_install(world, "acmelib")
        assert _installed(chosen.stdout, "acmelib") == "1.0", chosen.stderr
    finally:
        world.set_policy("")


def test_without_a_database_the_index_refuses_to_serve(world: World) -> None:
    moved = world.database.with_suffix(".away")
    world.database.rename(moved)
    try:
        time.sleep(RECHECK_SECONDS + 0.2)
        page = world.server.get(f"/{PRIVATE}/+simple/cleanlib/")
        assert page.status_code == 503
        assert "safe-pip: this index cannot check packages: no advisory database" in page.text
        assert _pip_install(world, "cleanlib").returncode != 0  # pip shows page errors with -v
        uv = _uv(world, "pip", "install", "--target", str(world.tmp / "uv-closed"),
                 "--index-url", world.server.index_url(PRIVATE), "cleanlib")  # fmt: skip
        assert uv.returncode != 0
        assert "503 safe-pip cannot check packages" in uv.stderr, uv.stderr
    finally:
        moved.rename(world.database)
        time.sleep(RECHECK_SECONDS + 0.2)


def test_a_replica_serves_the_same_filtered_view(world: World) -> None:
    replica_dir = world.tmp / "replica"
    args = ["--primary-url", world.server.url, "--secretfile", str(world.tmp / "secret")]
    args += ["--safe-pip-db", str(world.database)]
    args += ["--safe-pip-policy", str(world.policy), "--safe-pip-log", str(world.log)]
    init_serverdir(replica_dir, world.env, primary_url=world.server.url)
    with DevpiServer(replica_dir, world.env, args) as replica:
        replica.wait_in_sync_with(world.server)
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--target", str(world.tmp / "replica-t"),
             "--index-url", replica.index_url(PRIVATE), "vulnlib==1.0"],
            env=world.env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert f"Forbidden by safe-pip {VULN_ID}" in pip.stderr
        steer = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--target", str(world.tmp / "replica-s"),
             "--index-url", replica.index_url(PRIVATE), "steerpkg<2"],
            env=world.env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert _installed(steer.stdout, "steerpkg") == "1.1", steer.stderr
