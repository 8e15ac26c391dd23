"""What a wheel carries, looked at between its hash check and the installer writing anything.

``wheel.py`` reads an archive's central directory and only the members that matter (RECORD,
``entry_points.txt``, ``.pth`` files); ``environment.py`` reads what the target environment
already has installed; ``findings.py`` turns both into ``PTH-EXEC``, ``STARTUP-HOOK``,
``SCRIPT-SHADOW``, ``FILE-CLASH`` and ``RECORD-MISMATCH`` findings; ``pth_allow.py`` is the
shipped allow-list of long-standing ``.pth`` lines; ``history.py`` remembers the ``.pth``
lines of each project's first-seen release; ``inspect.py`` is the one entry front ends call.
"""
