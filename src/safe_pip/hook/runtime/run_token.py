"""The marker that tells the pip hook "safe-pip itself started this pip": a per-run token that a
script cannot forge by setting an environment variable.

Issuer (safe-pip, or a guard that starts child pips)::

    with run_token.issue() as token:                 # revoked when the block ends
        subprocess.run(cmd, env=token.child_env(env))

Receiver (the hook, at interpreter start)::

    if run_token.claim():                            # True at most once per token
        ...  # this process was started by the issuer

``SAFE_PIP_ACTIVE`` carries ``<secret>@<token file>``. ``issue`` writes the token file with
``mkstemp`` (mode 0600, a new name, owned by the user): the sha256 of the 256-bit random
secret, the issuer's process id (the receiver must be its direct child unless the token was
issued with ``direct_child_only=False``) and whether it is single-use. ``claim`` checks all of
that (a regular file, not a link, owned by this user, not readable by others, digest equal in
constant time), removes ``SAFE_PIP_ACTIVE`` from ``os.environ`` whatever the outcome, and
deletes a single-use file: of all processes that inherit the value, at most one is honoured,
and a value copied from a log or a finished run is worthless.

Residual risk (documented in docs/hook-and-aliases.md): code already running as the same user -- a
malicious build backend, for instance -- can write a token file of its own, just as it can
edit site-packages or start ``python -S``; the token is not a sandbox. It stops what an
environment variable alone could do: ``SAFE_PIP_ACTIVE=$$ pip install ...`` in a script, a CI
variable, a copied shell line, and inheritance by processes the issuer did not start.

Stdlib only; nothing heavier than ``os`` is imported unless ``SAFE_PIP_ACTIVE`` is set.
"""

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

ENV_VAR = "SAFE_PIP_ACTIVE"
_SEPARATOR = "@"
_MAX_FILE_BYTES = 512
_ANY_PARENT = "any"
_SINGLE_USE = "once"
_REUSABLE = "reusable"


class RunToken:
    """One issued token: put ``child_env(...)`` on the child, ``revoke()`` when it ended."""

    def __init__(self, secret: str, path: str) -> None:
        self._secret = secret
        self.path = path

    @property
    def value(self) -> str:
        """The ``SAFE_PIP_ACTIVE`` value."""
        return f"{self._secret}{_SEPARATOR}{self.path}"

    def child_env(self, env: "Mapping[str, str] | None" = None) -> "dict[str, str]":
        """``env`` (default ``os.environ``) with ``SAFE_PIP_ACTIVE`` set to this token."""
        child = dict(os.environ if env is None else env)
        child[ENV_VAR] = self.value
        return child

    def revoke(self) -> None:
        """Delete the token file (it may already be gone: a single-use token is consumed)."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            return

    def __enter__(self) -> "RunToken":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.revoke()


def issue(*, direct_child_only: bool = True, single_use: bool = True) -> RunToken:
    """A new token. ``direct_child_only``: honoured only in a process whose parent is this
    process. ``single_use``: the first process that claims it deletes it."""
    import hashlib
    import secrets
    import tempfile

    secret = secrets.token_hex(32)
    descriptor, path = tempfile.mkstemp(prefix="safe-pip-run-", suffix=".token")
    try:
        parent = str(os.getpid()) if direct_child_only else _ANY_PARENT
        uses = _SINGLE_USE if single_use else _REUSABLE
        digest = hashlib.sha256(secret.encode("ascii")).hexdigest()
        os.write(descriptor, f"{digest}\n{parent}\n{uses}\n".encode("ascii"))
    except BaseException:
        os.close(descriptor)
        os.unlink(path)
        raise
    os.close(descriptor)
    return RunToken(secret, path)


def without_marker(env: "Mapping[str, str] | None" = None) -> "dict[str, str]":
    """``env`` (default ``os.environ``) without ``SAFE_PIP_ACTIVE``: for children that must
    stay guarded."""
    child = dict(os.environ if env is None else env)
    child.pop(ENV_VAR, None)
    return child


def claim(environ: "dict[str, str] | os._Environ[str] | None" = None) -> bool:
    """True if ``SAFE_PIP_ACTIVE`` holds a valid token issued for this process (consuming a
    single-use one). The variable is removed from ``environ`` (default ``os.environ``) in
    every case, so nothing this process starts inherits it."""
    environ = os.environ if environ is None else environ
    value = environ.pop(ENV_VAR, None)
    if not value:
        return False
    secret, _, path = value.partition(_SEPARATOR)
    if len(secret) != 64 or not path or not os.path.isabs(path):
        return False
    fields = _read_token_file(path)
    if fields is None or len(fields) != 3:
        return False
    digest, parent, uses = fields
    import hashlib
    import hmac

    expected = hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()
    if not hmac.compare_digest(digest, expected):
        return False
    if parent != _ANY_PARENT and parent != str(os.getppid()):
        return False
    if uses == _REUSABLE:
        return True
    if uses != _SINGLE_USE:
        return False
    try:
        os.unlink(path)  # atomic: of several claimants exactly one succeeds
    except OSError:
        return False
    return True


def _read_token_file(path: str) -> "list[str] | None":
    """The token file's lines, or None unless it is a private regular file of this user."""
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            return None
        getuid = getattr(os, "getuid", None)
        if getuid is not None and (info.st_uid != getuid() or info.st_mode & 0o077):
            return None
        data = os.read(descriptor, _MAX_FILE_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    if len(data) > _MAX_FILE_BYTES:
        return None
    try:
        return data.decode("ascii").splitlines()
    except UnicodeDecodeError:
        return None
