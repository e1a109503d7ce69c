"""The vocabulary of the hostile corpus: its scale, one case (an entry and the outcome its record must
have) and the corpus being written."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024
ANY = frozenset({"ok", "error", "unsupported", "encrypted", "skipped"})
OK, ERROR, SKIPPED = frozenset({"ok"}), frozenset({"error"}), frozenset({"skipped"})
PATH_MAX = os.pathconf("/", "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096


@dataclass(frozen=True)
class Scale:
    """Sizes of the large cases."""

    rows: int  # rows of the big spreadsheet
    line_bytes: int  # bytes of the single-line text file
    members: int  # members of the many-member zip
    bomb_bytes: int  # zeros in the high-ratio member
    flips: int  # bit-flipped copies per format
    depth: int  # folders of the deep tree

    @classmethod
    def small(cls) -> Scale:
        return cls(rows=20_000, line_bytes=8 * MB, members=1_000, bomb_bytes=64 * MB, flips=3, depth=120)

    @classmethod
    def full(cls) -> Scale:
        return cls(rows=1_000_000, line_bytes=200 * MB, members=100_001, bomb_bytes=1024 * MB, flips=20,
                   depth=1_000)


@dataclass(frozen=True)
class Case:
    """One entry of the corpus and the top-level record it must get."""

    path: bytes  # relative to the corpus root (names need not be UTF-8)
    what: str
    status: frozenset[str] = ANY
    reason: str | None = None  # a fragment the record's one-line error must contain
    member_status: dict[str, str] = field(default_factory=dict)  # member name -> status of its record
    members: int | None = None  # how many member records, when that is exact


@dataclass
class Corpus:
    root: Path
    cases: list[Case] = field(default_factory=list)

    def file(self, rel: str | bytes, data: bytes, what: str, **expect: object) -> None:
        path = self._path(rel)
        with open(path, "wb") as fh:
            fh.write(data)
        self.cases.append(Case(os.fsencode(rel), what, **expect))  # type: ignore[arg-type]

    def special(self, rel: str, make: Callable[[bytes], None], what: str, reason: str) -> None:
        try:
            make(self._path(rel))
        except PermissionError:  # device nodes need CAP_MKNOD: without it the corpus has none
            return
        self.cases.append(Case(os.fsencode(rel), what, SKIPPED, reason))

    def _path(self, rel: str | bytes) -> bytes:
        path = os.path.join(os.fsencode(self.root), os.fsencode(rel))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path
