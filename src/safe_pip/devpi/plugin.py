"""devpi-server's hooks: the plugin's options and its tween.

devpi loads this module through the ``devpi_server`` entry point (pyproject.toml).

Options (also ``safe_pip_*`` keys of devpi's config file, as every devpi option):

``--safe-pip-policy PATH``    the administrator's policy file (read besides
                              ``/etc/safe-pip/policy.toml``; both reloaded when changed)
``--safe-pip-db PATH``        the advisory database (default: the server account's,
                              as ``safe-pip db update`` writes it)
``--safe-pip-hide yank|remove`` what a blocked version becomes on a page (``pages``)
``--safe-pip-log PATH``       the decision log (default: the server account's)
``--safe-pip-off``            installed but not guarding (comparisons, troubleshooting)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pluggy import HookimplMarker

hookimpl = HookimplMarker("devpiserver")

TWEEN = "safe_pip.devpi.tween.guard_tween_factory"
UNDER = "devpi_server.views.tween_keyfs_transaction"


@hookimpl
def devpiserver_add_parser_options(parser: Any) -> None:
    from safe_pip.devpi.pages import HIDE_MODES

    group = parser.addgroup("safe-pip", "safe-pip: the install-time guard, on the index")
    group.addoption(
        "--safe-pip-policy",
        metavar="PATH",
        default=None,
        help="the administrator's safe-pip policy file (TOML)",
    )
    group.addoption(
        "--safe-pip-db",
        metavar="PATH",
        default=None,
        help="the advisory database `safe-pip db update` keeps",
    )
    group.addoption(
        "--safe-pip-hide",
        choices=HIDE_MODES,
        default="yank",
        help="a blocked version stays on pages as yanked with the finding as "
        "reason (yank, the default), or is left out (remove)",
    )
    group.addoption(
        "--safe-pip-off",
        action="store_true",
        help="serve unguarded although the plugin is installed (a comparison, "
        "troubleshooting); said in devpi's log at start",
    )
    group.addoption(
        "--safe-pip-log",
        metavar="PATH",
        default=None,
        help="the decision log refusals are written to",
    )


@hookimpl
def devpiserver_pyramid_configure(config: Any, pyramid_config: Any) -> None:
    from safe_pip.devpi.guard import ServerGuard
    from safe_pip.devpi.tween import REGISTRY_KEY, Settings

    args = config.args
    if getattr(args, "safe_pip_off", False):
        logging.getLogger(__name__).warning("safe-pip: --safe-pip-off: this index is NOT guarded")
        return
    guard = ServerGuard(
        policy_file=_path(getattr(args, "safe_pip_policy", None)),
        database_path=_path(getattr(args, "safe_pip_db", None)),
        start_dir=Path(str(config.server_path)),
    )
    pyramid_config.registry[REGISTRY_KEY] = Settings(
        guard=guard,
        hide=getattr(args, "safe_pip_hide", None) or "yank",
        log_path=_path(getattr(args, "safe_pip_log", None)),
    )
    pyramid_config.add_tween(TWEEN, under=UNDER)


def _path(value: object) -> Path | None:
    return Path(str(value)).expanduser() if value else None
