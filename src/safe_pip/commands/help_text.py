"""What ``safe-pip --help``, ``safe-pip install --help`` and ``safe-pip uv --help`` print.

The option lines come from :data:`own_options.OWN_OPTIONS` and the environment variables from
the policy loader's table, so the help cannot drift from what is parsed.
"""

from __future__ import annotations

import textwrap

from safe_pip import paths
from safe_pip.commands.own_options import OWN_OPTIONS, PIP_HELP_OPTION, OwnOption

UV_HELP_OPTION = "--uv-help"  # ``safe-uv [COMMAND] --uv-help``: uv's own help
_HELP_COLUMN = 28
_WIDTH = 92

TOP_LEVEL = """\
usage: safe-pip COMMAND [ARGS...]

Checks what pip or uv is about to install -- known vulnerabilities and malicious packages
(a local OSV advisory database), yanked releases, hashes -- and installs only what passed.

commands:
  install       guarded `pip install`: pip's plan is checked, then exactly that is installed
  download      guarded `pip download`; `wheel` and `lock` too: their plan is checked first
  check         audit requirement/lock files (FILE...), an environment (--installed) or a plan
  db            build or inspect the advisory database (db update [--source], db status)
  hook          guard plain `pip install` inside one environment (hook install|uninstall|status)
  alias         shell functions that send `pip install` to safe-pip (--write, --remove)
  setup         hook + shell functions (or --ci DIR shims) + database in one step; --undo
  log           the decision log: what recent guarded runs planned, found and decided
  trust         let this project's [tool.safe-pip] loosen your policy (--list, --remove)
  uv            guarded uv (uv pip install|sync, uv sync, uv add); `safe-uv` is the same
  PIP_COMMAND   any other pip command (list, show, uninstall, ...) runs the target's pip

Run `safe-pip COMMAND --help` (or `safe-pip help COMMAND`) for a command's options;
`safe-pip --version` for the version.

{exit_codes}"""

EXIT_CODES = """\
exit codes: 0 ok (possibly with warnings), 1 blocked by policy (nothing installed),
            2 usage or configuration error, 3 could not check (nothing installed),
            4 checks passed but the install step failed, 130 interrupted
"""

_INSTALL = """\
usage: safe-pip install [SAFE-PIP OPTIONS] PIP_INSTALL_ARGS...

Runs the target's own pip once, with safe-pip's guard loaded into it: before pip downloads,
prepares or builds anything, every candidate and every file is checked (advisories, yanked
status, hashes, release age, policy), the resolved set is checked before anything is
installed, and pip installs only those files, sha256 checked again. Every pip install option
works and is read by pip itself.

safe-pip options (anywhere on the line):
{options}

{configuration}

{contents}

{exit_codes}
pip's own install options: `safe-pip install {pip_help}` (the target's `pip install --help`)
"""

_UV = """\
usage: safe-uv [SAFE-PIP OPTIONS] UV_ARGS...      (same as `safe-pip uv ...`)

Guarded: `uv pip install` and `uv pip sync` (uv's exact plan is checked, then exactly those
files are installed), `uv sync`, `uv lock` and `uv add` (uv.lock is checked before uv installs
from it; when blocked, uv.lock and pyproject.toml are left as they were). Every other uv
command runs unchanged.

safe-pip options (anywhere on the line; --python keeps uv's meaning):
{options}

configuration and environment variables: as for `safe-pip install --help`.

{exit_codes}
uv's own help: `safe-uv {uv_help}` or `safe-uv COMMAND {uv_help}` (runs uv with --help)
"""


CONTENTS_HELP = (
    "package contents: every wheel is opened after its hash check and before pip writes "
    "anything (.pth code, startup hooks, commands named like python/pip/uv, clashing files, "
    "RECORD); a typed name close to a popular project's is a TYPOSQUAT warning. PEP 740 "
    "provenance (PUBLISHER-CHANGED, ATTESTATION-INVALID, require-provenance) is verified only "
    "with the optional extra: pip install 'safe-pip-guard[provenance]' -- without it no "
    "attestation is verified. See docs/package-contents.md."
)


def top_level_help() -> str:
    return TOP_LEVEL.format(exit_codes=EXIT_CODES)


def install_help() -> str:
    from safe_pip.pipeline.config import ENVIRONMENT_VARIABLES

    return _INSTALL.format(
        options=_option_lines(exclude="--uv"),
        configuration=_wrap(
            "configuration (later wins; lists add up): the administrator's policy "
            f"{paths.admin_policy_files({})[0]} (its `locked` keys no later layer may loosen; "
            "SAFE_PIP_ADMIN_POLICY_FILE adds one), then [tool.safe-pip] in the nearest "
            "pyproject.toml (it may only tighten until you run `safe-pip trust`), then "
            f"{paths.user_config_file()} (SAFE_PIP_CONFIG_FILE "
            f"overrides), then the environment variables {', '.join(ENVIRONMENT_VARIABLES)}, "
            "then the options above. Also: SAFE_PIP_CACHE_DIR (database, seen hashes), "
            "SAFE_PIP_DB_SOURCE (default `db update --source`), SAFE_PIP_DISABLE=1 (the pip "
            "hook lets pip run unchecked, with a warning).",
            indent="",
        ),
        contents=_wrap(CONTENTS_HELP, indent=""),
        exit_codes=EXIT_CODES,
        pip_help=PIP_HELP_OPTION,
    )


def uv_help() -> str:
    return _UV.format(
        options=_option_lines(exclude="--python"),
        exit_codes=EXIT_CODES,
        uv_help=UV_HELP_OPTION,
    )


def _option_lines(exclude: str) -> str:
    return "\n".join(_option_line(option) for option in OWN_OPTIONS if option.name != exclude)


def _option_line(option: OwnOption) -> str:
    if option.choices:
        value = " " + "|".join(option.choices)
    elif option.takes_value:
        value = f" {option.metavar or 'VALUE'}"
    else:
        value = ""
    usage = f"  {option.name}{value}"
    text = _wrap(option.help + (" (repeatable)" if option.repeated else ""), " " * _HELP_COLUMN)
    if len(usage) < _HELP_COLUMN:
        return usage.ljust(_HELP_COLUMN) + text[_HELP_COLUMN:]
    return f"{usage}\n{text}"


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        text,
        width=_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent or "  ",
        break_on_hyphens=False,  # never "safe-\npip", "/etc/safe-\npip/policy.toml"
        break_long_words=False,
    )
