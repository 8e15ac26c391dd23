"""Shell functions that send every ``pip``, ``pip3`` and ``python -m pip`` command through safe-pip.

``alias_block(shell)`` is the text; ``write_block(rc_file, text)`` puts it into a shell startup
file between ``# >>> safe-pip >>>`` and ``# <<< safe-pip <<<``, replacing an earlier block,
so running it again never adds a second copy.

safe-pip, not the shell, decides whether a pip command line is an install (pip's general
options may come first: ``pip -q install``), so the functions pass everything but
``--version``/``--help`` to safe-pip, which runs other pip commands unchanged. ``python`` is
only redirected when its arguments run ``-m pip``; ``python script.py`` runs untouched.
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
# In the block of a startup file that `alias --write` created: `--remove` deletes the file
# again when nothing else was added to it.
CREATED_LINE = "# (this file was created by safe-pip alias --write)"
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
    "# Added by `safe-pip alias {shell}`: every pip, pip3, `python -m pip` and `python3 -m pip`\n"
    "# command goes to safe-pip, which checks installs whatever options come first\n"
    "# (`pip -q install`, `python -I -m pip -v install`) and runs any other pip command\n"
    "# unchanged. `command pip ...` bypasses these functions.\n"
)

# POSIX-style shells (bash, zsh). ``function NAME`` (not ``NAME()``) so an existing alias of
# the same name cannot break the definition. ``_safe_pip_m_pip ARGS`` prints how many of
# python's arguments lead up to and include ``-m pip`` (python's own options may come first:
# ``-I``, ``-s``, ``-W arg``, ``-X opt``, combined as ``-Im pip`` or ``-mpip``), nothing when
# the command line does not run pip; ``python script.py`` never gets that far.
_POSIX_HELPER = """\
function _safe_pip_m_pip {
  local n=0 a rest head opt tail
  while [ "$#" -gt 0 ]; do
    a=$1; shift; n=$((n + 1))
    case "$a" in
      ''|-|--*|[!-]*) return 0 ;;
      -*[cmWX]*)
        rest=${a#-}; head=${rest%%[cmWX]*}
        opt=${rest:${#head}:1}; tail=${rest:$((${#head} + 1))}
        case "$opt" in
          c) return 0 ;;
          m)
            if [ -n "$tail" ]; then
              if [ "$tail" = pip ]; then echo "$n"; fi
            elif [ "${1-}" = pip ]; then
              echo "$((n + 1))"
            fi
            return 0 ;;
          *) if [ -z "$tail" ] && [ "$#" -gt 0 ]; then shift; n=$((n + 1)); fi ;;
        esac ;;
    esac
  done
}
"""
_POSIX_PIP = """\
function @CMD@ {
  case "${1-}" in
    ''|-V|--version|-h|--help|help) command @CMD@ "$@" ;;
    *) safe-pip "$@" ;;
  esac
}
"""
_POSIX_PYTHON = """\
function @CMD@ {
  case " $* " in *pip*) ;; *) command @CMD@ "$@"; return ;; esac
  local _safe_pip_n
  _safe_pip_n=$(_safe_pip_m_pip "$@")
  if [ -z "$_safe_pip_n" ]; then command @CMD@ "$@"; return; fi
  shift "$_safe_pip_n"
  safe-pip --python "$(@WHICH@ @CMD@)" "$@"
}
"""
_FISH_HELPER = """\
function __safe_pip_m_pip --description 'how many of python arguments lead up to -m pip'
    set -l n 0
    while set -q argv[1]
        set -l a $argv[1]
        set -e argv[1]
        set n (math $n + 1)
        switch $a
            case '' - '--*'
                return 0
            case '-*'
                set -l rest (string sub -s 2 -- $a)
                set -l head (string replace -r -- '[cmWX].*$' '' $rest)
                test "$head" = "$rest"; and continue
                set -l len (string length -- "$head")
                set -l opt (string sub -s (math $len + 1) -l 1 -- $rest)
                set -l tail (string sub -s (math $len + 2) -- $rest)
                switch $opt
                    case c
                        return 0
                    case m
                        if test -n "$tail"
                            test "$tail" = pip; and echo $n
                        else if test "$argv[1]" = pip
                            echo (math $n + 1)
                        end
                        return 0
                    case '*'
                        if test -z "$tail"; and set -q argv[1]
                            set -e argv[1]
                            set n (math $n + 1)
                        end
                end
            case '*'
                return 0
        end
    end
end
"""
_FISH_PIP = """\
function @CMD@ --description '@CMD@, through safe-pip'
    switch "$argv[1]"
        case '' -V --version -h --help help
            command @CMD@ $argv
        case '*'
            safe-pip $argv
    end
end
"""
_FISH_PYTHON = """\
function @CMD@ --description '@CMD@, with -m pip through safe-pip'
    if string match -q -- '*pip*' "$argv"
        set -l n (__safe_pip_m_pip $argv)
        if test -n "$n"
            set -l exe (command -s @CMD@)
            for i in (seq $n)
                set -e argv[1]
            end
            safe-pip --python $exe $argv
            return $status
        end
    end
    command @CMD@ $argv
end
"""
_POWERSHELL_HELPER = """\
function __SafePipMPip {
  for ($i = 0; $i -lt $args.Count; $i++) {
    $a = [string]$args[$i]
    if ($a -eq '' -or $a -eq '-' -or $a.StartsWith('--') -or -not $a.StartsWith('-')) { return }
    $rest = $a.Substring(1); $k = $rest.IndexOfAny([char[]]'cmWX')
    if ($k -lt 0) { continue }
    $opt = [string]$rest[$k]; $tail = $rest.Substring($k + 1)
    if ($opt -ceq 'c') { return }
    if ($opt -ceq 'm') {
      if ($tail) { if ($tail -ceq 'pip') { return $i + 1 }; return }
      if ($i + 1 -lt $args.Count -and [string]$args[$i + 1] -ceq 'pip') { return $i + 2 }
      return
    }
    if (-not $tail) { $i++ }
  }
}
"""
_POWERSHELL_PIP = """\
function @CMD@ {
  if ($args.Count -eq 0 -or @('-V', '--version', '-h', '--help', 'help') -contains $args[0]) {
    & (Get-Command @CMD@ -CommandType Application -TotalCount 1) @args
  } else { safe-pip @args }
}
"""
_POWERSHELL_PYTHON = """\
function @CMD@ {
  $exe = Get-Command @CMD@ -CommandType Application -TotalCount 1
  $n = __SafePipMPip @args
  if ($n) { $rest = @($args | Select-Object -Skip $n); safe-pip --python $exe.Source @rest }
  else { & $exe @args }
}
"""
# The executable on PATH, ignoring the function being defined.
_PATH_LOOKUP = {"bash": "type -P", "zsh": "whence -p"}
_TEMPLATES = {
    "bash": (_POSIX_HELPER, _POSIX_PIP, _POSIX_PYTHON),
    "zsh": (_POSIX_HELPER, _POSIX_PIP, _POSIX_PYTHON),
    "fish": (_FISH_HELPER, _FISH_PIP, _FISH_PYTHON),
    "powershell": (_POWERSHELL_HELPER, _POWERSHELL_PIP, _POWERSHELL_PYTHON),
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
    helper, pip_template, python_template = _TEMPLATES[shell]
    which = _PATH_LOOKUP.get(shell, "")
    lines = [BEGIN_MARKER + "\n", _HEADER.format(shell=shell), helper]
    lines += [pip_template.replace("@CMD@", cmd) for cmd in _PIP_COMMANDS]
    lines += [
        python_template.replace("@CMD@", cmd).replace("@WHICH@", which) for cmd in _PYTHON_COMMANDS
    ]
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
    if not path.exists() or CREATED_LINE in text:  # so --remove takes the file away again
        block = block.replace(f"{BEGIN_MARKER}\n", f"{BEGIN_MARKER}\n{CREATED_LINE}\n", 1)
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
    if not updated.strip() and CREATED_LINE in text:
        # `alias --write` created the file and nothing else was added: leave no empty file
        try:
            path.unlink()
        except OSError as exc:
            raise UsageError(f"cannot remove {path}: {exc.strerror or exc}") from exc
        return True
    _write_text(path, updated)
    return True
