"""Lock-file readers: what each format yields, and one clear error for malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from safe_pip.errors import UsageError
from safe_pip.models import ArtifactSource
from safe_pip.producers.lockfiles import LockKind, read_lock_file
from safe_pip.producers.lockfiles.detect import kind_from_name
from safe_pip.producers.lockfiles.model import UNKNOWN_VERSION

MALFORMED = Path(__file__).resolve().parent / "data" / "lockfiles"
H1 = "1" * 64
H2 = "2" * 64
H3 = "3" * 64
INDEX = "http://127.0.0.1:9/simple/"
FILES = "http://127.0.0.1:9/files"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- uv.lock

UV_LOCK = f"""\
version = 1
revision = 3
requires-python = ">=3.9"

[manifest]
members = ["member"]

[[package]]
name = "Native_Lib"
version = "2.0"
source = {{ registry = "{INDEX}" }}
sdist = {{ url = "http://127.0.0.1:9/files/native_lib-2.0.tar.gz", hash = "sha256:{H1}" }}
wheels = [
    {{ url = "{FILES}/native_lib-2.0-cp311-cp311-win_amd64.whl", hash = "sha256:{H2}" }},
    {{ url = "http://127.0.0.1:9/files/native_lib-2.0-py3-none-any.whl", hash = "sha256:{H3}" }},
]

[[package]]
name = "fromgit"
version = "0.3"
source = {{ git = "https://127.0.0.1:9/repo.git?rev=main#abc123" }}
dependencies = [{{ name = "Native_Lib" }}, "not a table"]

[[package]]
name = "member"
version = "0.1"
source = {{ editable = "packages/member" }}
dependencies = [{{ name = "fromgit" }}]

[package.dev-dependencies]
dev = [{{ name = "native-lib" }}]

[[package]]
name = "project"
version = "0.1"
source = {{ virtual = "." }}
"""


def test_uv_lock_lists_every_artifact_and_skips_the_project(tmp_path: Path) -> None:
    lock = read_lock_file(write(tmp_path, "uv.lock", UV_LOCK))
    assert lock.kind is LockKind.UV_LOCK
    assert [p.name for p in lock.packages] == ["native-lib", "fromgit"]
    native, git = lock.packages
    assert native.version == "2.0" and native.index_url == INDEX
    assert [a.filename for a in native.artifacts] == [
        "native_lib-2.0.tar.gz",
        "native_lib-2.0-cp311-cp311-win_amd64.whl",
        "native_lib-2.0-py3-none-any.whl",
    ]
    assert [a.sha256 for a in native.artifacts] == [H1, H2, H3]
    assert git.source is ArtifactSource.VCS
    assert git.location is not None and git.location.startswith("https://")
    assert lock.index_urls == (INDEX,)
    # the workspace member's dependencies are what the user asked for; the rest come via
    assert lock.requested == frozenset({"fromgit", "native-lib"})
    assert lock.dependencies == {"native-lib": (), "fromgit": ("native-lib",)}


def test_an_artifact_url_python_cannot_split_is_still_named(tmp_path: Path) -> None:
    """Found by tests/test_properties_parsers.py: a '[' after ``http://`` (an IPv6 host
    never closed) made ``urlsplit`` raise ValueError, a traceback instead of a result."""
    broken = UV_LOCK.replace(
        f'{{ url = "{FILES}/native_lib-2.0-cp311', '{ url = "http://[x/native_lib-2.0-cp311'
    )
    assert broken != UV_LOCK
    lock = read_lock_file(write(tmp_path, "uv.lock", broken))
    native = lock.packages[0]
    assert "native_lib-2.0-cp311-cp311-win_amd64.whl" in [a.filename for a in native.artifacts]


# ---------------------------------------------------------------- pylock.toml

PYLOCK = f"""\
lock-version = "1.0"
created-by = "test"

[[packages]]
name = "cleanlib"
version = "1.0"
index = "{INDEX}"
wheels = [{{ url = "{FILES}/cleanlib-1.0-py3-none-any.whl", hashes = {{ sha256 = "{H1}" }} }}]

[[packages]]
name = "direct"
version = "3.0"
archive = {{ url = "http://127.0.0.1:9/direct-3.0.tar.gz", hashes = {{ sha256 = "{H2}" }} }}

[[packages]]
name = "local-tree"
directory = {{ path = "../tree", editable = true }}

[[packages]]
name = "this-project"
directory = {{ path = "." }}
"""


def test_pylock_sources_and_paths_relative_to_the_lock(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    lock = read_lock_file(write(tmp_path / "sub", "pylock.dev.toml", PYLOCK))
    assert lock.kind is LockKind.PYLOCK
    by_name = {p.name: p for p in lock.packages}
    assert set(by_name) == {"cleanlib", "direct", "local-tree"}
    assert by_name["cleanlib"].index_url == INDEX
    assert by_name["cleanlib"].artifacts[0].sha256 == H1
    assert by_name["direct"].source is ArtifactSource.DIRECT_URL
    assert by_name["direct"].artifacts[0].filename == "direct-3.0.tar.gz"
    tree = by_name["local-tree"]
    assert tree.source is ArtifactSource.EDITABLE and tree.version == UNKNOWN_VERSION
    assert tree.location == str((tmp_path / "tree").resolve())


# ---------------------------------------------------------------- poetry.lock

POETRY_LOCK = f"""\
[[package]]
name = "cleanlib"
version = "1.0"
optional = false
python-versions = "*"
files = [
    {{file = "cleanlib-1.0-py3-none-any.whl", hash = "sha256:{H1}"}},
    {{file = "cleanlib-1.0.tar.gz", hash = "sha256:{H2}"}},
]

[[package]]
name = "private"
version = "0.5"
optional = false
python-versions = "*"
files = [
    {{file = "private-0.5-py3-none-any.whl", hash = "sha256:{H3}"}},
]

[package.source]
type = "legacy"
url = "{INDEX}"
reference = "mine"

[metadata]
lock-version = "2.0"
python-versions = ">=3.9"
content-hash = "abc"
"""


def test_poetry_lock_files_and_sources(tmp_path: Path) -> None:
    lock = read_lock_file(write(tmp_path, "poetry.lock", POETRY_LOCK))
    assert lock.kind is LockKind.POETRY_LOCK
    clean, private = lock.packages
    assert clean.index_url is None  # the default index: the lock does not name it
    assert [(a.filename, a.sha256) for a in clean.artifacts] == [
        ("cleanlib-1.0-py3-none-any.whl", H1),
        ("cleanlib-1.0.tar.gz", H2),
    ]
    assert private.index_url == INDEX and lock.index_urls == (INDEX,)


def test_poetry_lock_format_1_keeps_files_under_metadata(tmp_path: Path) -> None:
    text = f"""\
[[package]]
name = "Clean_Lib"
version = "1.0"

[metadata]
lock-version = "1.1"
content-hash = "abc"

[metadata.files]
clean-lib = [
    {{file = "clean_lib-1.0-py3-none-any.whl", hash = "sha256:{H1}"}},
]
"""
    (package,) = read_lock_file(write(tmp_path, "poetry.lock", text)).packages
    assert package.name == "clean-lib" and package.artifacts[0].sha256 == H1


# ---------------------------------------------------------------- requirements.txt


def test_requirements_complete_pins_are_taken_as_they_are(tmp_path: Path) -> None:
    write(tmp_path, "base.txt", "--index-url http://127.0.0.1:9/simple/\nranged>=1.0\n")
    write(tmp_path, "constraints.txt", "ranged<3\n")
    path = write(
        tmp_path,
        "requirements.txt",
        f"-r base.txt\n-c constraints.txt\n"
        f"Pinned==1.0 \\\n    --hash=sha256:{H1} \\\n    --hash=sha256:{H2}\n"
        "    # via something\n"
        "nohash==2.0\n"
        "wild==1.*  --hash=sha256:" + H3 + "\n"
        "-e ./local\n"
        "https://127.0.0.1:9/files/x-1.0-py3-none-any.whl\n",
    )
    lock = read_lock_file(path)
    assert lock.kind is LockKind.REQUIREMENTS
    (pinned,) = lock.packages
    assert (pinned.name, pinned.version) == ("pinned", "1.0")
    assert [a.sha256 for a in pinned.artifacts] == [H1, H2]
    assert pinned.pinned_hashes == (H1, H2)
    assert lock.unresolved == (
        "ranged>=1.0",
        "nohash==2.0",
        "wild==1.*",
        "-e ./local",
        "https://127.0.0.1:9/files/x-1.0-py3-none-any.whl",
    )
    assert lock.index_urls == ("http://127.0.0.1:9/simple/",)
    assert lock.resolver_options == ("--index-url http://127.0.0.1:9/simple/",)
    assert lock.constraint_files == (tmp_path / "constraints.txt",)
    # "nohash==2.0" names its version: checked as written should no resolver reach it
    assert [(p.name, p.version, p.artifacts) for p in lock.exact_pins] == [("nohash", "2.0", ())]


def test_requirements_that_include_themselves_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "-r requirements.txt\n")
    with pytest.raises(UsageError, match="includes itself"):
        read_lock_file(path)


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("uv.lock", LockKind.UV_LOCK),
        ("poetry.lock", LockKind.POETRY_LOCK),
        ("pylock.toml", LockKind.PYLOCK),
        ("pylock.web.toml", LockKind.PYLOCK),
        ("requirements-dev.txt", LockKind.REQUIREMENTS),
        ("deps.in", LockKind.REQUIREMENTS),
        ("pylock.a.b.toml", None),
        ("frozen.lock", None),
    ],
)
def test_kind_from_name(name: str, kind: LockKind | None) -> None:
    assert kind_from_name(Path(name)) is kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [(UV_LOCK, LockKind.UV_LOCK), (PYLOCK, LockKind.PYLOCK), (POETRY_LOCK, LockKind.POETRY_LOCK)],
)
def test_unknown_names_are_sniffed_by_content(tmp_path: Path, text: str, kind: LockKind) -> None:
    assert read_lock_file(write(tmp_path, "frozen.lock", text)).kind is kind


def test_unknown_names_that_are_not_toml_are_requirements(tmp_path: Path) -> None:
    lock = read_lock_file(write(tmp_path, "frozen.lock", f"a==1 --hash=sha256:{H1}\n"))
    assert lock.kind is LockKind.REQUIREMENTS and lock.packages[0].name == "a"


def test_toml_that_is_no_lock_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a lock file safe-pip knows"):
        read_lock_file(write(tmp_path, "frozen.lock", "[tool.other]\nx = 1\n"))


# ---------------------------------------------------------------- malformed files


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("uv-bad-toml/uv.lock", "not valid TOML"),
        ("uv-missing-version/uv.lock", "package 'cleanlib': missing required key 'version'"),
        ("uv-bad-hash/uv.lock", "not a sha256 digest"),
        ("uv-bad-members/uv.lock", "[manifest]: 'members' must be an array of names"),
        ("pylock-bad-toml/pylock.toml", "not valid TOML"),
        ("pylock-missing-hashes/pylock.toml", "missing required key 'hashes'"),
        ("pylock-no-source/pylock.dev.toml", "needs one of 'wheels', 'sdist'"),
        ("poetry-bad-toml/poetry.lock", "not valid TOML"),
        ("poetry-missing-version/poetry.lock", "missing required key 'version'"),
        ("poetry-bad-hash/poetry.lock", "must look like 'sha256:<hex>'"),
        ("requirements-bad-line/requirements.txt", "requirements.txt:4: invalid requirement"),
        ("requirements-bad-hash/requirements.txt", "not a sha256 digest"),
    ],
)
def test_malformed_files_give_one_line_naming_the_file(relative: str, expected: str) -> None:
    path = MALFORMED / relative
    with pytest.raises(UsageError) as caught:
        read_lock_file(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and expected in message


def test_bad_toml_errors_say_where(tmp_path: Path) -> None:
    # tomllib says "line N"; older tomli says "end of document" for this file.
    with pytest.raises(UsageError, match=r"line \d+|end of document"):
        read_lock_file(MALFORMED / "uv-bad-toml" / "uv.lock")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read_lock_file(tmp_path / "uv.lock")
