"""How an installer reaches its indexes: the URLs and the network settings for them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexSettings:
    """Where pip looks for packages and how it connects there.

    ``cert``: CA bundle (file or directory) replacing the default ones; ``client_cert``: one
    PEM file with the client's key and certificate; ``proxy``: for every request;
    ``trusted_hosts``: ``host`` (any port) or ``host:port``, whose certificates pip does not
    verify; ``trust_env``: whether environment variables (proxies, CA bundles) apply.
    """

    index_urls: tuple[str, ...] = ()
    cert: str | None = None
    client_cert: str | None = None
    proxy: str | None = None
    trusted_hosts: tuple[str, ...] = ()
    trust_env: bool = True


def settings_from_json(network: object, index_urls: list[str]) -> IndexSettings | None:
    """The ``network`` object of a plan (the pip guard sends pip's own settings); None when
    the plan has none. ``ValueError`` on a malformed one."""
    if network is None:
        return None
    if not isinstance(network, dict):
        raise ValueError("'network' must be an object")
    optional_text = {key: network.get(key) for key in ("cert", "client_cert", "proxy")}
    if any(value is not None and not isinstance(value, str) for value in optional_text.values()):
        raise ValueError("'network' cert, client_cert and proxy must be strings or null")
    trusted_hosts = network.get("trusted_hosts") or []
    if not isinstance(trusted_hosts, list) or not all(isinstance(h, str) for h in trusted_hosts):
        raise ValueError("'network' trusted_hosts must be a list of host names")
    trust_env = network.get("trust_env", True)
    if not isinstance(trust_env, bool):
        raise ValueError("'network' trust_env must be true or false")
    return IndexSettings(
        index_urls=tuple(index_urls),
        cert=optional_text["cert"],
        client_cert=optional_text["client_cert"],
        proxy=optional_text["proxy"],
        trusted_hosts=tuple(trusted_hosts),
        trust_env=trust_env,
    )
