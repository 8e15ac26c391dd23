"""The guard for a pip that code started below a ``safe-pip`` run starts on its own.

setuptools fetches ``setup_requires`` with ``python -m pip wheel`` from inside the build
that a guarded pip runs (``--no-build-isolation``); nothing of safe-pip is installed in that
environment, so that pip would run unguarded. ``bootstrap.run`` puts this directory first
on ``PYTHONPATH`` and the guard's settings in ``SAFE_PIP_NESTED_GUARD``: every Python started
below the guarded pip then imports this module at startup, which puts the guard's finder in
place (the same checker answers; nothing else changes), and then imports the
``sitecustomize`` it shadows, if there is one.
"""

import os
import sys

ENV_VAR = "SAFE_PIP_NESTED_GUARD"  # bootstrap.NESTED_ENV_VAR


def _load_guard() -> None:
    settings = os.environ.get(ENV_VAR)
    if not settings or sys.version_info < (3, 7):
        return
    import importlib.util

    runtime = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    package = "_safe_pip_guard"
    if package not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            package, os.path.join(runtime, "__init__.py"), submodule_search_locations=[runtime]
        )
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules[package] = module
        spec.loader.exec_module(module)
    bootstrap = importlib.import_module(package + ".bootstrap")
    bootstrap.load_nested(settings)


def _import_shadowed() -> None:
    """Import the ``sitecustomize`` this one hides on ``sys.path`` (if any) in its place."""
    here = os.path.dirname(os.path.abspath(__file__))
    this = sys.modules.get(__name__)
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    sys.modules.pop(__name__, None)
    try:
        import sitecustomize  # type: ignore[import-not-found]  # noqa: F401  (the env's own)
    except ImportError:
        if this is not None:
            sys.modules[__name__] = this
    finally:
        sys.path[:] = saved


_load_guard()
_import_shadowed()
