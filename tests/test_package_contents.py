"""What a wheel carries (issue 18, item 1): the reader, each finding, the allow-list, the
first-seen record and the policy defaults -- on wheels built like every other test's."""

from __future__ import annotations

import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from safe_pip.models import Action, Category, Finding
from safe_pip.pipeline.config import load_policy
from safe_pip.pipeline.contents.inspect import (
    InstallTarget,
    WheelToInspect,
    check_wheels,
)
from safe_pip.pipeline.contents.pth_allow import allowed_line
from safe_pip.pipeline.contents.wheel import read_wheel
from safe_pip.pipeline.policy import ContentsMode, Policy
from support.wheels import FIXED_ZIP_TIME, build_wheel, wheel_members

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
EVIL_LINE = "import base64; exec(base64.b64decode('cHJpbnQoMSk='))"
NSPKG_LINE = (
    "import sys, types, os;has_mfs = sys.version_info > (3, 5);p = os.path.join("
    "sys._getframe(1).f_locals['sitedir'], *('google',));importlib = has_mfs and "
    "__import__('importlib.util');has_mfs and __import__('importlib.machinery');m = has_mfs "
    "and sys.modules.setdefault('google', importlib.util.module_from_spec(importlib.machinery."
    "PathFinder.find_spec('google', [os.path.dirname(p)])));m = m or sys.modules.setdefault("
    "'google', types.ModuleType('google'));mp = (m or []) and m.__dict__.setdefault("
    "'__path__',[]);(p not in mp) and mp.append(p)"
)
DISTUTILS_LINE = (
    "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == "
    "'local'; enabled and __import__('_distutils_hack').add_shim(); "
)


def _zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME), data)
    return path


def _check(
    tmp_path: Path,
    wheel: Path,
    name: str = "pkg",
    version: str = "1.0",
    *,
    policy: Policy | None = None,
    site: Path | None = None,
    record: bool = True,
) -> list[tuple[str, Action, str]]:
    target = InstallTarget((str(site),), str(site.parent / "bin")) if site else InstallTarget()
    result = check_wheels(
        [WheelToInspect(name, version, wheel)],
        target,
        policy or Policy(),
        now=NOW,
        record=record,
        history_path=tmp_path / "history.sqlite",
    )
    return [(d.finding.id, d.action, d.finding.summary) for d in result.verdict.decisions]


def _install_fake(site: Path, name: str, version: str, files: dict[str, str]) -> None:
    """A distribution as pip leaves it: its files, and a RECORD listing them."""
    dist_info = site / f"{name}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    lines = []
    for path, text in files.items():
        target = site / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        lines.append(f"{path},,")
    (dist_info / "RECORD").write_text("\n".join(lines) + "\n")
    (dist_info / "METADATA").write_text(f"Name: {name}\nVersion: {version}\n")


# ---------------------------------------------------------------- the reader


def test_a_plain_wheel_has_no_findings(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    assert _check(tmp_path, wheel) == []
    contents = read_wheel(wheel)
    assert contents.dist_info == "pkg-1.0.dist-info" and contents.record_problems == []


def test_executable_pth_lines_are_the_ones_site_runs(tmp_path: Path) -> None:
    text = f"# a comment\nsome/path\n{EVIL_LINE}\nimport\tos\n"
    wheel = build_wheel(tmp_path, "pkg", "1.0", files={"pkg.pth": text})
    (pth,) = read_wheel(wheel).pth_files
    assert pth.executable_lines == (EVIL_LINE, "import\tos")


def test_pth_files_below_the_top_level_are_not_run_by_site(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0", files={"pkg/inner.pth": EVIL_LINE + "\n"})
    assert read_wheel(wheel).pth_files == []


# ---------------------------------------------------------------- PTH-EXEC


def test_a_first_seen_pth_line_warns_and_a_later_new_one_blocks(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "a", "pkg", "1.0", files={"pkg.pth": "import os\n"})
    ((finding_id, action, summary),) = _check(tmp_path, first)
    assert (finding_id, action) == ("PTH-EXEC", Action.WARN)
    assert "first seen" in summary and "import os" in summary

    same = build_wheel(tmp_path / "b", "pkg", "1.1", files={"pkg.pth": "import os\n"})
    ((finding_id, action, summary),) = _check(tmp_path, same, version="1.1")
    assert (finding_id, action) == ("PTH-EXEC", Action.WARN)
    assert "first-seen 1.0" in summary

    added = build_wheel(
        tmp_path / "c", "pkg", "1.2", files={"pkg.pth": f"import os\n{EVIL_LINE}\n"}
    )
    decisions = _check(tmp_path, added, version="1.2")
    assert ("PTH-EXEC", Action.BLOCK) in [(i, a) for i, a, _ in decisions]
    blocked = next(s for i, a, s in decisions if a is Action.BLOCK)
    assert blocked.startswith("pkg.pth, new since first-seen 1.0: import base64")


def test_a_pth_line_the_installed_version_did_not_have_blocks(tmp_path: Path) -> None:
    """The compromise pattern: 1.0 is installed without a .pth; 1.1 brings one."""
    site = tmp_path / "site"
    _install_fake(site, "pkg", "1.0", {"pkg/__init__.py": ""})
    wheel = build_wheel(tmp_path, "pkg", "1.1", files={"pkg_init.pth": EVIL_LINE + "\n"})
    ((finding_id, action, summary),) = _check(tmp_path, wheel, version="1.1", site=site)
    assert (finding_id, action) == ("PTH-EXEC", Action.BLOCK)
    assert summary.startswith("pkg_init.pth, new since installed 1.0: import base64")


def test_a_pth_line_the_installed_version_had_warns(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_fake(site, "pkg", "1.0", {"pkg.pth": EVIL_LINE + "\n"})
    wheel = build_wheel(tmp_path, "pkg", "1.1", files={"pkg.pth": EVIL_LINE + "\n"})
    ((finding_id, action, _),) = _check(tmp_path, wheel, version="1.1", site=site)
    assert (finding_id, action) == ("PTH-EXEC", Action.WARN)


def test_a_blocked_release_is_not_recorded_as_first_seen(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_fake(site, "pkg", "1.0", {"pkg/__init__.py": ""})
    wheel = build_wheel(tmp_path, "pkg", "1.1", files={"pkg.pth": EVIL_LINE + "\n"})
    assert _check(tmp_path, wheel, version="1.1", site=site)[0][1] is Action.BLOCK
    # still blocked against the installed 1.0; the blocked 1.1 did not become "first seen"
    assert _check(tmp_path, wheel, version="1.1", site=site)[0][1] is Action.BLOCK


@pytest.mark.parametrize(
    ("package", "file", "line"),
    [
        ("protobuf", "protobuf-3.20.0-py3.9-nspkg.pth", NSPKG_LINE),
        ("setuptools", "distutils-precedence.pth", DISTUTILS_LINE),
    ],
)
def test_long_standing_lines_pass_through_the_shipped_allow_list(
    tmp_path: Path, package: str, file: str, line: str
) -> None:
    assert allowed_line(package, file, line) is not None
    wheel = build_wheel(tmp_path, package, "1.0", files={file: line + "\n"})
    assert _check(tmp_path, wheel, name=package) == []


def test_an_allow_listed_file_with_extra_code_is_not_allowed(tmp_path: Path) -> None:
    assert allowed_line("protobuf", "x-nspkg.pth", NSPKG_LINE + ";exec('evil')") is None
    assert allowed_line("othername", "distutils-precedence.pth", DISTUTILS_LINE) is None


def test_policy_pth_allow_extends_the_allow_list(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[pth-allow]]\npackage = "pkg"\nfile = "pkg.pth"\nreason = "our tracer"\n')
    policy = load_policy(tmp_path, env={"SAFE_PIP_CONFIG_FILE": str(config)})
    site = tmp_path / "site"
    _install_fake(site, "pkg", "1.0", {"pkg/__init__.py": ""})
    wheel = build_wheel(tmp_path, "pkg", "1.1", files={"pkg.pth": EVIL_LINE + "\n"})
    assert _check(tmp_path, wheel, version="1.1", site=site, policy=policy) == []


# ---------------------------------------------------------------- the other findings


def test_a_top_level_sitecustomize_blocks(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0", files={"sitecustomize.py": "print(1)\n"})
    ((finding_id, action, summary),) = _check(tmp_path, wheel)
    assert (finding_id, action) == ("STARTUP-HOOK", Action.BLOCK)
    assert "sitecustomize.py" in summary


def test_a_nested_sitecustomize_is_no_startup_hook(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "pkg", "1.0", files={"pkg/sitecustomize.py": "x = 1\n"})
    assert _check(tmp_path, wheel) == []


def _wheel_with_entry_points(tmp_path: Path, name: str, scripts: list[str]) -> Path:
    text = "[console_scripts]\n" + "".join(f"{s} = {name}:main\n" for s in scripts)
    return build_wheel(
        tmp_path, name, "1.0", files={f"{name}-1.0.dist-info/entry_points.txt": text}
    )


def test_a_command_named_like_pip_or_python_blocks(tmp_path: Path) -> None:
    wheel = _wheel_with_entry_points(tmp_path, "pkg", ["pip3", "python", "pkg-tool"])
    ((finding_id, action, summary),) = _check(tmp_path, wheel)
    assert (finding_id, action) == ("SCRIPT-SHADOW", Action.BLOCK)
    assert "pip3" in summary and "python" in summary and "pkg-tool" not in summary


def test_pip_may_install_its_own_commands(tmp_path: Path) -> None:
    wheel = _wheel_with_entry_points(tmp_path, "pip", ["pip", "pip3", "pip3.11"])
    assert _check(tmp_path, wheel, name="pip") == []


def test_a_command_another_distribution_owns_warns(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_fake(site, "black", "24.1", {"black/__init__.py": "", "../bin/black": ""})
    (site / "bin").mkdir(exist_ok=True)
    wheel = _wheel_with_entry_points(tmp_path, "pkg", ["black"])
    ((finding_id, action, summary),) = _check(tmp_path, wheel, site=site)
    assert (finding_id, action) == ("SCRIPT-SHADOW", Action.WARN)
    assert "black (of black)" in summary


def test_a_file_another_distribution_owns_warns(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_fake(site, "requests", "2.0", {"requests/__init__.py": "x = 1\n"})
    wheel = build_wheel(tmp_path, "pkg", "1.0", files={"requests/__init__.py": "evil = 1\n"})
    ((finding_id, action, summary),) = _check(tmp_path, wheel, site=site)
    assert (finding_id, action) == ("FILE-CLASH", Action.WARN)
    assert "requests/__init__.py (of requests)" in summary


def test_a_path_outside_the_install_scheme_blocks(tmp_path: Path) -> None:
    members = wheel_members("pkg", "1.0")
    members.insert(0, ("../../evil.py", b"x = 1\n"))
    wheel = _zip(tmp_path / "pkg-1.0-py3-none-any.whl", members)
    decisions = _check(tmp_path, wheel)
    assert ("FILE-CLASH", Action.BLOCK) in [(i, a) for i, a, _ in decisions]


def test_a_member_whose_bytes_differ_from_record_blocks(tmp_path: Path) -> None:
    members = [
        (name, b"import os; os.system('x')\n" if name == "pkg.pth" else data)
        for name, data in wheel_members("pkg", "1.0", files={"pkg.pth": "import os\n"})
    ]
    wheel = _zip(tmp_path / "pkg-1.0-py3-none-any.whl", members)
    decisions = _check(tmp_path, wheel)
    mismatch = [(a, s) for i, a, s in decisions if i == "RECORD-MISMATCH"]
    assert mismatch and mismatch[0][0] is Action.BLOCK
    assert "pkg.pth" in mismatch[0][1]


def test_a_wheel_without_record_blocks(tmp_path: Path) -> None:
    members = [m for m in wheel_members("pkg", "1.0") if not m[0].endswith("/RECORD")]
    wheel = _zip(tmp_path / "pkg-1.0-py3-none-any.whl", members)
    assert _check(tmp_path, wheel) == [("RECORD-MISMATCH", Action.BLOCK, "the wheel has no RECORD")]


def test_a_member_missing_from_record_blocks(tmp_path: Path) -> None:
    members = wheel_members("pkg", "1.0")
    members.insert(0, ("pkg/smuggled.py", b"x = 1\n"))
    wheel = _zip(tmp_path / "pkg-1.0-py3-none-any.whl", members)
    ((finding_id, action, summary),) = _check(tmp_path, wheel)
    assert (finding_id, action) == ("RECORD-MISMATCH", Action.BLOCK)
    assert "pkg/smuggled.py" in summary


# ---------------------------------------------------------------- policy


def _contents_finding(finding_id: str, *aliases: str) -> Finding:
    return Finding("pkg", "1.0", Category.CONTENTS, finding_id, "s", aliases=aliases)


def test_contents_modes() -> None:
    serious = _contents_finding("PTH-EXEC", "PTH-EXEC-NEW")
    known = _contents_finding("PTH-EXEC")
    assert Policy().finding_action(serious) is Action.BLOCK
    assert Policy().finding_action(known) is Action.WARN
    assert Policy(contents=ContentsMode.BLOCK).finding_action(known) is Action.BLOCK
    assert Policy(contents=ContentsMode.WARN).finding_action(serious) is Action.WARN


def test_an_untrusted_project_cannot_loosen_contents_or_add_pth_allowances(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.safe-pip]\ncontents = "warn"\n'
        'pth-allow = [{ package = "evil", file = "*.pth", reason = "trust me" }]\n'
    )
    env = {"SAFE_PIP_CONFIG_FILE": str(tmp_path / "none.toml")}
    policy = load_policy(tmp_path, env={**env, "SAFE_PIP_CACHE_DIR": str(tmp_path / "c")})
    assert policy.contents is ContentsMode.DEFAULT and policy.pth_allow == ()
    assert any("contents" in w and "pth-allow" in w for w in policy.warnings)


def test_an_ignore_entry_names_the_finding_for_its_package(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[ignore]]\nid = "STARTUP-HOOK"\npackage = "pkg"\nreason = "known"\n')
    policy = load_policy(tmp_path, env={"SAFE_PIP_CONFIG_FILE": str(config)})
    wheel = build_wheel(tmp_path, "pkg", "1.0", files={"sitecustomize.py": "print(1)\n"})
    ((finding_id, action, _),) = _check(tmp_path, wheel, policy=policy)
    assert (finding_id, action) == ("STARTUP-HOOK", Action.IGNORE)


def test_a_blocked_contents_finding_says_where_to_read_and_how_to_accept(tmp_path: Path) -> None:
    from safe_pip.pipeline.policy import decide
    from safe_pip.pipeline.report import hint_lines

    finding = _contents_finding("STARTUP-HOOK")
    (hint,) = [h for h in hint_lines(decide([finding], Policy(), NOW.date())) if "STARTUP" in h]
    assert "docs/package-contents.md" in hint and "ignore" in hint


def test_a_fresh_install_reads_no_other_distributions_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cost: another distribution's RECORD is read only when a path the wheel installs
    exists already."""
    from safe_pip.pipeline.contents import environment

    site = tmp_path / "site"
    for number in range(20):
        _install_fake(site, f"other{number}", "1.0", {f"other{number}/__init__.py": ""})
    read: list[Path] = []
    original = environment._record_rows

    def counting(record: Path) -> list[tuple[str, str]]:
        read.append(record)
        return original(record)

    monkeypatch.setattr(environment, "_record_rows", counting)
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    assert _check(tmp_path, wheel, site=site) == []
    assert read == []
    clashing = build_wheel(tmp_path / "b", "pkg", "1.1", files={"other3/__init__.py": "x\n"})
    assert _check(tmp_path, clashing, version="1.1", site=site)[0][0] == "FILE-CLASH"
    assert len(read) == 20


def test_an_unreadable_history_fails_closed_or_is_noted_when_open(tmp_path: Path) -> None:
    from safe_pip.errors import CannotCheckError
    from safe_pip.pipeline.policy import FailMode

    (tmp_path / "history.sqlite").write_text("not a database")
    wheel = build_wheel(tmp_path, "pkg", "1.0", files={"pkg.pth": "import os\n"})
    with pytest.raises(CannotCheckError, match="project history"):
        _check(tmp_path, wheel)
    opened = check_wheels(
        [WheelToInspect("pkg", "1.0", wheel)],
        InstallTarget(),
        Policy(fail_mode=FailMode.OPEN),
        now=NOW,
        history_path=tmp_path / "history.sqlite",
    )
    assert [d.finding.id for d in opened.verdict.decisions] == ["PTH-EXEC"]
    assert any("fail-mode is open" in note for note in opened.notes)


def test_what_is_built_from_source_is_named_not_skipped() -> None:
    """A version with a wheel is opened; one that only has an sdist or a VCS checkout is
    built by the installer while it installs, and the warning names it."""
    from safe_pip.models import ArtifactSource, PlanItem
    from safe_pip.pipeline.contents.fetch import not_inspected_builds

    items = [
        PlanItem("lib", "1.0", filename="lib-1.0-py3-none-any.whl"),
        PlanItem("lib", "1.0", filename="lib-1.0.tar.gz"),
        PlanItem("built", "2.0", filename="built-2.0.tar.gz"),
        PlanItem("checkout", "0.1", source=ArtifactSource.VCS),
    ]

    assert not_inspected_builds(items, "uv") == (
        "contents not inspected: uv builds built==2.0, checkout==0.1 from source while "
        "installing (no wheel to open before)"
    )
    assert not_inspected_builds(items[:2]) is None
