"""The pip backend."""
