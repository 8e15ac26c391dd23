"""Secrets never leave safe-pip: credentials in URLs are redacted at every output boundary.

EVERY OUTPUT BOUNDARY MUST USE THIS MODULE: text and JSON reports (and any new format such
as SARIF or CycloneDX), safe-pip's own stderr lines (errors, warnings, notes), log lines,
and every file safe-pip writes for the user to read (records, decision logs). A new output
format or file calls :func:`redact_text` on each string it emits (or :func:`redact_document`
on a JSON-like document) and gets the same rule everywhere.

The rule, the same as pip's own display rule: in ``scheme://USER:PASSWORD@host`` the password
becomes ``****`` (``__token__:pypi-...`` keeps ``__token__``); in ``scheme://TOKEN@host``,
where a lone user part is usually a token, the user part becomes ``****``. Credentials that
pip or httpx take from ``netrc`` or a keyring never enter a URL safe-pip holds, so they
cannot reach output either; the URLs safe-pip uses internally keep their credentials (the
index must still be read with them) and are only redacted on the way out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

MASK = "****"

# ``scheme://userinfo@`` anywhere in a text. Like pip, the user info ends at the *last* '@' of
# the authority (a password may hold a raw '@', a quote...); the authority ends at '/', '?',
# '#' or whitespace, so an '@' in a path, query or fragment, or in the next word, is no user
# info. (Masking a little too much, say a host in a run like ``'https://host','a@b'``, is
# the price of never printing a password.)
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#\s]+)@")


def redact_url(url: str) -> str:
    """``url`` with its credentials masked (unchanged when it has none)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{_masked_userinfo(userinfo)}@{host}"))


def index_identity(index_url: str) -> str:
    """How safe-pip names an index in records and comparisons: without credentials and
    without a trailing slash (the same index with another token is the same index)."""
    try:
        parts = urlsplit(index_url.strip())
    except ValueError:
        return _USERINFO_IN_TEXT.sub(r"\g<scheme>", index_url.strip()).rstrip("/")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host)).rstrip("/")


def redact_text(text: str) -> str:
    """Every ``scheme://user:password@`` in a free text (messages, log lines) masked."""
    if "@" not in text:
        return text
    return _USERINFO_IN_TEXT.sub(
        lambda match: f"{match['scheme']}{_masked_userinfo(match['userinfo'])}@", text
    )


def redact_document(value: object) -> object:
    """A JSON-like document (dicts, lists, strings...) with every string redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {key: redact_document(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [redact_document(item) for item in value]
    return value


def _masked_userinfo(userinfo: str) -> str:
    user, has_password, _ = userinfo.partition(":")
    if has_password:
        return f"{user}:{MASK}"
    return MASK
