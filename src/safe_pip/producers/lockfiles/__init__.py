"""Lock-file readers for ``safe-pip check``: requirements.txt, uv.lock, pylock.toml, poetry.lock.

``read_lock_file(path)`` returns a ``LockFile`` whatever the format; ``plan.to_plan`` turns its
packages into plan items for ``guard.check_plan``.
"""

from __future__ import annotations

from safe_pip.producers.lockfiles.detect import read_lock_file
from safe_pip.producers.lockfiles.model import LockedArtifact, LockedPackage, LockFile, LockKind

__all__ = ["LockFile", "LockKind", "LockedArtifact", "LockedPackage", "read_lock_file"]
