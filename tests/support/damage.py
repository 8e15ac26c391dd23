"""Damage an advisory database the way a bad sector or a stray write does: one B-tree page
of the name index, with the file header (and every table page) intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

NAME_INDEX = "affected_by_name"


def empty_name_index_page(path: Path) -> None:
    """Set the cell count of the name index's root page to 0: lookups by name then find
    nothing (no error), and ``PRAGMA quick_check`` reports the page."""
    connection = sqlite3.connect(path)
    try:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        (root,) = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (NAME_INDEX,)
        ).fetchone()
    finally:
        connection.close()
    data = bytearray(path.read_bytes())
    header = (root - 1) * page_size + (100 if root == 1 else 0)
    data[header + 3 : header + 5] = b"\0\0"  # the page's number of cells
    path.write_bytes(bytes(data))


def quick_check(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA quick_check").fetchone()[0])
    finally:
        connection.close()
