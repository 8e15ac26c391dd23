"""Shell functions that send ``pip install`` and ``python -m pip install`` through safe-pip.

``alias_block(shell)`` is the text; ``write_block(rc_file, text)`` puts it into a shell startup
file between ``# >>> safe-pip >>>`` and ``# <<< safe-pip <<<``, replacing an earlier block,
so running it again never adds a second copy.

Only ``install`` as the first argument is redirected (``pip -q install`` is not); the pip hook
(``safe-pip hook install``) guards every way of running pip, the functions are a convenience.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from safe_pip.errors import UsageError

SHELLS = ("bash", "zsh", "fish", "powershell")
BEGIN_MARKER = "# >>> safe-pip >>>"
END_MARKER = "# <<< safe-pip <<<"
ALIAS_HINT = f"safe-pip alias {'|'.join(SHELLS)}"  # how to name the shell

_SHELL_NAMES = {
    "bash": "bash",
    "zsh": "zsh",
    "fish": "fish",
    "pwsh": "powershell",
    "powershell": "powershell",
}
_PIP_COMMANDS = ("pip", "pip3")
_PYTHON_COMMANDS = ("python", "python3")

_HEADER = (
    "# Added by `safe-pip alias {shell}`: `pip install`, `pip3 install` and `python -m pip\n"
    "# install` run `safe-pip install`; every other pip command runs pip unchanged.\n"
)

# POSIX-style shells. ``function NAME`` (not ``NAME()``) so an existing alias of the same
# name cannot break the definition.
_POSIX_PIP = (
    'function {cmd} {{ if [ "$1" = install ]; then shift; safe-pip install "$@"; '
    'else command {cmd} "$@"; fi; }}\n'
)
_POSIX_PYTHON = (
    'function {cmd} {{ if [ "$1" = -m ] && [ "$2" = pip ] && [ "$3" = install ]; then '
    'shift 3; safe-pip install --python "$({which} {cmd})" "$@"; '
    'else command {cmd} "$@"; fi; }}\n'
)
_FISH_PIP = """\
function {cmd} --description '{cmd}, with install through safe-pip'
    if test (count $argv) -ge 1; and test "$argv[1]" = install
        set -e argv[1]
        safe-pip install $argv
    else
        command {cmd} $argv
    end
end
"""
_FISH_PYTHON = """\
function {cmd} --description '{cmd}, with -m pip install through safe-pip'
    if test (count $argv) -ge 3; and test "$argv[1]" = -m; and test "$argv[2]" = pip; \
and test "$argv[3]" = install
        set -e argv[1]; set -e argv[1]; set -e argv[1]
        safe-pip install --python (command -s {cmd}) $argv
    else
        command {cmd} $argv
    end
end
"""
_POWERSHELL_PIP = (
    "function {cmd} {{ if ($args.Count -ge 1 -and $args[0] -eq 'install') {{ "
    "$rest = @($args | Select-Object -Skip 1); safe-pip install @rest }} "
    "else {{ & (Get-Command {cmd} -CommandType Application -TotalCount 1) @args }} }}\n"
)
_POWERSHELL_PYTHON = (
    "function {cmd} {{ $exe = Get-Command {cmd} -CommandType Application -TotalCount 1; "
    "if ($args.Count -ge 3 -and $args[0] -eq '-m' -and $args[1] -eq 'pip' "
    "-and $args[2] -eq 'install') {{ $rest = @($args | Select-Object -Skip 3); "
    "safe-pip install --python $exe.Source @rest }} else {{ & $exe @args }} }}\n"
)
# The executable on PATH, ignoring the function being defined.
_PATH_LOOKUP = {"bash": "type -P", "zsh": "whence -p"}
_TEMPLATES = {
    "bash": (_POSIX_PIP, _POSIX_PYTHON),
    "zsh": (_POSIX_PIP, _POSIX_PYTHON),
    "fish": (_FISH_PIP, _FISH_PYTHON),
    "powershell": (_POWERSHELL_PIP, _POWERSHELL_PYTHON),
}


def detect_shell(env: Mapping[str, str] | None = None) -> str:
    """The user's shell from ``$SHELL``; ``UsageError`` if it is not one of ``SHELLS``."""
    env = os.environ if env is None else env
    shell = shell_from_env(env)
    if shell is None:
        raise UsageError(
            f"cannot tell your shell from SHELL={env.get('SHELL', '')!r}; name it: {ALIAS_HINT}"
        )
    return shell


def shell_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The user's shell from ``$SHELL`` (PowerShell on Windows when ``$SHELL`` is unset), or
    None when it is not one of ``SHELLS``."""
    env = os.environ if env is None else env
    login_shell = env.get("SHELL", "")
    if not login_shell and os.name == "nt":
        return "powershell"
    name = Path(login_shell).name.lower().removesuffix(".exe")
    return _SHELL_NAMES.get(name)


def alias_block(shell: str) -> str:
    """The marked block of shell functions for ``shell`` (one of ``SHELLS``)."""
    if shell not in _TEMPLATES:
        raise UsageError(f"unknown shell {shell!r}; choose one of {', '.join(SHELLS)}")
    pip_template, python_template = _TEMPLATES[shell]
    lines = [BEGIN_MARKER + "\n", _HEADER.format(shell=shell)]
    lines += [pip_template.format(cmd=cmd) for cmd in _PIP_COMMANDS]
    which = _PATH_LOOKUP.get(shell, "")
    lines += [python_template.format(cmd=cmd, which=which) for cmd in _PYTHON_COMMANDS]
    lines.append(END_MARKER + "\n")
    return "".join(lines)


def rc_file(shell: str, env: Mapping[str, str] | None = None) -> Path:
    """The startup file ``shell`` reads for interactive sessions."""
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    if shell == "bash":
        return home / ".bashrc"
    if shell == "zsh":
        return Path(env.get("ZDOTDIR") or home) / ".zshrc"
    if shell == "fish":
        return config_home / "fish" / "config.fish"
    if shell == "powershell":
        windows = os.name == "nt"
        profile_dir = home / "Documents" / "PowerShell" if windows else config_home / "powershell"
        return profile_dir / "Microsoft.PowerShell_profile.ps1"
    raise UsageError(f"unknown shell {shell!r}; choose one of {', '.join(SHELLS)}")


def write_block(path: Path, block: str) -> str:
    """Put ``block`` into ``path``; return ``"added"``, ``"replaced"`` or ``"unchanged"``.

    A symlinked startup file (dotfile managers) is updated where the link points.
    """
    path = Path(os.path.realpath(path))
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    updated = replace_block(text, block, path)
    if updated == text:
        return "unchanged"
    _write_text(path, updated)
    return "replaced" if BEGIN_MARKER in text else "added"


def replace_block(text: str, block: str, path: Path) -> str:
    """``text`` with its safe-pip block(s) replaced by ``block`` (appended if there is none)."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    insert_at: int | None = None
    inside = False
    for line in lines:
        marker = line.strip()
        if marker == BEGIN_MARKER and not inside:
            inside = True
            insert_at = len(kept) if insert_at is None else insert_at
        elif marker == END_MARKER and inside:
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise UsageError(f"{path} has {BEGIN_MARKER!r} without {END_MARKER!r}; fix it by hand")
    if insert_at is None:
        if kept and not kept[-1].endswith("\n"):
            kept[-1] += "\n"
        prefix = "\n" if kept and kept[-1].strip() else ""
        return "".join(kept) + prefix + block
    return "".join(kept[:insert_at]) + block + "".join(kept[insert_at:])


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
            os.chmod(temp_name, mode)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def remove_block(path: Path) -> bool:
    """Take the safe-pip block out of ``path``; return whether there was one."""
    path = Path(os.path.realpath(path))
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    if BEGIN_MARKER not in text:
        return False
    updated = replace_block(text, "", path)
    if updated.endswith("\n\n") and not text.endswith("\n\n"):
        updated = updated[:-1]  # the blank line `write_block` put before an appended block
    _write_text(path, updated)
    return True
