"""Nothing of a package runs before its verdict (issue 15): the gate decides every finding
that name, version, file and index page can tell before pip downloads, reads metadata from
or builds a distribution; a source whose version needs its code is decided by name first;
the user's own project is built and checked before anything is installed.

Real pip (bundled and newest), the real safe-pip and the hook, a real index on 127.0.0.1.
Every sdist here writes ``marker`` when its build backend is imported.
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest

from support.guarded import Guarded
from support.hook_helpers import PIP_MODULE, PIP_SCRIPT, hook_venv, pip_install
from support.index_server import LocalIndex
from support.outcomes import assert_one_line_error, output
from support.scenario import VULN_ID
from support.sdists import sdist_bytes, sdist_filename
from support.venvs import BUNDLED, NEWEST, venv_site_packages

pytestmark = pytest.mark.integration

VULN_SDIST_ID = "PYSEC-2099-15"
MAL_BY_NAME_ID = "MAL-2099-15"
PIP_KINDS = (BUNDLED, NEWEST)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "package-code-ran.txt"


@pytest.fixture
def sdists(guarded: Guarded, marker: Path) -> Guarded:
    """vulnsdist 1.0 (PYSEC-2099-15) and 1.1 (fixed), evilurl 1.0 (MAL-2099-15, which lists
    its versions), goodurl 1.0: all sdists only, each writing ``marker`` when built."""
    for name, version in (("vulnsdist", "1.0"), ("vulnsdist", "1.1"), ("goodurl", "1.0")):
        guarded.index.add_file(
            name,
            version,
            sdist_filename(name, version),
            sdist_bytes(name, version, marker=marker),
        )
    # an archive URL whose file name does not tell the version, as a forge's tag archive
    guarded.index.add_file(
        "evilurl", "1.0", "v1.0.tar.gz", sdist_bytes("evilurl", "1.0", marker=marker)
    )
    guarded.index.add_file(
        "goodtag", "3.0", "v3.0.tar.gz", sdist_bytes("goodtag", "3.0", marker=marker)
    )
    return guarded


def _no_marker(marker: Path, result: subprocess.CompletedProcess[str]) -> None:
    assert not marker.exists(), f"{marker.read_text()}\n{output(result)}"


# ---------------------------------------------------------------- item 1: vulnerable sdists


# every variant the issue names, spread over both pips (the plain case on both)
@pytest.mark.parametrize(
    ("kind", "args", "env"),
    [
        (BUNDLED, (), {}),
        (NEWEST, (), {}),
        (BUNDLED, ("--no-build-isolation",), {}),
        (NEWEST, ("--dry-run",), {}),
        (BUNDLED, (), {"SAFE_PIP_RESOLVE": "block"}),
        (NEWEST, ("--use-deprecated=legacy-resolver",), {}),
    ],
    ids=[
        "plain-bundled",
        "plain-newest",
        "no-build-isolation",
        "dry-run",
        "resolve-block",
        "legacy-resolver",
    ],
)
def test_a_vulnerable_sdist_is_never_built(
    kind: str, args: tuple[str, ...], env: dict[str, str], sdists: Guarded, marker: Path
) -> None:
    python = sdists.venv(kind)
    result = sdists.install(python, *args, "vulnsdist==1.0", env=sdists.env_with(**env))
    assert result.returncode == 1, output(result)
    assert VULN_SDIST_ID in result.stdout, output(result)
    _no_marker(marker, result)
    assert sdists.installed(python) == {}


@pytest.mark.parametrize("kind", PIP_KINDS)
@pytest.mark.parametrize("via", [PIP_SCRIPT, PIP_MODULE])
def test_the_hook_never_builds_a_vulnerable_sdist(
    kind: str, via: str, sdists: Guarded, marker: Path
) -> None:
    python = sdists.venv(kind)
    hook_venv(python)
    result = pip_install(python, via, sdists.env, "--index-url", sdists.index.url, "vulnsdist==1.0")
    assert result.returncode == 1, output(result)
    assert VULN_SDIST_ID in output(result)
    _no_marker(marker, result)
    assert sdists.installed(python) == {}


# ---------------------------------------------------------------- item 2: decided by name first


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_a_malicious_name_is_blocked_before_its_archive_is_built(
    kind: str, sdists: Guarded, marker: Path
) -> None:
    """``evilurl @ .../v1.0.tar.gz``: the version is unknown until built, and the MAL record
    lists versions only; the name is enough."""
    archive = sdists.index.hosted_files("evilurl")[0]
    python = sdists.venv(kind)
    result = sdists.install(python, f"evilurl @ {archive.url}")
    assert result.returncode == 1, output(result)
    assert MAL_BY_NAME_ID in result.stdout, output(result)
    _no_marker(marker, result)
    assert sdists.installed(python) == {}


@pytest.mark.parametrize("name", ["goodurl", "goodtag"])
def test_unverifiable_block_blocks_an_archive_before_its_build(
    name: str, sdists: Guarded, marker: Path
) -> None:
    """Whether or not the file name tells the version (``goodtag @ .../v3.0.tar.gz``)."""
    archive = sdists.index.hosted_files(name)[0]
    python = sdists.venv(NEWEST)
    env = sdists.env_with(SAFE_PIP_UNVERIFIABLE="block")
    result = sdists.install(python, f"{name} @ {archive.url}", env=env)
    assert result.returncode == 1, output(result)
    assert "UNVERIFIED-SOURCE" in result.stdout, output(result)
    _no_marker(marker, result)
    assert sdists.installed(python) == {}


def test_a_named_archive_is_built_and_checked_by_default(sdists: Guarded, marker: Path) -> None:
    archive = sdists.index.hosted_files("goodurl")[0]
    python = sdists.venv(NEWEST)
    result = sdists.install(python, f"goodurl @ {archive.url}")
    assert result.returncode == 0, output(result)
    assert marker.exists()  # the user named it: it is built, then checked
    assert sdists.installed(python) == {"goodurl": "1.0"}


# ---------------------------------------------------------------- item 6: the user's own project


def _own_project(directory: Path, requires: tuple[str, ...] = ()) -> Path:
    """An unpacked project (``ownproj 1.0``) in ``directory``; its sdist next to it."""
    archive = directory / sdist_filename("ownproj", "1.0")
    archive.write_bytes(sdist_bytes("ownproj", "1.0", requires=requires))
    with tarfile.open(archive) as unpacked:
        unpacked.extractall(directory, filter="data")
    return directory / "ownproj-1.0"


@pytest.mark.parametrize(
    ("kind", "form"),
    [(BUNDLED, "dot"), (NEWEST, "dot"), (BUNDLED, "dir"), (NEWEST, "archive"), (BUNDLED, "url")],
)
def test_the_users_own_project_is_built_and_checked(
    kind: str, form: str, guarded: Guarded, tmp_path: Path
) -> None:
    """``pip install .``, ``./dir``, ``./pkg-1.0.tar.gz`` and an unnamed archive URL: built,
    then its name, version and dependencies are checked; a vulnerable dependency blocks."""
    project = _own_project(tmp_path, requires=("cleanlib",))
    hosted = guarded.index.add_file(
        "ownproj", "1.0", "ownproj-1.0.tar.gz", (tmp_path / "ownproj-1.0.tar.gz").read_bytes()
    )
    argument = {
        "dot": ".",
        "dir": str(project),
        "archive": str(tmp_path / "ownproj-1.0.tar.gz"),
        "url": hosted.url,
    }[form]
    python = guarded.venv(kind)
    result = guarded.install(python, argument, cwd=project)
    assert result.returncode == 0, output(result)
    assert "2 packages checked" in result.stdout, output(result)
    assert guarded.installed(python) == {"ownproj": "1.0", "cleanlib": "1.0"}


def test_a_vulnerable_dependency_of_the_users_project_blocks(
    guarded: Guarded, tmp_path: Path
) -> None:
    project = _own_project(tmp_path, requires=("vulnlib==1.0",))
    python = guarded.venv(NEWEST)
    result = guarded.install(python, ".", cwd=project)
    assert result.returncode == 1, output(result)
    assert VULN_ID in result.stdout, output(result)
    assert guarded.installed(python) == {}


@pytest.mark.parametrize("via", [PIP_SCRIPT, PIP_MODULE])
def test_the_hook_installs_the_users_own_project(
    via: str, guarded: Guarded, tmp_path: Path
) -> None:
    project = _own_project(tmp_path, requires=("cleanlib",))
    python = guarded.venv(BUNDLED)
    hook_venv(python)
    args = ("--index-url", guarded.index.url, str(project))
    result = pip_install(python, via, guarded.env, *args)
    assert result.returncode == 0, output(result)
    assert "delete" not in output(result), output(result)
    assert guarded.installed(python) == {"ownproj": "1.0", "cleanlib": "1.0"}


# ---------------------------------------------------------------- item 4: the backstop


def _refactor_pip(python: Path, *, bypass_check: bool) -> None:
    """Change the venv's own copy of pip as a refactor of pip might: its install command
    calls ``install_given_reqs`` under another name; with ``bypass_check`` it also resolves
    and installs through functions it took before the guard could wrap them (so neither the
    full check nor the install wrappers run)."""
    site_packages = venv_site_packages(python.parent.parent)
    install = site_packages / "pip" / "_internal" / "commands" / "install.py"
    text = install.read_text()
    assert "installed = install_given_reqs(" in text
    text = text.replace("installed = install_given_reqs(", "installed = _install_reqs(")
    text += "\nfrom pip._internal.req import install_given_reqs as _install_reqs\n"
    if bypass_check:
        assert "requirement_set = resolver.resolve(" in text
        text = text.replace(
            "requirement_set = resolver.resolve(", "requirement_set = _RESOLVE(resolver, "
        )
        text += (
            "from pip._internal.resolution.resolvelib.resolver import Resolver as _Resolver\n"
            "_RESOLVE = _Resolver.resolve\n"
        )
        requirements = site_packages / "pip" / "_internal" / "req" / "__init__.py"
        source = requirements.read_text()
        assert "requirement.install(" in source
        source = source.replace("requirement.install(", "_INSTALL(requirement, ")
        requirements.write_text(source + "\n_INSTALL = InstallRequirement.install\n")
    install.write_text(text)


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_a_refactored_pip_that_installs_unchecked_exits_3(kind: str, guarded: Guarded) -> None:
    python = guarded.venv(kind)
    _refactor_pip(python, bypass_check=True)
    result = guarded.install(python, "cleanlib")
    line = assert_one_line_error(result, 3)
    assert "cleanlib 1.0 without a completed check" in line, output(result)


def test_the_hook_backstop_exits_3_too(guarded: Guarded) -> None:
    python = guarded.venv(NEWEST)
    _refactor_pip(python, bypass_check=True)
    hook_venv(python)
    result = pip_install(
        python, PIP_SCRIPT, guarded.env, "--index-url", guarded.index.url, "cleanlib"
    )
    assert result.returncode == 3, output(result)
    assert "cleanlib 1.0 without a completed check" in result.stderr, output(result)
    assert "Traceback" not in output(result)


def test_a_renamed_install_function_still_installs_only_checked_files(guarded: Guarded) -> None:
    """Only ``install_given_reqs`` is renamed: the check runs, ``InstallRequirement.install``
    still refuses anything unchecked, and a checked plan installs."""
    python = guarded.venv(NEWEST)
    _refactor_pip(python, bypass_check=False)
    result = guarded.install(python, "cleanlib")
    assert result.returncode == 0, output(result)
    assert "1 package checked" in result.stdout, output(result)
    assert guarded.installed(python) == {"cleanlib": "1.0"}


# ---------------------------------------------------------------- item 5: the fail-open fallback


def _unsupported_pip(python: Path) -> None:
    """A pip whose internals the guard does not recognise (what it needs only to install
    build dependencies is gone), so ``--fail-mode open`` falls back to the two-pass path."""
    installer = venv_site_packages(python.parent.parent) / "pip/_internal/build_env/installer.py"
    installer.write_text(installer.read_text() + "\ndel get_runnable_pip\n")


def _fallback_warnings(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if "does not recognise" in line]


def test_the_fail_open_fallback_builds_nothing(sdists: Guarded, marker: Path) -> None:
    sdists.index.add_file(
        "evilsdist",
        "1.0",
        sdist_filename("evilsdist", "1.0"),
        sdist_bytes("evilsdist", "1.0", marker=marker),
    )
    python = sdists.venv(NEWEST)
    _unsupported_pip(python)
    for requirement in ("evilsdist", "vulnsdist==1.1"):
        result = sdists.install(python, "--fail-mode", "open", requirement)
        assert result.returncode != 0, output(result)
        _no_marker(marker, result)
        [warning] = _fallback_warnings(result)
        assert warning.startswith("safe-pip: warning:") and "only wheels" in warning
    assert sdists.installed(python) == {}


def test_the_fail_open_fallback_refuses_what_it_would_build(
    guarded: Guarded, tmp_path: Path
) -> None:
    project = _own_project(tmp_path)
    python = guarded.venv(NEWEST)
    _unsupported_pip(python)
    result = guarded.install(python, "--fail-mode", "open", str(project))
    line = assert_one_line_error(result, 3)
    assert "would be built from source" in line and str(project) in line
    assert guarded.installed(python) == {}


def test_the_fail_open_fallback_installs_checked_wheels(guarded: Guarded) -> None:
    python = guarded.venv(NEWEST)
    _unsupported_pip(python)
    result = guarded.install(python, "--fail-mode", "open", "cleanlib")
    assert result.returncode == 0, output(result)
    assert len(_fallback_warnings(result)) == 1, output(result)
    assert "error" not in result.stderr, output(result)
    assert guarded.installed(python) == {"cleanlib": "1.0"}


# ---------------------------------------------------------------- item 1: confusion at the gate


def test_dependency_confusion_blocks_before_the_public_sdist_is_built(
    guarded: Guarded, marker: Path, tmp_path: Path
) -> None:
    """The attacker's higher version on the public index is an sdist: CONFUSION is known
    from the two index pages, so it is never built."""
    guarded.index.add("corpinternal", "1.0")
    with LocalIndex(tmp_path / "public-index") as public:
        public.add_file(
            "corpinternal",
            "99.0",
            sdist_filename("corpinternal", "99.0"),
            sdist_bytes("corpinternal", "99.0", marker=marker),
        )
        python = guarded.venv(NEWEST)
        result = guarded.install(python, "--extra-index-url", public.url, "corpinternal")
    assert result.returncode == 1, output(result)
    assert "CONFUSION" in result.stdout, output(result)
    _no_marker(marker, result)
    assert guarded.installed(python) == {}


def test_a_malicious_name_is_blocked_before_its_vcs_checkout_is_built(
    guarded: Guarded, marker: Path, tmp_path: Path
) -> None:
    """``git+file://...#egg=evilurl``: decided by name before pip clones or builds it."""
    repository = tmp_path / "evil-repo"
    archive = tmp_path / "evilurl-1.0.tar.gz"
    archive.write_bytes(sdist_bytes("evilurl", "1.0", marker=marker))
    with tarfile.open(archive) as unpacked:
        unpacked.extractall(tmp_path, filter="data")
    (tmp_path / "evilurl-1.0").rename(repository)
    git = ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@t"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run([*git, *command], check=True, capture_output=True)
    python = guarded.venv(BUNDLED)
    result = guarded.install(python, f"git+{repository.as_uri()}#egg=evilurl")
    assert result.returncode == 1, output(result)
    assert MAL_BY_NAME_ID in result.stdout, output(result)
    _no_marker(marker, result)
    assert "Cloning" not in result.stdout, output(result)


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_a_quarantined_project_is_blocked_before_its_sdist_is_built(
    kind: str, sdists: Guarded, marker: Path
) -> None:
    """A mirror that still lists the files of a project its index quarantined (PEP 792):
    pip does not read the marker; the gate does, before the build."""
    sdists.index.set_status("goodurl", "quarantined", "under review")
    python = sdists.venv(kind)
    result = sdists.install(python, "goodurl")
    assert result.returncode == 1, output(result)
    assert "PROJECT-QUARANTINED" in result.stdout, output(result)
    _no_marker(marker, result)


@pytest.mark.parametrize("kind", PIP_KINDS)
def test_a_dependency_blocked_at_the_gate_says_what_pulled_it_in(
    kind: str, guarded: Guarded
) -> None:
    python = guarded.venv(kind)
    result = guarded.install(python, "app", env=guarded.env_with(SAFE_PIP_RESOLVE="block"))
    assert result.returncode == 1, output(result)
    assert f"vulnlib==1.0 via app==1.0  vulnerability  {VULN_ID}" in result.stdout, output(result)
