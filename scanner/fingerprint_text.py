"""Text -> winnowed fingerprints: what a document's passages look like to the fingerprint registry.

The text of the content blocks is normalised (NFKC, lower case, the traditional -> simplified
folding of markings.normalize, then every character that is not a letter or a digit dropped),
so reformatting, whitespace, punctuation and full-width/half-width changes do not change it.
The blocks are joined into one stream (a PDF line break in mid-sentence is no boundary), every
``K``-character substring is hashed to a stable 64-bit integer, and winnowing keeps the smallest
hash of every window of ``W`` consecutive hashes. Any run of at least ``W + K - 1`` normalised
characters that two documents share therefore yields at least one shared fingerprint, and a
run of ``n`` characters about ``2 (n - K + 1) / (W + 1)`` of them.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from markings.normalize import normalize as fold_glyphs
from scanner.fingerprint_index import K, W
from scanner.records import Location, TextBlock

MAX_CHARS = 2_000_000  # normalised characters fingerprinted per document (about 500,000 fingerprints)
# Parts that are not the document's own prose: names, metadata, running headers and watermarks.
SKIPPED_PARTS = frozenset({"filename", "properties", "sheetname", "header", "footer", "watermark"})

_DROP = re.compile(r"[\W_]+")  # anything but letters and digits (CJK ideographs are letters)
_BASE = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
EMPTY = np.zeros(0, dtype=np.int64)


def normalize(text: str) -> str:
    """Return ``text`` with only its letters and digits, folded: NFKC, lower case, simplified script."""
    folded = unicodedata.normalize("NFKC", fold_glyphs(text)).lower()
    return _DROP.sub("", folded)


def kgram_hashes(text: str, k: int = K) -> np.ndarray:
    """Return the stable 64-bit hash (as int64) of every ``k``-character substring of ``text``, in order.

    A polynomial hash of the code points modulo 2**64 finished with the splitmix64 mixer: pure
    integer arithmetic, so the values are the same in every process, platform and Python version.
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - k + 1
    if n <= 0:
        return EMPTY
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):
        h = h * _BASE + codes[j:j + n]
    h ^= h >> np.uint64(30)
    h *= _MIX1
    h ^= h >> np.uint64(27)
    h *= _MIX2
    h ^= h >> np.uint64(31)
    return h.view(np.int64)


def winnow(hashes: np.ndarray, w: int = W) -> np.ndarray:
    """Return the indices of the hashes winnowing selects: the rightmost minimum of each window of ``w``."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(hashes) <= w:
        return np.array([len(hashes) - 1 - int(np.argmin(hashes[::-1]))], dtype=np.int64)
    windows = sliding_window_view(hashes, w)
    picks = (w - 1 - np.argmin(windows[:, ::-1], axis=1)) + np.arange(len(windows))
    return np.unique(picks).astype(np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class Fingerprints:
    """A document's fingerprints in text order, and where each one stands.

    ``positions[i]`` is the normalised offset where the substring of ``hashes[i]`` starts;
    ``starts[j]`` is the normalised offset where content block ``j`` begins (at ``locations[j]``).
    """

    hashes: np.ndarray
    positions: np.ndarray
    starts: tuple[int, ...]
    locations: tuple[Location, ...]
    length: int  # normalised characters fingerprinted

    def location_at(self, position: int) -> Location:
        """The location of the block that normalised offset ``position`` falls in."""
        return self.locations[max(0, bisect.bisect_right(self.starts, position) - 1)]

    def blocks_between(self, first: int, last: int) -> range:
        """The indices of the blocks holding normalised offsets ``first`` .. ``last`` (inclusive)."""
        lo = max(0, bisect.bisect_right(self.starts, first) - 1)
        return range(lo, max(lo, bisect.bisect_right(self.starts, last) - 1) + 1)

    def unique(self) -> np.ndarray:
        """The distinct hashes (what the registry stores for this document)."""
        return np.unique(self.hashes)


def fingerprint_text(normalised: str, stop: np.ndarray = EMPTY) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(hashes, positions)`` winnowed from an already normalised text, dropping the ``stop`` hashes
    (a sorted array)."""
    all_hashes = kgram_hashes(normalised)
    picks = winnow(all_hashes)
    hashes = all_hashes[picks]
    if len(stop) and len(hashes):
        at = np.minimum(np.searchsorted(stop, hashes), len(stop) - 1)
        keep = stop[at] != hashes
        return hashes[keep], picks[keep]
    return hashes, picks


@dataclass(slots=True)
class Builder:
    """Collects a document's content blocks (``add``) and fingerprints them (``build``)."""

    stop: np.ndarray = field(default_factory=lambda: EMPTY)  # sorted hashes never kept
    parts: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    size: int = 0

    def add(self, block: TextBlock) -> None:
        if block.location.part in SKIPPED_PARTS or self.size >= MAX_CHARS:
            return
        text = normalize(block.text)[:MAX_CHARS - self.size]
        if not text:
            return
        self.starts.append(self.size)
        self.locations.append(block.location)
        self.parts.append(text)
        self.size += len(text)

    def build(self) -> Fingerprints:
        hashes, positions = fingerprint_text("".join(self.parts), self.stop)
        return Fingerprints(hashes, positions, tuple(self.starts), tuple(self.locations), self.size)
