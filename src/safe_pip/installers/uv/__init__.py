"""The uv backend."""
