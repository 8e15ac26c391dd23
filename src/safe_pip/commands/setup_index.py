"""``safe-pip setup --index URL``: point this user's pip and uv at a guarded index.

pip: ``global.index-url`` in the user's pip configuration, written by pip itself (``pip
config --user set``, the pip of ``--python`` or of this interpreter). uv: a default
``[[index]]`` in the user's ``uv.toml`` (``$XDG_CONFIG_HOME/uv/uv.toml``, ``%APPDATA%\\uv``),
in a marked block ``--undo``-style tools can find; a ``uv.toml`` that already names an index
is left alone and the lines to add are printed. poetry and pdm keep their index per project
or in their own config: the commands are printed, not run.

safe-pip behind the guarded index keeps checking on its own (its database, its policy): the
index's yanks of versions it blocks (reason ``safe-pip: ...``) are not reported once more
(``pipeline.checks.guarded_index_yank``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from safe_pip import exit_codes
from safe_pip.console import warn
from safe_pip.errors import CannotCheckError, UsageError
from safe_pip.redaction import redact_url

INDEX_UNDO_HINT = (
    "setup --undo takes no --index: `pip config --user unset global.index-url` and the "
    "marked block in uv.toml take it back"
)
UV_BLOCK_BEGIN = "# >>> safe-pip guarded index >>>"
UV_BLOCK_END = "# <<< safe-pip guarded index <<<"


def add_index_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        metavar="URL",
        help="also point pip and uv (this user's configuration) at this guarded index "
        "(a devpi index with safe-pip's plugin); prints the lines for poetry and pdm",
    )


def run_index_setup(index_url: str, python: str | None = None) -> int:
    url = _checked_url(index_url)
    shown = redact_url(url)
    _set_pip_index(url, python or sys.executable)
    print(f"pip: global.index-url = {shown} (user configuration)")
    print(_set_uv_index(url, uv_config_file()))
    print("poetry (per project): poetry source add --priority=primary guarded " + shown)
    print("pdm: pdm config pypi.url " + shown)
    print(
        "safe-pip still checks every install itself; versions the index hides show up as "
        "its findings, not as yanks."
    )
    return exit_codes.OK


def _checked_url(value: str) -> str:
    url = value.strip()
    if not url.startswith(("https://", "http://")):
        raise UsageError(f"--index needs an http(s) URL of the index's simple pages, got {value!r}")
    if url.startswith("http://") and not url.startswith(("http://127.0.0.1", "http://localhost")):
        warn(f"{redact_url(url)} is plain http: anyone on the way can change what it serves")
    return url if url.endswith("/") else url + "/"


def _set_pip_index(url: str, python: str) -> None:
    command = [python, "-m", "pip", "config", "--user", "set", "global.index-url", url]
    env = dict(os.environ)
    override = env.pop("PIP_CONFIG_FILE", None)  # pip config --user fails on os.devnull
    if override:
        warn(f"PIP_CONFIG_FILE={override} is set: pip reads that file last and may not use this")
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CannotCheckError(f"could not run pip config: {exc}") from exc
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise CannotCheckError(f"pip config --user set failed: {reason}")


def uv_config_file() -> Path:
    """uv's user configuration file, where uv reads it."""
    if sys.platform == "win32":  # pragma: no cover - not Linux
        return Path(os.environ.get("APPDATA", Path.home())) / "uv" / "uv.toml"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "uv" / "uv.toml"


def _set_uv_index(url: str, path: Path) -> str:
    block = f'{UV_BLOCK_BEGIN}\n[[index]]\nurl = "{url}"\ndefault = true\n{UV_BLOCK_END}\n'
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise CannotCheckError(f"cannot read {path}: {exc}") from exc
    if UV_BLOCK_BEGIN in text:
        head, _, rest = text.partition(UV_BLOCK_BEGIN)
        _, _, tail = rest.partition(UV_BLOCK_END + "\n")
        text = head + tail
    elif any(key in text for key in ("[[index]]", "index-url", "extra-index-url")):
        shown = block.replace(url, redact_url(url))
        return f"uv: {path} already names an index; left as it is. Add:\n{shown}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + ("\n" if text and not text.endswith("\n") else "") + block)
    return f"uv: default index = {redact_url(url)} ({path})"
