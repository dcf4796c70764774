"""Errors a user can act on: every one names the file and says what is wrong."""
from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A file could not be turned into pages. ``str(err)`` is one line naming the file."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
