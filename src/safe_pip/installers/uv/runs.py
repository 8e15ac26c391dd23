"""Running uv: finding it, its environment, its error lines, and the planning runs that start
the moment the command line is read.

``start_planning`` starts the plan's first round (``uv pip compile --format pylock.toml``,
builds disallowed) and the index-URL lookup (``uv pip compile --emit-index-url``) at once;
safe-pip loads its policy and imports its checks while they run. The runs that look at the
target environment, the environment check (a dry ``uv pip sync`` of nothing) and the
installed distributions (``uv pip list``), start the moment the first round ends (a thread
waits for it) or safe-pip has nothing left to do but wait for it, whichever comes first: uv
then has the target interpreter's description cached, which each of them would otherwise
get by running that interpreter again (a fresh venv's is run once per uv process that does
not have it yet). The first round has no installed versions as preferences;
``plan.resolve_uv_plan`` keeps it only where they could not have changed a choice uv made,
and plans again with them otherwise.

This module runs before uv starts: it imports little (nothing of the pipeline, no
``packaging``), so every millisecond it does not spend is one uv already works in.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from safe_pip.console import strip_ansi
from safe_pip.errors import PipError, SafePipError, UsageError
from safe_pip.installers.process import ChildOutput, PendingChild, start_child
from safe_pip.installers.uv.args import UvInstallArgs

if TYPE_CHECKING:
    from safe_pip.installers.requirement_pins import RequirementFiles
    from safe_pip.installers.uv.builds import BuildPermits

PLAN_FILE = "pylock.toml"  # uv insists on this name (or pylock.NAME.toml)
MINIMUM_UV = "0.13.9"  # the first uv safe-pip was tested with --require-build-hashes on
_NEWER_UV_OPTIONS = ("--require-build-hashes", "--preview-features")
_LOCATION_OPTIONS = ("--index-url", "--extra-index-url", "--find-links", "--no-index")
_CAUSE_PREFIXES = ("cause:", "caused by:", "╰─▶")
# uv errors that mean the user's input is wrong, not that checking failed.
_USAGE_ERRORS = (
    "couldn't parse",
    "failed to parse",
    "file not found",
    "no such file",
    "unexpected argument",
    "invalid value",
    "no interpreter found",
    "not a supported input format",
    "requires at least one",
    "no virtual environment found",
    "is externally managed",
)
_UV_ENVIRONMENT = re.compile(r"environment at: (.+)")

Installed = list[dict[str, str]]  # ``{"name": ..., "version": ...}`` rows of ``uv pip list``


def find_uv(explicit: str | None, env: Mapping[str, str] | None = None) -> str:
    """``--uv PATH``, else the uv next to this Python (same venv), else the one on PATH."""
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise UsageError(f"--uv {explicit}: no such executable")
        return found
    exe = "uv.exe" if os.name == "nt" else "uv"
    beside = Path(sys.executable).parent / exe
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    search_path = (os.environ if env is None else env).get("PATH")
    on_path = shutil.which("uv", path=search_path)
    if on_path is None:
        raise UsageError(
            "uv not found: install it (`pip install uv`) or tell safe-pip where it is "
            "with --uv PATH"
        )
    return on_path


def uv_child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """uv runs no pip, so nothing marks its environment (see ``process.pip_child_env``)."""
    return dict(os.environ if env is None else env)


@dataclass
class PlanningRuns:
    """The uv runs of one plan (see the module docstring)."""

    uv: str
    global_args: Sequence[str]
    request: UvInstallArgs
    work: Path
    env: Mapping[str, str]
    index_lookup: PendingChild[list[str]]
    first_compile: PendingChild[ChildOutput] | None  # None once a resolution took it
    requirement_files: RequirementFiles | None  # the user's requirements.txt files, if any
    _environment: PendingChild[str | None] | None = None
    _installed: PendingChild[Installed] | None = None  # stays None with --upgrade
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _closed: bool = field(default=False, init=False)
    # Set once the watcher thread has read the first round's output. (An Event, not
    # Thread.join: a join that Ctrl-C interrupts marks the thread as ended while it runs on.)
    _first_round_read: threading.Event = field(
        default_factory=threading.Event, init=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.first_compile is None:
            self._first_round_read.set()
            return
        watcher = threading.Thread(
            target=self._when_first_round_ends, args=(self.first_compile,), daemon=True
        )
        watcher.start()

    def _when_first_round_ends(self, first_compile: PendingChild[ChildOutput]) -> None:
        """(The watcher thread.) Read the first round's output, then start the target runs.
        Nothing is raised here: what fails is done again, and raised, by the main thread."""
        try:
            first_compile.result()
        except Exception:
            pass
        finally:
            self._first_round_read.set()
        with self._lock:
            if not self._closed:
                with contextlib.suppress(Exception):
                    self._start_target_runs()

    def first_round(self) -> ChildOutput | None:
        """The first compile round's output, once (the next resolution compiles itself)."""
        pending = self.first_compile
        if pending is None:
            return None
        # Nothing is left to do but wait: the target's runs start now if the round is still
        # going (a long plan; uv described the interpreter first thing, long ago).
        with self._lock:
            self._start_target_runs()
        self._first_round_read.wait()  # the watcher read the output (Ctrl-C: cancel() ends it)
        self.first_compile = None
        return pending.result()

    def installed_rows(self) -> Installed:
        """What uv sees installed in the target (uv keeps those versions); ``[]`` with
        ``--upgrade``."""
        with self._lock:
            self._start_target_runs()
        return [] if self._installed is None else self._installed.result()

    def environment(self) -> str | None:
        """The environment uv installs into, as uv names it; uv's error when it would not."""
        with self._lock:
            environment = self._start_target_runs()
        return environment.result()

    def _start_target_runs(self) -> PendingChild[str | None]:
        """Start the runs that look at the target, unless they are running (``_lock`` held)."""
        if self._environment is None:
            self._environment = start_environment_check(
                self.uv, self.global_args, self.request, self.work, self.env
            )
        if self._installed is None and not self.request.upgrade:
            base = [self.uv, *self.global_args, "pip"]
            self._installed = _start_installed_list(base, self.request, self.env)
        return self._environment

    def cancel(self) -> None:
        """End whatever still runs (every way out of an install)."""
        with self._lock:
            self._closed = True
        if self.first_compile is not None:
            self.first_compile.kill()  # the watcher reads its output: let it finish first
            self._first_round_read.wait()
            self.first_compile.cancel()
        for run in (self._installed, self._environment, self.index_lookup):
            if run is not None:
                run.cancel()


def start_planning(
    uv: str,
    global_args: Sequence[str],
    request: UvInstallArgs,
    *,
    work: Path,
    permits: BuildPermits,
    no_deps: bool,
    env: Mapping[str, str],
) -> PlanningRuns:
    """Start the planning runs of ``request`` in ``work`` (see the module docstring)."""
    child_env = uv_child_env(env)
    if not _has_environment(request, child_env):
        # uv would refuse at once ("No virtual environment found"): say so as fast as uv
        # does, before a whole resolution against the index
        start_environment_check(uv, global_args, request, work, child_env).result()
    base = [uv, *global_args, "pip"]
    compile_args = [*compile_command(base, request, work, no_deps), *permits.args(work)]
    first_compile = start_child(
        compile_args, child_env, _as_is, cannot_start=lambda e: _cannot_run_uv(base, e)
    )
    try:
        try:
            files = read_requirement_files(request)
        except SafePipError:
            # a target uv refuses says so first, as uv would
            start_environment_check(uv, global_args, request, work, child_env).result()
            raise
        index_lookup = start_index_lookup(base, request, _location_lines(files), work, child_env)
    except BaseException:
        first_compile.cancel()
        raise
    return PlanningRuns(
        uv, global_args, request, work, child_env, index_lookup, first_compile, files
    )


def _has_environment(request: UvInstallArgs, env: Mapping[str, str]) -> bool:
    """Whether uv may find an environment to install into: an option or variable names one,
    or a ``.venv`` is in the working directory or above (where uv looks). False means uv
    refuses, which the environment check then says in uv's words."""
    if request.target_args or request.environment_args or request.location_args:
        return True
    names = (
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "UV_PYTHON",
        "UV_SYSTEM_PYTHON",
        "UV_PROJECT_ENVIRONMENT",
    )
    if any(env.get(name) for name in names):
        return True
    here = Path.cwd()
    return any((directory / ".venv").exists() for directory in (here, *here.parents))


def _as_is(output: ChildOutput) -> ChildOutput:
    return output


def compile_command(
    base: Sequence[str], request: UvInstallArgs, work: Path, no_deps: bool
) -> list[str]:
    """``uv pip compile`` of ``request`` into ``work``/pylock.toml (without build options)."""
    command = [
        *base,
        "compile",
        *_inputs(request, work),
        "--format",
        "pylock.toml",
        "--output-file",
        str(work / PLAN_FILE),
        "--no-header",
        "--quiet",
        *request.target_args,
        *request.plan_args,
    ]
    return [*command, "--no-deps"] if no_deps else command


def _inputs(request: UvInstallArgs, work: Path) -> list[str]:
    """Compile inputs: the command-line requirements as a file, then the ``-r`` files."""
    inputs = list(request.requirement_files)
    if request.requirements or request.editables:
        lines = [*request.requirements, *(f"-e {editable}" for editable in request.editables)]
        command_line = work / "command-line-requirements.txt"
        command_line.write_text("\n".join(lines) + "\n", encoding="utf-8")
        inputs.insert(0, str(command_line))
    return inputs


def _start_installed_list(
    base: Sequence[str], request: UvInstallArgs, env: Mapping[str, str]
) -> PendingChild[Installed]:
    """``uv pip list`` of the target, in the background."""
    command = [*base, "list", "--format", "json", "--quiet", *request.target_args]
    command += request.location_args
    return start_child(
        command, env, _installed_rows, cannot_start=lambda exc: _cannot_run_uv(command, exc)
    )


def _installed_rows(output: ChildOutput) -> Installed:
    if output.returncode != 0:
        raise uv_failure(output.stderr)
    try:
        rows = json.loads(output.stdout or "[]")
        return [{"name": str(r["name"]), "version": str(r["version"])} for r in rows]
    except (ValueError, TypeError, KeyError) as exc:
        raise PipError(f"could not read `uv pip list` output: {exc}") from None


def start_environment_check(
    uv: str, global_args: Sequence[str], request: UvInstallArgs, work: Path, env: Mapping[str, str]
) -> PendingChild[str | None]:
    """Ask uv, in the background, whether it would install into the target at all (no
    virtual environment, an externally managed interpreter): a dry ``uv pip sync`` of nothing
    finds the environment exactly as the install will. ``result()`` raises uv's message,
    else returns the environment's path as uv names it."""
    nothing = work / "nothing.txt"
    nothing.write_text("", encoding="utf-8")
    command = [uv, *global_args, "pip", "sync", str(nothing), "--dry-run"]
    command += ["--allow-empty-requirements", *request.target_args, *request.environment_args]
    return start_child(
        command,
        uv_child_env(env),
        _environment_verdict,
        cannot_start=lambda exc: _cannot_run_uv(command, exc),
    )


def _environment_verdict(output: ChildOutput) -> str | None:
    """The environment uv names ("Using Python 3.12.1 environment at: .venv"), if it does."""
    if output.returncode != 0:
        raise uv_failure(output.stderr)
    named = _UV_ENVIRONMENT.search(output.stderr)
    return named.group(1).strip() if named else None


def requirement_file_options(request: UvInstallArgs) -> list[str]:
    """The index and find-links lines of the user's requirement files, as written there."""
    return _location_lines(read_requirement_files(request))


def read_requirement_files(request: UvInstallArgs) -> RequirementFiles | None:
    """The user's requirements.txt-style files; None when there are none (``requirement_pins``
    is imported only when there are)."""
    files = [f for f in request.requirement_files if _is_requirements_txt(f)]
    if not files:
        return None
    from safe_pip.installers.requirement_pins import read_requirement_files as read_files

    return read_files(files)


def _location_lines(files: RequirementFiles | None) -> list[str]:
    if files is None:
        return []
    return [option.as_line() for option in files.options if option.name in _LOCATION_OPTIONS]


def start_index_lookup(
    base: Sequence[str],
    request: UvInstallArgs,
    options: Sequence[str],
    work: Path,
    env: Mapping[str, str],
) -> PendingChild[list[str]]:
    """An input-less ``uv pip compile --emit-index-url`` running in the background; index
    options inside the user's requirement files are copied into its input."""
    options_file = work / "index-options.txt"
    options_file.write_text("".join(line + "\n" for line in options), encoding="utf-8")
    # The index URLs do not depend on the target: this Python (whose description uv keeps
    # from an earlier run) stands in for one uv would otherwise have to run first.
    command = [*base, "compile", str(options_file), "--emit-index-url", "--no-header", "--quiet"]
    command += ["--python", sys.executable, *request.shared_args]
    return start_child(
        command, env, _emitted_index_urls, cannot_start=lambda exc: _cannot_run_uv(command, exc)
    )


def _emitted_index_urls(output: ChildOutput) -> list[str]:
    """The ``--index-url``/``--extra-index-url`` lines of ``--emit-index-url`` output."""
    if output.returncode != 0:
        raise uv_failure(output.stderr)
    urls: list[str] = []
    for line in output.stdout.splitlines():
        option, _, value = line.strip().partition(" ")
        if option in ("--index-url", "--extra-index-url") and value.strip():
            urls.append(value.strip())
    return list(dict.fromkeys(urls))


def _is_requirements_txt(path: str) -> bool:
    """uv also takes pyproject.toml, setup.cfg, setup.py and pylock.toml as inputs."""
    name = Path(path).name.lower()
    return not name.endswith((".toml", ".cfg", ".py"))


def is_no_solution(stderr: str) -> bool:
    """uv's resolver found no set of versions that satisfies the requirements."""
    return "no solution found" in strip_ansi(stderr).lower()


def uv_failure(stderr: str) -> SafePipError:
    """One line from uv's error output; ``UsageError`` when the input is at fault. uv's whole
    error block (its explanation, the URL it could not reach) goes along as ``details``,
    shown above that line, so nothing uv said is cut."""
    error = _uv_failure(stderr)
    block = uv_error_block(stderr)
    if len(block.splitlines()) > 1:
        error.details = block
    return error


def uv_error_block(stderr: str) -> str:
    """uv's output from its first ``error:`` line to the end (all of it when there is none)."""
    lines = strip_ansi(stderr).rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().lower().startswith("error:")]
    return "\n".join(lines[starts[0] if starts else 0 :])


def _uv_failure(stderr: str) -> SafePipError:
    line = uv_error_line(stderr)
    if any(option in line for option in _NEWER_UV_OPTIONS) and "unexpected argument" in line:
        return UsageError(
            f"uv: {line} (safe-pip lets uv build only what it checked with uv's "
            f"{' / '.join(_NEWER_UV_OPTIONS)}: use uv {MINIMUM_UV} or newer)"
        )
    if any(marker in line.lower() for marker in _USAGE_ERRORS):
        return UsageError(f"uv: {line}")
    return PipError(f"uv could not resolve the install plan: {line}")


def uv_error_line(stderr: str) -> str:
    """uv's last ``error:`` line, joined with the last cause it gives for it."""
    lines = [strip_ansi(line).strip() for line in stderr.splitlines()]
    lines = [line for line in lines if line]
    starts = [i for i, line in enumerate(lines) if line.lower().startswith("error:")]
    if not starts:
        return lines[-1] if lines else "uv failed without a message"
    message = lines[starts[-1]][len("error:") :].strip()
    causes = [
        _strip_cause(line)
        for line in lines[starts[-1] + 1 :]
        if line.lower().startswith(_CAUSE_PREFIXES)
    ]
    if causes and causes[-1] and not causes[-1].endswith(":"):
        return f"{message.rstrip(':')}: {causes[-1]}"
    # a cause that goes on over several lines ("... and one of:"): shown whole above
    return message.rstrip(":")


def _strip_cause(line: str) -> str:
    lowered = line.lower()
    for prefix in _CAUSE_PREFIXES:
        if lowered.startswith(prefix):
            return line[len(prefix) :].strip()
    return line


def run_uv(command: Sequence[str], env: Mapping[str, str], input: str | None = None) -> str:
    """Run a uv step and return its output; a failure raises uv's own error line."""
    completed = run_uv_completed(command, env, input)
    if completed.returncode != 0:
        raise uv_failure(completed.stderr)
    return completed.stdout


def run_uv_completed(
    command: Sequence[str], env: Mapping[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(command),
            env=dict(env),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise _cannot_run_uv(command, exc) from None


def call_uv(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Run uv with this terminal (its output is the user's) and return its exit code."""
    try:
        return subprocess.call(list(command), env=dict(env))
    except OSError as exc:
        raise _cannot_run_uv(command, exc) from None


def _cannot_run_uv(command: Sequence[str], exc: OSError) -> UsageError:
    return UsageError(f"cannot run uv ({command[0]}): {exc.strerror or exc}")
