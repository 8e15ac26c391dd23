"""The index URLs and network settings the target interpreter's pip will use for an install.

pip decides them from, in order: its built-in default, config files, ``PIP_*`` environment
variables, the command line, then index options inside requirement files. safe-pip asks the
target pip itself (a tiny script run with the target interpreter that parses the install
arguments with pip's own option parser), so it never needs to know a registry's address.
Requirement-file options are applied on top, with pip's semantics. The network settings
(``--cert``, ``--client-cert``, ``--proxy``, ``--trusted-host``, ``--no-proxy-env``) come
from the same answer, so safe-pip reads the index pages the way pip will.

The lookup runs as a child process and can overlap with the dry run:

    pending = start_effective_index_urls(python, args)
    plan = resolve_plan(python, args)
    settings = pending.result()  # index URLs plus network settings
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence

from safe_pip.errors import PipError, UsageError
from safe_pip.hook.runtime import run_token
from safe_pip.index.settings import IndexSettings
from safe_pip.installers.pip.args import InstallArgs
from safe_pip.installers.process import (
    ChildOutput,
    PendingChild,
    check_interpreter,
    pip_child_env,
    start_child,
)
from safe_pip.installers.requirement_pins import RequirementFileOption, read_requirement_files

LOOKUP_TIMEOUT = 60.0

# Runs inside the target interpreter: print pip's idea of the index options as JSON.
# 1. pip's own parser for ``pip install ARGS`` (defaults + config files + env + arguments);
#    with no arguments (``safe-pip check`` of lock files) only the option groups that hold
#    the index and network options are built, with pip's own parser for the ``install``
#    command's configuration, instead of importing the whole install command (~0.2 s CPU);
# 2. else pip's configuration and default index (older or reorganised pip internals).
_LOOKUP_SCRIPT = r"""
import json, sys
argv = json.loads(sys.argv[1])
isolated = "--isolated" in argv
out = {}

def parse_without_install_command():
    from pip._internal.cli import cmdoptions
    from pip._internal.cli.parser import ConfigOptionParser
    parser = ConfigOptionParser(name="install", isolated=isolated, add_help_option=False)
    for group in (cmdoptions.general_group, cmdoptions.index_group):
        parser.add_option_group(cmdoptions.make_option_group(group, parser))
    return parser.parse_args([])[0]

try:
    options = None
    if not argv:
        try:
            options = parse_without_install_command()
        except Exception:
            options = None
    if options is None:
        from pip._internal.commands import create_command
        command = create_command("install", isolated=isolated)
        options, _ = command.parse_args(argv)
    proxy = getattr(options, "proxy", None)
    no_proxy_env = bool(getattr(options, "no_proxy_env", False))
    out["parsed"] = {
        "index_url": options.index_url,
        "extra_index_urls": list(options.extra_index_urls or []),
        "no_index": bool(options.no_index),
        "cert": getattr(options, "cert", None) or None,
        "client_cert": getattr(options, "client_cert", None) or None,
        "proxy": proxy or None,
        "trusted_hosts": list(getattr(options, "trusted_hosts", None) or []),
        # pips with --no-proxy-env ignore environment proxies once a --proxy is set
        "trust_env": not (no_proxy_env or (hasattr(options, "no_proxy_env") and proxy is not None)),
    }
except SystemExit:
    out["argument_error"] = True
except Exception as error:
    out["parser_error"] = repr(error)
if "parsed" not in out:
    try:
        from pip._internal.configuration import Configuration
        from pip._internal.models.index import PyPI
        configuration = Configuration(isolated=isolated)
        configuration.load()
        values = {}
        for section in ("global", "install", ":env:"):
            for key, value in configuration.items():
                if key.startswith(section + "."):
                    values[key[len(section) + 1:]] = value
        out["config"] = {
            "index_url": values.get("index-url"),
            "extra_index_urls": (values.get("extra-index-url") or "").split(),
            "no_index": (values.get("no-index") or "").lower() in ("1", "true", "yes", "on"),
            "cert": values.get("cert") or None,
            "client_cert": values.get("client-cert") or None,
            "proxy": values.get("proxy") or None,
            "trusted_hosts": (values.get("trusted-host") or "").split(),
        }
        out["default_index_url"] = PyPI.simple_url
    except Exception as error:
        out["config_error"] = repr(error)
sys.stdout.write(json.dumps(out))
"""


def start_effective_index_urls(
    python: str, install_args: InstallArgs, env: Mapping[str, str] | None = None
) -> PendingChild[IndexSettings]:
    """Start looking up pip's index URLs and network settings in the background;
    ``.result()`` waits for them (at most ``LOOKUP_TIMEOUT`` seconds)."""
    interpreter = check_interpreter(python)

    def read(output: ChildOutput) -> IndexSettings:
        try:
            answer = json.loads(output.stdout)
        except json.JSONDecodeError:
            reason = _last_line(output.stderr) or "no answer"
            raise PipError(f"could not read pip's index settings from {python}: {reason}") from None
        if not isinstance(answer, dict):
            raise PipError(f"could not read pip's index settings from {python}")
        return index_settings_from_answer(answer, install_args, python)

    def cannot_start(error: OSError) -> UsageError:
        return UsageError(f"cannot run Python interpreter {python}: {error.strerror or error}")

    # The lookup loads pip's install command: a hook in that environment must not patch it.
    token = run_token.issue()
    return start_child(
        [interpreter, "-c", _LOOKUP_SCRIPT, json.dumps(list(install_args.dry_run_args))],
        pip_child_env(env, token),
        read,
        cannot_start=cannot_start,
        cleanup=token.revoke,
        timeout=LOOKUP_TIMEOUT,
        on_timeout=lambda: PipError(f"pip in {python} did not report its index URLs in time"),
    )


def effective_index_urls(
    python: str, install_args: InstallArgs, env: Mapping[str, str] | None = None
) -> list[str]:
    """The simple-API base URLs pip will search, in pip's order; [] with ``--no-index``."""
    if install_args.no_index:
        return []
    with start_effective_index_urls(python, install_args, env) as pending:
        return list(pending.result().index_urls)


def effective_index_settings(
    python: str, install_args: InstallArgs, env: Mapping[str, str] | None = None
) -> IndexSettings:
    """``effective_index_urls`` plus the network settings pip uses to reach them."""
    if install_args.no_index:
        return IndexSettings()
    with start_effective_index_urls(python, install_args, env) as pending:
        return pending.result()


def index_urls_from_answer(
    answer: Mapping[str, object], install_args: InstallArgs, python: str = sys.executable
) -> list[str]:
    """Combine the target pip's answer with the command line and requirement-file options."""
    return list(index_settings_from_answer(answer, install_args, python).index_urls)


def index_settings_from_answer(
    answer: Mapping[str, object], install_args: InstallArgs, python: str = sys.executable
) -> IndexSettings:
    """``index_urls_from_answer`` plus the network settings, with the same precedence."""
    if install_args.no_index:
        return IndexSettings()
    parsed = answer.get("parsed")
    config = answer.get("config")
    if isinstance(parsed, dict):
        no_index = bool(parsed.get("no_index"))
        base = _urls(parsed.get("index_url"), parsed.get("extra_index_urls"))
        network = _network_settings(parsed)
    elif isinstance(config, dict) and isinstance(answer.get("default_index_url"), str):
        no_index = bool(config.get("no_index"))
        index_url = install_args.index_url or config.get("index_url") or answer["default_index_url"]
        extras = list(config.get("extra_index_urls") or []) + list(install_args.extra_index_urls)
        base = _urls(index_url, extras)
        network = _network_settings(_with_command_line_network_options(config, install_args))
    elif answer.get("argument_error"):
        raise PipError(f"pip in {python} rejected the install arguments")
    else:
        reason = answer.get("config_error") or answer.get("parser_error") or "unknown reason"
        raise PipError(f"could not read pip's index settings from {python}: {reason}")
    if no_index:
        return IndexSettings()
    options = read_requirement_files(install_args.requirement_inputs).options
    trusted_in_files = [
        option.value for option in options if option.name == "--trusted-host" and option.value
    ]
    return IndexSettings(
        index_urls=tuple(apply_requirement_file_options(base, options)),
        cert=network.cert,
        client_cert=network.client_cert,
        proxy=network.proxy,
        trusted_hosts=tuple(_unique([*network.trusted_hosts, *trusted_in_files])),
        trust_env=network.trust_env,
    )


def apply_requirement_file_options(
    index_urls: Sequence[str], options: Sequence[RequirementFileOption]
) -> list[str]:
    """pip's rules: ``--no-index`` empties the list for good, ``--index-url`` replaces it."""
    urls = list(index_urls)
    no_index = False
    for option in options:
        if option.name == "--no-index":
            no_index, urls = True, []
        elif option.name == "--index-url" and option.value and not no_index:
            urls = [option.value]
        elif option.name == "--extra-index-url" and option.value and not no_index:
            urls.append(option.value)
    return _unique(urls)


def _network_settings(values: Mapping[str, object]) -> IndexSettings:
    """The network part of one answer section (``parsed`` or ``config``)."""
    trusted = values.get("trusted_hosts")
    return IndexSettings(
        cert=_text(values.get("cert")),
        client_cert=_text(values.get("client_cert")),
        proxy=_text(values.get("proxy")),
        trusted_hosts=tuple(str(h) for h in trusted if h) if isinstance(trusted, list) else (),
        trust_env=values.get("trust_env", True) is not False,
    )


_NETWORK_OPTIONS = {"--cert": "cert", "--client-cert": "client_cert", "--proxy": "proxy"}


def _with_command_line_network_options(
    config: Mapping[str, object], install_args: InstallArgs
) -> dict[str, object]:
    """Config-file values overridden by the command line (the fallback without pip's parser)."""
    values = dict(config)
    configured = values.get("trusted_hosts")
    trusted = list(configured) if isinstance(configured, list) else []
    args = list(install_args.args)
    for position, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if not equals:
            value = args[position + 1] if position + 1 < len(args) else ""
        if name in _NETWORK_OPTIONS:
            values[_NETWORK_OPTIONS[name]] = value
        elif name == "--trusted-host" and value:
            trusted.append(value)
        elif name == "--no-proxy-env":
            values["trust_env"] = False
    values["trusted_hosts"] = trusted
    return values


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _urls(index_url: object, extras: object) -> list[str]:
    urls = [index_url] if isinstance(index_url, str) and index_url else []
    if isinstance(extras, list):
        urls.extend(str(url) for url in extras if url)
    return _unique(urls)


def _unique(urls: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(urls))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
