"""Plans from somewhere other than an installer run: lock files, an installed environment."""
