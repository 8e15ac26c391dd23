"""What a pip run installed, seen from the environment itself: the backstop of the guard.

The guard stops pip at named points in its code (``pip_patch``); a future pip that installs
through a path the guard does not wrap would install unchecked. This module does not depend
on which pip function installed: it lists the distribution metadata directories
(``*.dist-info``, ``*.egg-info``) where the run can install, before and after, and names the
ones that are new or rewritten (every install writes its ``RECORD``/metadata anew). The guard
compares those with the names and versions the full check allowed.
"""

from __future__ import annotations

import os
import re
import site
import sysconfig

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_METADATA_SUFFIXES = (".dist-info", ".egg-info")
# A directory's state: the mtime of the file every installer writes last, else its own.
_WRITTEN_LAST = ("RECORD", "PKG-INFO", "METADATA")


def install_dirs(options: Any) -> list[str]:
    """Where this pip run can install: this interpreter's site-packages and user site (pip
    may choose the user site by itself), ``--target``, and the scheme of
    ``--prefix``/``--root`` as pip computes it."""
    paths = sysconfig.get_paths()
    dirs = [paths["purelib"], paths["platlib"]]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    target = getattr(options, "target_dir", None)
    if target:
        dirs.append(target)
    dirs.extend(_scheme_dirs(options))
    return list(dict.fromkeys(os.path.abspath(path) for path in dirs if path))


def _scheme_dirs(options: Any) -> list[str]:
    """``--prefix``/``--root``: where pip's own scheme puts them (only then: reading it may
    import pip's locations code, which an ordinary install need not wait for)."""
    if not (getattr(options, "prefix_path", None) or getattr(options, "root_path", None)):
        return []
    try:
        from pip._internal.locations import get_scheme

        scheme = get_scheme(
            "",
            user=bool(getattr(options, "use_user_site", False)),
            home=None,
            root=getattr(options, "root_path", None),
            isolated=bool(getattr(options, "isolated_mode", False)),
            prefix=getattr(options, "prefix_path", None),
        )
        return [str(scheme.purelib), str(scheme.platlib)]
    except Exception:
        return []


def snapshot(dirs: list[str]) -> dict[str, int]:
    """Every distribution metadata directory in ``dirs`` (path -> when it was last written,
    in ns)."""
    found: dict[str, int] = {}
    for directory in dirs:
        try:
            entries = os.scandir(directory)
        except OSError:
            continue
        with entries:
            for entry in entries:
                if entry.name.endswith(_METADATA_SUFFIXES):
                    found[entry.path] = _written(entry.path)
    return found


def _written(path: str) -> int:
    for name in _WRITTEN_LAST:
        try:
            return os.stat(os.path.join(path, name)).st_mtime_ns
        except OSError:
            continue
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def installed_since(before: dict[str, int], dirs: list[str]) -> list[tuple[str, str | None]]:
    """``(normalized name, version or None)`` of what was installed or rewritten since
    ``before`` was taken."""
    after = snapshot(dirs)
    return sorted(
        name_and_version(os.path.basename(path))
        for path, written in after.items()
        if before.get(path) != written
    )


def name_and_version(directory_name: str) -> tuple[str, str | None]:
    """``Foo_Bar-1.0.dist-info`` -> ``("foo-bar", "1.0")``; an ``.egg-info`` may carry no
    version (``foo.egg-info``)."""
    stem = directory_name.rsplit(".", 1)[0]
    name, _, rest = stem.partition("-")
    version = rest.split("-", 1)[0] or None
    return re.sub(r"[-_.]+", "-", name).lower(), version
