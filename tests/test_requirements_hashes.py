"""``requirements_hashes``: pinned sha256 values and index options from requirement files."""

from __future__ import annotations

from pathlib import Path

import pytest

from safe_pip.errors import UsageError
from safe_pip.installers.requirement_pins import (
    RequirementFileOption,
    pinned_hashes,
    read_requirement_files,
    requested_names,
)

A, B, C, D = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_hashes_with_continuations_comments_and_markers(tmp_path: Path) -> None:
    requirements = write(
        tmp_path / "requirements.txt",
        "# a comment\n"
        "Demo_Pkg==1.0 \\\n"
        f"    --hash=sha256:{A} \\\n"
        f"    --hash sha256:{B.upper()}  # trailing comment\n"
        "\n"
        f'helper==1.1 ; python_version >= "3" --hash=sha256:{C}\n'
        "unpinned>=2\n"
        f"other==3 --hash=sha512:{'e' * 128}\n",
    )
    assert pinned_hashes([requirements]) == {"demo-pkg": {A, B}, "helper": {C}}


def test_nested_requirement_and_constraint_files_relative_to_the_including_file(
    tmp_path: Path,
) -> None:
    write(tmp_path / "sub" / "base.txt", f"helper==1.1 --hash=sha256:{B}\n-c more/c.txt\n")
    write(tmp_path / "sub" / "more" / "c.txt", f"third==1 --hash=sha256:{C}\n")
    top = write(tmp_path / "top.txt", f"-r sub/base.txt\ndemo==1.0 --hash=sha256:{A}\n")
    assert pinned_hashes([top]) == {"helper": {B}, "third": {C}, "demo": {A}}


def test_same_name_in_several_files_unions_the_hashes(tmp_path: Path) -> None:
    one = write(tmp_path / "one.txt", f"demo==1.0 --hash=sha256:{A}\n")
    two = write(tmp_path / "two.txt", f"demo==1.0 --hash=sha256:{B}\n")
    assert pinned_hashes([one, str(two)]) == {"demo": {A, B}}


def test_url_and_path_requirements_are_named_from_egg_or_filename(tmp_path: Path) -> None:
    requirements = write(
        tmp_path / "r.txt",
        f"./dist/local_pkg-2.0-py3-none-any.whl --hash=sha256:{A}\n"
        f"https://host.invalid/x/Some.Sdist-1.0.tar.gz --hash=sha256:{B}\n"
        f"https://host.invalid/archive.zip#egg=eggy --hash=sha256:{C}\n"
        f"named @ https://host.invalid/n.whl --hash=sha256:{D}\n"
        f"https://host.invalid/unknowable --hash=sha256:{D}\n",
    )
    assert pinned_hashes([requirements]) == {
        "local-pkg": {A},
        "some-sdist": {B},
        "eggy": {C},
        "named": {D},
    }


def test_environment_variables_are_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_HASH", A)
    requirements = write(tmp_path / "r.txt", "demo==1.0 --hash=sha256:${DEMO_HASH}\n")
    assert pinned_hashes([requirements]) == {"demo": {A}}


def test_index_options_are_kept_in_order(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write(tmp_path / "inner.txt", "--extra-index-url http://two/simple/\n")
    requirements = write(
        tmp_path / "r.txt",
        "--index-url=http://one/simple/ --trusted-host one\n"
        "-r inner.txt\n"
        "-f wheels\n"
        "--find-links /absolute/elsewhere\n"
        "--no-index\n"
        "--pre\n"
        "-e ./editable\n"
        "demo==1.0\n",
    )
    assert read_requirement_files([requirements]).options == (
        RequirementFileOption("--index-url", "http://one/simple/"),
        RequirementFileOption("--trusted-host", "one"),
        RequirementFileOption("--extra-index-url", "http://two/simple/"),
        RequirementFileOption("--find-links", str(wheels)),
        RequirementFileOption("--find-links", "/absolute/elsewhere"),
        RequirementFileOption("--no-index"),
    )
    assert (
        RequirementFileOption("--index-url", "http://x y/").as_line() == "--index-url 'http://x y/'"
    )
    assert RequirementFileOption("--no-index").as_line() == "--no-index"


def test_remote_requirement_files_are_skipped(tmp_path: Path) -> None:
    requirements = write(tmp_path / "r.txt", "-r https://host.invalid/more.txt\n")
    assert pinned_hashes([requirements, "http://host.invalid/r.txt"]) == {}


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^requirements file not found: .*nope\.txt$"):
        pinned_hashes([tmp_path / "nope.txt"])


def test_missing_nested_file_names_the_including_line(tmp_path: Path) -> None:
    top = write(tmp_path / "top.txt", "demo\n\n-r missing.txt\n")
    with pytest.raises(UsageError) as caught:
        pinned_hashes([top])
    assert str(caught.value) == (
        f"requirements file not found: {tmp_path / 'missing.txt'} (included from {top}:3)"
    )


def test_self_inclusion_is_a_usage_error(tmp_path: Path) -> None:
    top = write(tmp_path / "loop.txt", "-r loop.txt\n")
    with pytest.raises(UsageError, match="requirements file includes itself"):
        pinned_hashes([top])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "ok==1\nthis is not a requirement!\n",
            "{f}:2: invalid requirement 'this is not a requirement!'",
        ),
        ("ok==1 \\\n  --hash=sha256:\n", "{f}:1: --hash needs the form ALGORITHM:DIGEST"),
        ("\n\ndemo==1 --hash=sha256:1234\n", "{f}:3: not a sha256 digest: 1234"),
        ("demo==1 --hash\n", "{f}:1: --hash needs a value"),
        ("-r\n", "{f}:1: -r needs a file name"),
        ("--index-url\n", "{f}:1: --index-url needs a value"),
        ("demo==1 --hash='unterminated\n", "{f}:1: cannot parse line"),
    ],
)
def test_broken_lines_are_usage_errors_with_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    requirements = write(tmp_path / "r.txt", text)
    with pytest.raises(UsageError) as caught:
        pinned_hashes([requirements])
    assert str(caught.value).startswith(message.format(f=requirements))


def test_undecodable_file_is_a_usage_error(tmp_path: Path) -> None:
    requirements = tmp_path / "r.txt"
    requirements.write_bytes(b"demo==1.0 \xff\xfe\n")
    with pytest.raises(UsageError, match="not valid UTF-8"):
        pinned_hashes([requirements])


def test_requested_names_from_the_command_line_and_requirement_files(tmp_path: Path) -> None:
    nested = tmp_path / "more.txt"
    nested.write_text("Foo_Bar[x]>=1 ; python_version > '3'\n")
    top = tmp_path / "requirements.txt"
    top.write_text(
        "-r more.txt\n--index-url https://example.org/simple\n"
        "./dist/local_pkg-1.0-py3-none-any.whl\n"
    )
    names = requested_names(["requests==2.19.0", "not a requirement ((("], [str(top)])
    assert names == {"requests", "foo-bar", "local-pkg"}
