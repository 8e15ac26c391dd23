"""Which pips the guard supports, and a supported pip for a run whose own is too old.

The guard needs pip >= 22.3 (``build_env.get_runnable_pip``, pip's ``--python``) on Python
>= 3.7. ``safe-pip install`` into an environment whose pip is older runs the pip wheel
bundled with that environment's Python (``ensurepip``) instead, when that one is supported:
so ``safe-pip install --python ENV -U pip`` upgrades a too-old pip, guarded. pip runs
straight from the wheel (pip supports ``python pip.whl/pip``); nothing is unpacked.
"""

from __future__ import annotations

import glob
import os
import re
import sys

MIN_PIP = (22, 3)
MIN_PIP_TEXT = "22.3"
MIN_PYTHON = (3, 7)
_WHEEL_VERSION = re.compile(r"pip-(\d+(?:\.\d+)*)-")


def version_tuple(version: str) -> tuple[int, ...]:
    """The leading release numbers of ``version`` (``"22.3.1"`` -> ``(22, 3, 1)``)."""
    numbers = re.match(r"\d+(?:\.\d+)*", version.strip())
    return tuple(int(part) for part in numbers.group(0).split(".")) if numbers else ()


def is_supported(pip_version: str) -> bool:
    return version_tuple(pip_version) >= MIN_PIP


def bundled_pip_wheel() -> str | None:
    """The newest pip wheel bundled with this Python that the guard supports, or None."""
    try:
        import ensurepip
    except ImportError:
        return None
    directory = os.path.join(os.path.dirname(os.path.abspath(ensurepip.__file__)), "_bundled")
    found: list[tuple[tuple[int, ...], str]] = []
    for path in glob.glob(os.path.join(directory, "pip-*.whl")):
        match = _WHEEL_VERSION.match(os.path.basename(path))
        if match and is_supported(match.group(1)):
            found.append((version_tuple(match.group(1)), path))
    return max(found)[1] if found else None


def use_a_supported_pip() -> None:
    """Before pip is imported for a ``safe-pip`` run: if this environment's pip is too old for
    the guard, put a supported bundled pip wheel first on ``sys.path`` (said in one line)."""
    try:
        import pip
    except ImportError:
        return  # runpy says "No module named pip"
    version = str(getattr(pip, "__version__", ""))
    if is_supported(version):
        return
    wheel = bundled_pip_wheel()
    if wheel is None:
        return  # the guard refuses this pip with its one line, naming what to do
    for name in [name for name in sys.modules if name == "pip" or name.startswith("pip.")]:
        del sys.modules[name]
    sys.path.insert(0, wheel)
    bundled = _WHEEL_VERSION.match(os.path.basename(wheel))
    sys.stderr.write(
        f"safe-pip: this environment's pip {version} is too old for the guard (it needs pip "
        f">= {MIN_PIP_TEXT}); this run uses pip {bundled.group(1) if bundled else '?'} "
        "bundled with this Python instead\n"
    )
    sys.stderr.flush()


def unsupported_reason(
    python: str, python_version: tuple[int, ...], pip_version: str | None
) -> str | None:
    """Why the guard cannot work in ``python``'s environment, and what to do (one line), or
    None. Used by ``safe-pip hook install`` and ``hook status``."""
    shown_python = ".".join(str(part) for part in python_version)
    if python_version and tuple(python_version[:2]) < MIN_PYTHON:
        return (
            f"Python {shown_python} ({python}) is too old for safe-pip's guard (it needs Python "
            f">= 3.7 and pip >= {MIN_PIP_TEXT}); use an environment of a newer Python"
        )
    if pip_version is None:
        return f"{python} has no pip; add one first: `{python} -m ensurepip`"
    if not is_supported(pip_version):
        return (
            f"pip {pip_version} in {python} is too old for safe-pip's guard (it needs pip >= "
            f"{MIN_PIP_TEXT}); upgrade it, guarded: `safe-pip install --python {python} -U pip`"
        )
    return None
