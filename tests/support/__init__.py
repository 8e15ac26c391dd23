"""Test infrastructure shared by every integration test (imported as ``support``).

* ``support.wheels``: build valid pure-Python wheels (``build_wheel``).
* ``support.index_server``: ``LocalIndex``, a real simple-API index on 127.0.0.1.
* ``support.isolation``: ``isolated_env`` for pip/uv/safe-pip subprocesses, and ``run``.
* ``support.venvs``: template venvs (``bundled`` / ``newest`` pip) and cheap copies.

The fixtures wrapping these live in ``tests/conftest.py``.
"""
