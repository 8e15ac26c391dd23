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
