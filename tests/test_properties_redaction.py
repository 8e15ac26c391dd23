"""Property: no byte of a password or token in a URL's user info reaches any output form.

URLs as pip accepts them (user info up to the last '@', then user and password split at the
first ':') with passwords that hold '@', ':', quotes, brackets, '%' and non-ASCII letters,
alone or inside a message, through every redaction entry point: ``redact_url``,
``redact_text``, ``redact_document`` (and the JSON text it becomes) and ``index_identity``.
The expected output is exact: the URL with the secret replaced by ``****``, nothing else
changed.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from hypothesis import given
from hypothesis import strategies as st

from safe_pip.redaction import MASK, index_identity, redact_document, redact_text, redact_url
from support.properties import FAST

# Characters a raw password may hold: anything but what ends a URL's authority ('/', '?',
# '#') and whitespace (a URL in a message ends there). Includes the characters that make
# Python's urlsplit raise (a lone '[', a full-width '@' or '/' that NFKC turns into '@' or '/').
SECRET_ALPHABET = st.sampled_from(
    [*"abcXYZ0189-._~%!$&'()*+,;=:@[]\"<>\\^`{|}", "é", "ß", "\uff20", "\uff0f", "€"]
)
USER_ALPHABET = st.sampled_from(list("abcXYZ019-._~%!$&'()*+,;=@"))
secrets = st.text(SECRET_ALPHABET, min_size=1, max_size=12)
users = st.text(USER_ALPHABET, max_size=8)
schemes = st.sampled_from(["http", "https", "git+https", "svn+ssh"])
hosts = st.sampled_from(
    ["private.example", "private.example:8443", "127.0.0.1", "[::1]:3141", "xn--bcher-kva.example"]
)
rests = st.sampled_from(["", "/", "/simple/", "/simple/x/?q=a@b", "/a@b/c#frag@x", "?x=1@2"])


class Case(NamedTuple):
    url: str
    expected: str  # the url as it must be printed
    identity: str  # index_identity: no user info, no trailing slash


@st.composite
def url_with_secret(draw: st.DrawFn) -> Case:
    scheme, host, rest = draw(schemes), draw(hosts), draw(rests)
    secret = draw(secrets)
    if draw(st.booleans()):  # user:password
        user = draw(users.filter(lambda text: ":" not in text))
        userinfo, shown = f"{user}:{secret}", f"{user}:{MASK}"
    else:  # a lone token (with a ':' it would be user and password)
        secret = secret.replace(":", "=")
        userinfo, shown = secret, MASK
    return Case(
        url=f"{scheme}://{userinfo}@{host}{rest}",
        expected=f"{scheme}://{shown}@{host}{rest}",
        identity=f"{scheme}://{host}{rest}".rstrip("/"),
    )


@FAST
@given(url_with_secret())
def test_redact_url_masks_exactly_the_secret(case: Case) -> None:
    assert redact_url(case.url) == case.expected


@FAST
@given(url_with_secret(), st.sampled_from(["{}", "cannot read {}: 401", "({}) and x@y", "'{}'"]))
def test_redact_text_masks_exactly_the_secret_in_a_message(case: Case, message: str) -> None:
    assert redact_text(message.format(case.url)) == message.format(case.expected)


@FAST
@given(url_with_secret())
def test_documents_and_their_json_never_hold_the_secret(case: Case) -> None:
    url, expected = case.url, case.expected
    document = {"index_url": url, "notes": [f"from {url}"], "nested": {"urls": [url]}, "n": 1}
    redacted = redact_document(document)
    assert redacted == {
        "index_url": expected,
        "notes": [f"from {expected}"],
        "nested": {"urls": [expected]},
        "n": 1,
    }
    assert redact_text(json.dumps(document, indent=2)) == json.dumps(redacted, indent=2)


@FAST
@given(url_with_secret())
def test_index_identity_has_no_user_info(case: Case) -> None:
    assert index_identity(case.url) == case.identity
