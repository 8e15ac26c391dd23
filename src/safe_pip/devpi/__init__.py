"""safe-pip inside devpi-server: the same pipeline applied to what an index serves.

A front end (beside ``commands`` and ``installers``): ``plugin`` holds devpi's hooks,
``tween`` guards the requests, ``pages`` reads and rewrites project pages, ``guard`` decides
with ``pipeline.candidates`` and the server's one policy and database, ``refusal_log``
writes the decision log. Install with the ``devpi`` extra; devpi finds the plugin through
its ``devpi_server`` entry point. See docs/team.md.
"""
