"""Split a ``uv pip install`` / ``uv pip sync`` command line for the planning and install steps.

safe-pip runs uv twice: ``uv pip compile`` to get the exact plan (the requirement inputs and
the options that shape resolution) and then ``uv pip install``/``sync`` of the vetted plan
(the options that shape where and how files are fetched and installed). Each known uv option
is sent to the step(s) that understand it. An unknown option is refused rather than guessed
at, because it could change what gets installed without being checked.

``uv_index_settings`` reads uv's TLS settings (insecure hosts, CA bundle, client certificate)
from the same command line and uv's environment, so safe-pip reads index pages as uv does.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from safe_pip.errors import UsageError

if TYPE_CHECKING:
    from safe_pip.index.settings import IndexSettings


class Step(enum.Enum):
    PLAN = "plan"  # uv pip compile only
    INSTALL = "install"  # the vetted uv pip install/sync only
    BOTH = "both"
    OWN = "own"  # safe-pip handles it (inputs, --python, --system, hash options)


@dataclass(frozen=True)
class _Option:
    names: tuple[str, ...]
    takes_value: bool
    step: Step

    @property
    def long_name(self) -> str:
        return next(name for name in self.names if name.startswith("--"))


_OPTIONS: tuple[_Option, ...] = (
    # requirement inputs (safe-pip turns them into compile inputs)
    _Option(("-r", "--requirements", "--requirement"), True, Step.OWN),
    _Option(("-e", "--editable"), True, Step.OWN),
    # target environment
    _Option(("-p", "--python"), True, Step.OWN),
    _Option(("--system",), False, Step.OWN),
    _Option(("--no-system",), False, Step.OWN),
    _Option(("-t", "--target"), True, Step.INSTALL),
    _Option(("--prefix",), True, Step.INSTALL),
    _Option(("--user",), False, Step.INSTALL),
    _Option(("--break-system-packages",), False, Step.INSTALL),
    _Option(("--no-break-system-packages",), False, Step.INSTALL),
    # hashes: the vetted install always verifies the checked sha256
    _Option(("--require-hashes",), False, Step.OWN),
    _Option(("--no-require-hashes",), False, Step.OWN),
    _Option(("--no-verify-hashes",), False, Step.OWN),
    _Option(("--verify-hashes",), False, Step.OWN),
    # resolution
    _Option(("-c", "--constraints", "--constraint"), True, Step.PLAN),
    _Option(("--overrides", "--override"), True, Step.PLAN),
    _Option(("--excludes", "--exclude"), True, Step.PLAN),
    _Option(("--extra",), True, Step.PLAN),
    _Option(("--all-extras",), False, Step.PLAN),
    _Option(("--no-all-extras",), False, Step.PLAN),
    _Option(("--group",), True, Step.PLAN),
    _Option(("--no-deps",), False, Step.PLAN),
    _Option(("--deps",), False, Step.PLAN),
    _Option(("-U", "--upgrade"), False, Step.PLAN),
    _Option(("--no-upgrade",), False, Step.PLAN),
    _Option(("-P", "--upgrade-package"), True, Step.PLAN),
    _Option(("--upgrade-group",), True, Step.PLAN),
    _Option(("--resolution",), True, Step.PLAN),
    _Option(("--prerelease",), True, Step.PLAN),
    _Option(("--pre",), False, Step.PLAN),
    _Option(("--prerelease-package",), True, Step.PLAN),
    _Option(("--fork-strategy",), True, Step.PLAN),
    _Option(("--exclude-newer",), True, Step.BOTH),
    _Option(("--exclude-newer-package",), True, Step.BOTH),
    _Option(("--no-sources",), False, Step.PLAN),
    _Option(("--no-sources-package",), True, Step.PLAN),
    # install behaviour
    _Option(("--no-editable",), False, Step.INSTALL),
    _Option(("--no-editable-package",), True, Step.INSTALL),
    _Option(("--exact",), False, Step.INSTALL),
    _Option(("--strict",), False, Step.INSTALL),
    _Option(("--dry-run",), False, Step.INSTALL),
    _Option(("--output-format",), True, Step.INSTALL),
    _Option(("--reinstall", "--force-reinstall"), False, Step.INSTALL),
    _Option(("--no-reinstall",), False, Step.INSTALL),
    _Option(("--reinstall-package",), True, Step.INSTALL),
    _Option(("--compile-bytecode", "--compile"), False, Step.INSTALL),
    _Option(("--no-compile-bytecode",), False, Step.INSTALL),
    _Option(("--allow-empty-requirements",), False, Step.INSTALL),
    _Option(("--no-allow-empty-requirements",), False, Step.INSTALL),
    _Option(("--link-mode",), True, Step.BOTH),
    # platform, builds
    _Option(("--python-version",), True, Step.BOTH),
    _Option(("--python-platform",), True, Step.BOTH),
    _Option(("--torch-backend",), True, Step.BOTH),
    _Option(("-b", "--build-constraints", "--build-constraint"), True, Step.BOTH),
    _Option(("--require-build-hashes",), False, Step.BOTH),
    _Option(("--no-build",), False, Step.BOTH),
    _Option(("--build",), False, Step.BOTH),
    _Option(("--no-binary",), True, Step.BOTH),
    _Option(("--only-binary",), True, Step.BOTH),
    _Option(("-C", "--config-setting", "--config-settings"), True, Step.BOTH),
    _Option(("--config-settings-package",), True, Step.BOTH),
    _Option(("--no-build-isolation",), False, Step.BOTH),
    _Option(("--build-isolation",), False, Step.BOTH),
    _Option(("--no-build-isolation-package",), True, Step.BOTH),
    # indexes and network
    _Option(("--index",), True, Step.BOTH),
    _Option(("--default-index",), True, Step.BOTH),
    _Option(("-i", "--index-url"), True, Step.BOTH),
    _Option(("--extra-index-url",), True, Step.BOTH),
    _Option(("-f", "--find-links"), True, Step.BOTH),
    _Option(("--no-index",), False, Step.BOTH),
    _Option(("--index-strategy",), True, Step.BOTH),
    _Option(("--keyring-provider",), True, Step.BOTH),
    _Option(("--cert",), True, Step.BOTH),
    _Option(("--allow-insecure-host", "--trusted-host"), True, Step.BOTH),
    _Option(("--system-certs", "--native-tls"), False, Step.BOTH),
    _Option(("--offline",), False, Step.BOTH),
    _Option(("--no-offline",), False, Step.BOTH),
    # cache, interpreter discovery, global options
    _Option(("-n", "--no-cache"), False, Step.BOTH),
    _Option(("--cache-dir",), True, Step.BOTH),
    _Option(("--refresh",), False, Step.BOTH),
    _Option(("--no-refresh",), False, Step.BOTH),
    _Option(("--refresh-package",), True, Step.BOTH),
    _Option(("--managed-python",), False, Step.BOTH),
    _Option(("--no-managed-python",), False, Step.BOTH),
    _Option(("--no-python-downloads",), False, Step.BOTH),
    _Option(("--python-preference",), True, Step.BOTH),
    _Option(("-q", "--quiet"), False, Step.INSTALL),
    _Option(("-v", "--verbose"), False, Step.INSTALL),
    _Option(("--color",), True, Step.BOTH),
    _Option(("--no-color",), False, Step.BOTH),
    _Option(("--no-progress",), False, Step.BOTH),
    _Option(("--directory",), True, Step.BOTH),
    _Option(("--project",), True, Step.BOTH),
    _Option(("--config-file",), True, Step.BOTH),
    _Option(("--no-config",), False, Step.BOTH),
    _Option(("--preview",), False, Step.BOTH),
    _Option(("--no-preview",), False, Step.BOTH),
    _Option(("--preview-features",), True, Step.BOTH),
)
# Where ``uv pip install`` may install (its environment check), besides --python/--system.
_ENVIRONMENT_OPTIONS = frozenset(
    {"--target", "--prefix", "--break-system-packages", "--no-break-system-packages"}
)
_BY_NAME = {name: option for option in _OPTIONS for name in option.names}

# Global uv options that may come before the subcommand (``uv --offline pip install``).
GLOBAL_VALUE_OPTIONS = frozenset(
    {"--cache-dir", "--color", "--directory", "--project", "--config-file", "--python", "-p"}
    | {"--allow-insecure-host", "--trusted-host", "--preview-features", "--python-preference"}
)


@dataclass(frozen=True)
class UvInstallArgs:
    """A ``uv pip install``/``sync`` command line, classified."""

    requirements: tuple[str, ...] = ()  # positional requirement specifiers or sync files
    requirement_files: tuple[str, ...] = ()  # -r
    editables: tuple[str, ...] = ()  # -e
    python: str | None = None
    system: bool = False
    plan_args: tuple[str, ...] = ()  # for uv pip compile
    install_args: tuple[str, ...] = ()  # for the vetted uv pip install/sync
    shared_args: tuple[str, ...] = ()  # the options both steps get (indexes, network, cache)
    upgrade: bool = False  # --upgrade: no installed version is kept
    location_args: tuple[str, ...] = ()  # --target/--prefix, to list what is installed there
    environment_args: tuple[str, ...] = ()  # the options that decide where uv may install
    check_only: bool = False  # --check: uv changes nothing
    help_requested: bool = False

    @property
    def target_args(self) -> list[str]:
        """The options that pick the environment (for compile, list and install)."""
        args = ["--python", self.python] if self.python else []
        return args + (["--system"] if self.system else [])


@dataclass
class _Collector:
    requirements: list[str] = field(default_factory=list)
    requirement_files: list[str] = field(default_factory=list)
    editables: list[str] = field(default_factory=list)
    plan_args: list[str] = field(default_factory=list)
    install_args: list[str] = field(default_factory=list)
    shared_args: list[str] = field(default_factory=list)
    location_args: list[str] = field(default_factory=list)
    environment_args: list[str] = field(default_factory=list)
    python: str | None = None
    system: bool = False
    upgrade: bool = False
    check_only: bool = False
    help_requested: bool = False

    def add(self, option: _Option, value: str | None) -> None:
        canonical = option.long_name
        tokens = [canonical] if value is None else [canonical, value]
        if canonical == "--python":
            self.python = value
        elif canonical == "--system":
            self.system = True
        elif canonical == "--no-system":
            self.system = False
        elif canonical in ("--requirements", "--requirement"):
            self.requirement_files.append(value or "")
        elif canonical == "--editable":
            self.editables.append(value or "")
        if canonical in ("--target", "--prefix"):
            self.location_args.extend(tokens)
        if canonical in _ENVIRONMENT_OPTIONS:
            self.environment_args.extend(tokens)
        if canonical in ("--upgrade", "--no-upgrade"):
            # Only --upgrade frees every installed version; uv itself frees the ones named by
            # --upgrade-package / --upgrade-group from the preferences safe-pip hands it.
            self.upgrade = canonical == "--upgrade"
        if option.step in (Step.PLAN, Step.BOTH):
            self.plan_args.extend(tokens)
        if option.step in (Step.INSTALL, Step.BOTH):
            self.install_args.extend(tokens)
        if option.step is Step.BOTH:
            self.shared_args.extend(tokens)


def parse_uv_install_args(args: Sequence[str]) -> UvInstallArgs:
    """Classify the arguments that follow ``uv pip install`` or ``uv pip sync``."""
    state = _Collector()
    tokens = list(args)
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if token == "--":
            state.requirements.extend(tokens[position:])
            break
        if token in ("-h", "--help"):
            state.help_requested = True
            continue
        if token == "--check":
            state.check_only = True
            continue
        if not token.startswith("-") or token == "-":
            state.requirements.append(token)
            continue
        position = _take_option(token, tokens, position, state)
    return UvInstallArgs(
        requirements=tuple(state.requirements),
        requirement_files=tuple(state.requirement_files),
        editables=tuple(state.editables),
        python=state.python,
        system=state.system,
        plan_args=tuple(state.plan_args),
        install_args=tuple(state.install_args),
        shared_args=tuple(state.shared_args),
        upgrade=state.upgrade,
        location_args=tuple(state.location_args),
        environment_args=tuple(state.environment_args),
        check_only=state.check_only,
        help_requested=state.help_requested,
    )


def _take_option(token: str, tokens: list[str], position: int, state: _Collector) -> int:
    inline: str | None = None
    if token.startswith("--"):
        name, has_inline, value = token.partition("=")
        inline = value if has_inline else None
    elif len(token) > 2 and token[:2] in _BY_NAME and _BY_NAME[token[:2]].takes_value:
        name, inline = token[:2], token[2:]  # -rfile, -pPYTHON
    elif len(token) > 2 and set(token[1:]) <= {"q", "v"}:
        state.install_args.append(token)  # -qq, -vv
        return position
    else:
        name = token
    option = _BY_NAME.get(name)
    if option is None:
        raise UsageError(
            f"safe-pip does not know the uv option {name}, so it cannot tell whether it changes "
            "what is installed; run plain uv for it, or file an issue"
        )
    if not option.takes_value:
        if inline is not None:
            raise UsageError(f"uv option {name} takes no value")
        state.add(option, None)
        return position
    if inline is not None:
        state.add(option, inline)
        return position
    if position >= len(tokens):
        raise UsageError(f"uv option {name} needs a value")
    state.add(option, tokens[position])
    return position + 1


# ---------------------------------------------------------------- network settings

_INSECURE_HOST_OPTIONS = ("--allow-insecure-host", "--trusted-host")
_SYSTEM_CERTS_OPTIONS = ("--system-certs", "--native-tls")
_SYSTEM_CERTS_VARIABLES = ("UV_SYSTEM_CERTS", "UV_NATIVE_TLS")
_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})  # clap's boolish values


def uv_index_settings(args: Sequence[str], env: Mapping[str, str]) -> IndexSettings:
    """How uv connects to its indexes, for safe-pip's own reading of the index pages.

    ``args``: uv's global options and the command's options; ``env``: uv's environment.
    Insecure hosts come from ``--allow-insecure-host`` (else ``UV_INSECURE_HOST``); the CA
    bundle is ``--cert``, else ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` (none with
    ``--system-certs``: default verification); ``SSL_CLIENT_CERT`` is the client certificate.
    Proxies come from the environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, ...).
    uv's configuration files are not read.
    """
    from safe_pip.index.settings import IndexSettings

    hosts, cert, system_certs = _network_options(args)
    if not hosts:
        hosts = env.get("UV_INSECURE_HOST", "").split()
    system_certs = system_certs or any(
        env.get(name, "").strip().lower() in _TRUE_WORDS for name in _SYSTEM_CERTS_VARIABLES
    )
    if cert is None and not system_certs:
        cert = _existing(env.get("SSL_CERT_FILE"), file=True) or _existing(
            env.get("SSL_CERT_DIR"), file=False
        )
    return IndexSettings(
        cert=cert,
        client_cert=_existing(env.get("SSL_CLIENT_CERT"), file=True),
        trusted_hosts=tuple(dict.fromkeys(h for h in map(_host_and_port, hosts) if h)),
        trust_env=True,
    )


def _network_options(args: Sequence[str]) -> tuple[list[str], str | None, bool]:
    """(insecure hosts, ``--cert`` value, ``--system-certs`` given) from uv's options."""
    hosts: list[str] = []
    cert: str | None = None
    system_certs = False
    tokens = list(args)
    position = 0
    while position < len(tokens) and tokens[position] != "--":
        name, has_inline, inline = tokens[position].partition("=")
        position += 1
        value: str | None = inline if has_inline else None
        if name in (*_INSECURE_HOST_OPTIONS, "--cert") and value is None:
            value = tokens[position] if position < len(tokens) else None
            position += 1
        if name in _INSECURE_HOST_OPTIONS and value:
            hosts.append(value)
        elif name == "--cert" and value:
            cert = value
        elif name in _SYSTEM_CERTS_OPTIONS:
            system_certs = True
    return hosts, cert, system_certs


def _host_and_port(entry: str) -> str | None:
    """uv takes ``host``, ``host:port`` or a URL; safe-pip's index client ``host[:port]``."""
    if "://" not in entry:
        return entry.strip() or None
    try:
        parts = urlsplit(entry)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    host = f"[{host}]" if ":" in host else host
    return host if port is None else f"{host}:{port}"


def _existing(path: str | None, *, file: bool) -> str | None:
    """``path`` when it names an existing file (or directory); uv ignores one that does not."""
    if not path:
        return None
    return path if (os.path.isfile(path) if file else os.path.isdir(path)) else None
