"""Child processes safe-pip starts: their environment and interpreter, and running an
installer (pip or uv) so the user sees its output live while safe-pip keeps a copy of stderr
to recognise hash mismatches, and Ctrl-C ends it cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from safe_pip import exit_codes
from safe_pip.errors import UsageError

_GRACE_SECONDS = 5.0

# Set in every pip child process safe-pip starts: the pip hook must not vet it again.
ACTIVE_ENV_VAR = "SAFE_PIP_ACTIVE"


def pip_child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a Python/pip child process safe-pip starts itself: the given one
    plus the recursion guard. The guard carries this process's id, and the pip hook honours it
    only in a direct child of this process, so it cannot leak into any other pip."""
    child = dict(os.environ if env is None else env)
    child[ACTIVE_ENV_VAR] = str(os.getpid())
    child.setdefault("PYTHONIOENCODING", "utf-8")
    return child


def check_interpreter(python: str) -> str:
    """The interpreter path to run, or ``UsageError`` when there is none."""
    found = shutil.which(python)
    if found is None:
        raise UsageError(f"Python interpreter not found: {python}")
    return found


@dataclass(frozen=True)
class InstallerRun:
    returncode: int  # the installer's exit code; exit_codes.INTERRUPTED after Ctrl-C
    stderr: str = ""


def run_installer(
    command: Sequence[str], env: Mapping[str, str], stdout: TextIO | None = None
) -> InstallerRun:
    """Run ``command`` with stdout inherited (or sent to ``stdout``) and stderr shown live
    while also kept."""
    if stdout is not None:
        stdout.flush()
    try:
        process = subprocess.Popen(
            list(command), env=dict(env), stdout=stdout, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise UsageError(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    assert process.stderr is not None
    captured: list[bytes] = []
    tee = threading.Thread(target=_tee, args=(process.stderr, captured), daemon=True)
    tee.start()
    try:
        returncode = process.wait()
    except KeyboardInterrupt:
        _stop(process)
        tee.join(timeout=_GRACE_SECONDS)
        return InstallerRun(exit_codes.INTERRUPTED)
    tee.join()
    return InstallerRun(returncode, b"".join(captured).decode("utf-8", errors="replace"))


def _tee(stream: BinaryIO, captured: list[bytes]) -> None:
    output = getattr(sys.stderr, "buffer", None)
    while True:
        chunk = os.read(stream.fileno(), 65536)
        if not chunk:
            break
        captured.append(chunk)
        try:
            if output is not None:
                output.write(chunk)
                output.flush()
            else:
                sys.stderr.write(chunk.decode("utf-8", errors="replace"))
                sys.stderr.flush()
        except (OSError, ValueError):
            pass  # the user's terminal went away; keep draining so the child does not block


def _stop(process: subprocess.Popen[bytes]) -> None:
    """After Ctrl-C: the child normally got SIGINT from the terminal too; make sure it ends."""
    for timeout, last_resort in ((1.0, False), (_GRACE_SECONDS, True)):
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            if last_resort:
                process.kill()
            else:
                process.send_signal(signal.SIGINT)
        except KeyboardInterrupt:
            process.kill()
    process.wait()
