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
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import BinaryIO, Generic, NamedTuple, TextIO, TypeVar

from safe_pip import exit_codes
from safe_pip.console import colour_enabled, installer_output_safe, strip_ansi
from safe_pip.errors import SafePipError, UsageError
from safe_pip.hook.runtime import run_token

_GRACE_SECONDS = 5.0


def pip_child_env(
    env: Mapping[str, str] | None = None, token: run_token.RunToken | None = None
) -> dict[str, str]:
    """The environment for a Python/pip child process safe-pip starts itself: the given one
    (default ``os.environ``) plus, with ``token``, the recursion marker that keeps the pip
    hook off in that child (a pip whose plan safe-pip vets itself); without one, any marker
    is dropped, so the child stays guarded. Revoke the token once the child has ended."""
    child = run_token.without_marker(env) if token is None else token.child_env(env)
    child.setdefault("PYTHONIOENCODING", "utf-8")
    if colour_enabled(sys.stderr, child):
        # pip's stderr reaches the terminal through safe-pip: keep pip's own colours
        child.setdefault("FORCE_COLOR", "1")
    return child


def check_interpreter(python: str) -> str:
    """The interpreter path to run, or ``UsageError`` when there is none."""
    found = shutil.which(python)
    if found is None:
        raise UsageError(f"Python interpreter not found: {python}")
    return found


T = TypeVar("T")


class ChildOutput(NamedTuple):
    """What a finished child process said (decoded as UTF-8, undecodable bytes replaced)."""

    returncode: int
    stdout: str
    stderr: str


class PendingChild(Generic[T]):
    """A child process running in the background while safe-pip does other work.

    ``result()`` waits for it (at most ``timeout`` seconds, then ``on_timeout()`` is raised),
    turns its output into a ``T`` with ``read`` and remembers it; ``cancel()`` ends the child
    and runs ``cleanup``. Use it as a context manager so an error elsewhere ends the child.
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        read: Callable[[ChildOutput], T],
        *,
        cleanup: Callable[[], None] | None = None,
        timeout: float | None = None,
        on_timeout: Callable[[], SafePipError] | None = None,
    ) -> None:
        self._process = process
        self._read = read
        self._cleanup = cleanup
        self._timeout = timeout
        self._on_timeout = on_timeout
        self._result: tuple[T] | None = None

    def result(self) -> T:
        if self._result is None:
            try:
                output = self._wait()
                self._result = (self._read(output),)
            finally:
                self._clean_up()
        return self._result[0]

    def cancel(self) -> None:
        self.kill()
        self._process.communicate()
        self._clean_up()

    def kill(self) -> None:
        """End the child without reading what it wrote (another thread may be reading it:
        ``cancel()`` once that is done)."""
        if self._process.poll() is None:
            self._process.kill()

    def _wait(self) -> ChildOutput:
        try:
            stdout, stderr = self._process.communicate(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            self.cancel()
            if self._on_timeout is None:
                raise
            raise self._on_timeout() from None
        return ChildOutput(
            self._process.returncode,
            stdout.decode("utf-8", errors="replace"),
            stderr.decode("utf-8", errors="replace"),
        )

    def _clean_up(self) -> None:
        cleanup, self._cleanup = self._cleanup, None
        if cleanup is not None:
            cleanup()

    def __enter__(self) -> PendingChild[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cancel()


def start_child(
    command: Sequence[str],
    env: Mapping[str, str],
    read: Callable[[ChildOutput], T],
    *,
    cannot_start: Callable[[OSError], SafePipError],
    cleanup: Callable[[], None] | None = None,
    timeout: float | None = None,
    on_timeout: Callable[[], SafePipError] | None = None,
) -> PendingChild[T]:
    """Start ``command`` (no stdin, output captured) and return at once; see ``PendingChild``.
    ``cannot_start`` turns a failure to start it into safe-pip's error (``cleanup`` runs)."""
    try:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        if cleanup is not None:
            cleanup()
        raise cannot_start(error) from None
    return PendingChild(process, read, cleanup=cleanup, timeout=timeout, on_timeout=on_timeout)


class InstallerRun(NamedTuple):
    returncode: int  # the installer's exit code; exit_codes.INTERRUPTED after Ctrl-C
    stderr: str = ""


def run_installer(
    command: Sequence[str],
    env: Mapping[str, str],
    stdout: TextIO | None = None,
    *,
    started: Callable[[], None] | None = None,
) -> InstallerRun:
    """Run ``command`` with stdout inherited (or sent to ``stdout``) and stderr shown live
    while also kept. ``started`` runs once the child is running (work that can overlap the
    child's own start-up)."""
    if stdout is not None:
        stdout.flush()
    try:
        process = subprocess.Popen(
            list(command), env=dict(env), stdout=stdout, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise UsageError(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    if started is not None:
        started()
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
    # The user saw the installer's colours; the copy safe-pip reads is plain text.
    kept = b"".join(captured).decode("utf-8", errors="replace")
    return InstallerRun(returncode, strip_ansi(kept))


def _tee(stream: BinaryIO, captured: list[bytes]) -> None:
    """Show the installer's stderr line by line, made terminal-safe (an index's text that
    the installer prints cannot move the cursor or erase safe-pip's lines), and keep it."""
    pending = b""
    while True:
        chunk = os.read(stream.fileno(), 65536)
        captured.append(chunk)
        pending += chunk
        if chunk:
            complete, newline, pending = pending.rpartition(b"\n")
            shown = complete + newline
        else:
            shown, pending = pending, b""
        if shown:
            _show(shown.decode("utf-8", errors="replace"))
        if not chunk:
            break


def _show(text: str) -> None:
    try:
        sys.stderr.write(installer_output_safe(text))
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
