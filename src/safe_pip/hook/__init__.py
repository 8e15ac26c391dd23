"""The pip hook: makes plain ``pip install`` in a guarded environment go through safe-pip.

``runtime/`` is copied verbatim into the guarded environment's site-packages as the
``_safe_pip_hook`` package (stdlib only: the environment normally has no safe-pip);
``installer`` writes, removes and inspects those files.
"""
