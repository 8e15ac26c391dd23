"""The guard decides on what the index pages say, read by safe-pip, wherever pip reads
candidates from (issue 16, items 1-4): real pip (the bundled 23.2.1 and the newest), the pip
hook and uv against hostile local indexes.

1. index options inside requirements files (and ``--find-links``) are indexes like any other:
   dependency confusion, index binding and the cooldown apply to them;
2. a file from a remote index without an upload time counts as too new;
3. a project the JSON page marks quarantined (PEP 792) is blocked by every front end;
4. a valueless ``data-yanked`` means yanked, whatever pip makes of it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from support.hook_helpers import PIP_MODULE, hook_venv
from support.hook_helpers import pip_install as hooked_pip_install
from support.index_server import TEXT_HTML, LocalIndex
from support.outcomes import installed, output
from support.scenario import build_advisory_db
from support.uv_helpers import SKIP_WITHOUT_UV, safe_uv_pip_install
from support.venvs import BUNDLED, NEWEST
from support.wheels import build_wheel

pytestmark = pytest.mark.integration

SafePip = Callable[..., subprocess.CompletedProcess[str]]
BOTH_PIPS = pytest.mark.parametrize("pip_kind", [BUNDLED, NEWEST])


@pytest.fixture
def env(isolated_env: dict[str, str]) -> dict[str, str]:
    build_advisory_db(isolated_env)
    return isolated_env


@pytest.fixture
def private_and_public(
    local_index: LocalIndex, tmp_path: Path
) -> Iterator[tuple[LocalIndex, LocalIndex]]:
    """The private index serves ``corpinternal`` 1.0; an attacker put 99.0 on the public one."""
    local_index.add("corpinternal", "1.0")
    with LocalIndex(tmp_path / "public-index") as public:
        public.add("corpinternal", "99.0")
        yield local_index, public


def findings(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
    report = json.loads(result.stdout)
    return [(f["id"], f["version"], f["action"]) for f in report["findings"]]


# ---------------------------------------------------------------- 1. every place pip looks


@BOTH_PIPS
def test_an_extra_index_in_a_requirements_file_is_checked_for_confusion(
    pip_kind: str,
    private_and_public: tuple[LocalIndex, LocalIndex],
    env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    private, public = private_and_public
    python = pip_venv(pip_kind)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--extra-index-url {public.url}\ncorpinternal\n", encoding="utf-8")
    args = ("install", "--python", python, "-i", private.url, "--format", "json")
    result = safe_pip(*args, "-r", requirements)
    assert result.returncode == 1, output(result)
    assert ("CONFUSION", "99.0", "block") in findings(result)
    assert installed(python, env) == {}

    # bound to the private index by index-for, the same file installs the private 1.0
    config = Path(env["SAFE_PIP_CONFIG_FILE"])
    config.write_text(f'index-for = {{ corpinternal = "{private.url}" }}\n', encoding="utf-8")
    pinned = tmp_path / "pinned.txt"
    pinned.write_text(f"--extra-index-url {public.url}\ncorpinternal==1.0\n", encoding="utf-8")
    bound = safe_pip(*args, "-r", pinned)
    assert bound.returncode == 0, output(bound)
    assert installed(python, env) == {"corpinternal": "1.0"}


def test_the_hook_checks_an_extra_index_in_a_requirements_file_for_confusion(
    private_and_public: tuple[LocalIndex, LocalIndex],
    env: dict[str, str],
    pip_venv: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    private, public = private_and_public
    python = pip_venv(BUNDLED)
    hook_venv(python)
    nested = tmp_path / "indexes.txt"  # a nested requirements file changes pip's finder too
    nested.write_text(f"--extra-index-url {public.url}\n", encoding="utf-8")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"-r {nested.name}\ncorpinternal\n", encoding="utf-8")
    result = hooked_pip_install(python, PIP_MODULE, env, "-i", private.url, "-r", requirements)
    assert result.returncode == 1, output(result)
    assert "CONFUSION" in result.stdout, output(result)
    assert installed(python, env) == {}


@BOTH_PIPS
def test_an_index_url_in_a_requirements_file_gets_the_cooldown(
    pip_kind: str,
    local_index: LocalIndex,
    env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    local_index.add("freshlib", "2.0", upload_time=an_hour_ago)
    python = pip_venv(pip_kind)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index-url {local_index.url}\nfreshlib==2.0\n", encoding="utf-8")
    result = safe_pip("install", "--python", python, "--format", "json", "-r", requirements)
    assert result.returncode == 1, output(result)
    assert ("TOO-NEW", "2.0", "block") in findings(result)
    (summary,) = [f["summary"] for f in json.loads(result.stdout)["findings"]]
    assert summary.startswith("uploaded 1h ago"), summary  # the page's time, from its index
    assert installed(python, env) == {}


@BOTH_PIPS
def test_a_private_find_links_directory_beside_a_public_index_is_compared(
    pip_kind: str,
    local_index: LocalIndex,
    env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    local_index.add("corpinternal", "99.0")  # the attacker's, on the public index
    wheels = tmp_path / "private-wheels"
    build_wheel(wheels, "corpinternal", "1.0")
    python = pip_venv(pip_kind)
    indexes = ("-i", local_index.url, "--find-links", wheels)
    result = safe_pip("install", "--python", python, *indexes, "--format", "json", "corpinternal")
    assert result.returncode == 1, output(result)
    assert ("CONFUSION", "99.0", "block") in findings(result)
    assert installed(python, env) == {}

    # bound to the directory (as its file:// URL), the private 1.0 installs
    config = Path(env["SAFE_PIP_CONFIG_FILE"])
    config.write_text(f'index-for = {{ corpinternal = "{wheels.as_uri()}" }}\n', encoding="utf-8")
    bound = safe_pip("install", "--python", python, *indexes, "corpinternal==1.0")
    assert bound.returncode == 0, output(bound)
    assert installed(python, env) == {"corpinternal": "1.0"}


# ---------------------------------------------------------------- 2. no upload time


@BOTH_PIPS
def test_a_remote_index_without_upload_times_does_not_switch_the_cooldown_off(
    pip_kind: str,
    env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    python = pip_venv(pip_kind)
    with LocalIndex(tmp_path / "html-index", serve_json=False) as html_only:
        html_only.add("cleanlib", "1.0")
        install = ("install", "--python", python, "-i", html_only.url, "--format", "json")
        blocked = safe_pip(*install, "cleanlib")
        assert blocked.returncode == 1, output(blocked)
        assert ("TOO-NEW", "1.0", "block") in findings(blocked)
        assert installed(python, env) == {}
        # named as an index that publishes no times: the warning it always was
        named = {**env, "SAFE_PIP_INDEXES_WITHOUT_UPLOAD_TIME": html_only.url}
        warned = safe_pip(*install, "cleanlib", env=named)
    assert warned.returncode == 0, output(warned)
    assert ("NO-UPLOAD-TIME", "1.0", "warn") in findings(warned)
    assert installed(python, env) == {"cleanlib": "1.0"}


def test_a_local_mirror_without_upload_times_keeps_the_warning(
    env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    """A ``file://`` tree (one project directory with an ``index.html``) is local."""
    mirror = tmp_path / "mirror"
    wheel = build_wheel(mirror / "files", "cleanlib", "1.0")
    project = mirror / "simple" / "cleanlib"
    project.mkdir(parents=True)
    (project / "index.html").write_text(
        f'<a href="../../files/{wheel.name}">{wheel.name}</a>\n', encoding="utf-8"
    )
    python = pip_venv(BUNDLED)
    index = (mirror / "simple").as_uri() + "/"
    result = safe_pip("install", "--python", python, "-i", index, "--format", "json", "cleanlib")
    assert result.returncode == 0, output(result)
    assert ("NO-UPLOAD-TIME", "1.0", "warn") in findings(result)


# ---------------------------------------------------------------- 3. project status


@pytest.fixture
def quarantined(local_index: LocalIndex) -> LocalIndex:
    local_index.add("quarlib", "1.0")
    local_index.set_status("quarlib", "quarantined", "malware reported")
    return local_index


@BOTH_PIPS
def test_safe_pip_install_blocks_a_quarantined_project(
    pip_kind: str,
    quarantined: LocalIndex,
    env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
) -> None:
    python = pip_venv(pip_kind)
    args = ("install", "--python", python, "-i", quarantined.url, "--format", "json", "quarlib")
    result = safe_pip(*args)
    assert result.returncode == 1, output(result)
    assert ("PROJECT-QUARANTINED", "1.0", "block") in findings(result)
    assert installed(python, env) == {}


def test_the_hook_blocks_a_quarantined_project(
    quarantined: LocalIndex, env: dict[str, str], pip_venv: Callable[[str], Path]
) -> None:
    python = pip_venv(BUNDLED)
    hook_venv(python)
    result = hooked_pip_install(python, PIP_MODULE, env, "-i", quarantined.url, "quarlib")
    assert result.returncode == 1, output(result)
    assert "PROJECT-QUARANTINED" in result.stdout, output(result)
    assert installed(python, env) == {}


@SKIP_WITHOUT_UV
def test_safe_uv_blocks_a_quarantined_project(
    quarantined: LocalIndex, env: dict[str, str], pip_venv: Callable[[str], Path]
) -> None:
    python = pip_venv(BUNDLED)
    result = safe_uv_pip_install(python, quarantined, env, "quarlib")
    assert result.returncode == 1, output(result)
    assert "PROJECT-QUARANTINED" in result.stdout, output(result)
    assert installed(python, env) == {}


# ---------------------------------------------------------------- 4. yanked


def valueless_yank(index: LocalIndex, name: str) -> None:
    """``name``'s only file, yanked with a valueless ``data-yanked`` (an HTML page)."""
    hosted = index.add(name, "1.0")
    anchor = f'<a href="{hosted.url}#sha256={hosted.sha256}" data-yanked>{hosted.filename}</a>'
    page = f"<!DOCTYPE html><html><body>{anchor}</body></html>\n".encode()
    index.serve_raw_page(name, page, content_type=TEXT_HTML)


@BOTH_PIPS
def test_a_valueless_data_yanked_is_yanked_for_safe_pip_install(
    pip_kind: str,
    local_index: LocalIndex,
    env: dict[str, str],
    safe_pip: SafePip,
    pip_venv: Callable[[str], Path],
) -> None:
    valueless_yank(local_index, "yanklib")
    python = pip_venv(pip_kind)
    policy = {
        **env,
        "SAFE_PIP_YANKED": "block",
        "SAFE_PIP_INDEXES_WITHOUT_UPLOAD_TIME": local_index.url,  # an HTML page: no times
    }
    args = ("install", "--python", python, "-i", local_index.url, "--format", "json")
    result = safe_pip(*args, "yanklib==1.0", env=policy)
    assert result.returncode == 1, output(result)
    assert ("YANKED", "1.0", "block") in findings(result)
    assert installed(python, env) == {}


@SKIP_WITHOUT_UV
def test_a_valueless_data_yanked_is_yanked_for_safe_uv(
    local_index: LocalIndex, env: dict[str, str], pip_venv: Callable[[str], Path]
) -> None:
    valueless_yank(local_index, "yanklib")
    python = pip_venv(BUNDLED)
    policy = {
        **env,
        "SAFE_PIP_YANKED": "block",
        "SAFE_PIP_INDEXES_WITHOUT_UPLOAD_TIME": local_index.url,
    }
    result = safe_uv_pip_install(python, local_index, policy, "yanklib==1.0")
    assert result.returncode == 1, output(result)
    assert "YANKED" in result.stdout, output(result)
    assert installed(python, env) == {}
