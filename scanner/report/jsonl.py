"""The JSON Lines report writer (the contract): one flushed line per record, owner-only file."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from scanner.records import FileRecord


def read_records(path: str) -> Iterator[dict[str, Any]]:
    """The records of a JSON Lines report, one dict at a time."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def open_private(path: str) -> TextIO:
    """Create or truncate ``path`` readable by its owner only (0600), for UTF-8 text."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_CREAT: set it
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


class JsonlWriter:
    """Writes records to a file (0600) or to standard output when the path is '-'."""

    def __init__(self, path: str | None) -> None:
        self._own = path not in (None, "-")
        self._out: TextIO = open_private(path) if self._own else sys.stdout  # type: ignore[arg-type]

    def write(self, record: FileRecord) -> None:
        self.write_line(record.to_line())

    def write_line(self, line: str) -> None:
        """Write one record line (no newline in ``line``) and flush it."""
        self._out.write(line + "\n")
        self._out.flush()

    def close(self) -> None:
        if self._own:
            self._out.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
