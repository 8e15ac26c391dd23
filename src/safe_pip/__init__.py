"""safe-pip: an install-time guard for pip and uv."""

__version__ = "0.2.0"
