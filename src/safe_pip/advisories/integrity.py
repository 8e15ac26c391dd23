"""Is the advisory database file intact? A damaged file must never answer "no advisories".

SQLite notices a damaged *table* page when it reads one, but a damaged page of an *index*
can make a lookup silently find nothing. So:

* ``db update`` runs ``PRAGMA integrity_check`` on the new file before it is swapped in
  (``verify_new_file``), and seals it after the swap (``seal``);
* the seal (``<database>.seal`` beside it) records the file's identity as ``os.stat`` sees
  it once verified: device, inode, size, and modification and change times in nanoseconds.
  Any write to the file changes its change time (which no program can set back), so
  ``check_on_open`` trusts a file whose ``stat`` still matches its seal (a ``stat`` and a
  small read, well under a millisecond) and runs ``PRAGMA quick_check`` on any other
  (changed, copied, sealed by nothing) before a lookup is made; an intact one is sealed
  again, so the check runs once per change.

Damage that changes no ``stat`` field (a failing disk returning other bytes) is outside
what this sees; SQLite's own checks on read remain for that.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path

_SEAL_SUFFIX = ".seal"
_SEAL_VERSION = 1
_PROBLEM_CHARS = 200  # of SQLite's report, in the one-line error


def seal_path(database: Path) -> Path:
    return database.with_name(database.name + _SEAL_SUFFIX)


def verify_new_file(path: Path) -> str | None:
    """The full ``integrity_check`` of a just-written database: None when intact, else
    SQLite's first complaint."""
    return _pragma_check(path, "integrity_check")


def quick_check(path: Path) -> str:
    """``PRAGMA quick_check``: "ok", or what is wrong (a seam the tests count)."""
    return _pragma_check(path, "quick_check") or "ok"


def seal(path: Path, verified: list[int] | None = None) -> None:
    """Record ``path`` as verified as it is now (best effort: a seal that cannot be written
    only means the next open checks the file again). ``verified``: the identity the file
    had when it was checked; nothing is sealed if it changed since."""
    with contextlib.suppress(OSError):
        current = _identity(path)
        if verified is None or verified == current:
            _write_seal(path, current)


def check_on_open(path: Path) -> str | None:
    """None when ``path`` is sealed as it is, or is intact (then sealed); else what SQLite
    found wrong with it."""
    current: list[int] | None = None
    with contextlib.suppress(OSError, ValueError):
        current = _identity(path)
        if json.loads(seal_path(path).read_text(encoding="utf-8")) == {
            "version": _SEAL_VERSION,
            "file": current,
        }:
            return None
    result = quick_check(path)
    if result != "ok":
        return result
    seal(path, current)
    return None


def _pragma_check(path: Path, pragma: str) -> str | None:
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = connection.execute(f"PRAGMA {pragma}(1)").fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        connection.close()
    result = " ".join(str(row[0]) for row in rows).strip()
    if result == "ok":
        return None
    problem = " ".join(result.replace("*** in database main ***", "").split())
    return problem[:_PROBLEM_CHARS] or "unknown damage"


def _identity(path: Path) -> list[int]:
    found = path.stat()
    return [found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns]


def _write_seal(path: Path, identity: list[int]) -> None:
    document = json.dumps({"version": _SEAL_VERSION, "file": identity})
    target = seal_path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{target.name}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as written:
            written.write(document)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
