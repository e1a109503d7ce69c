"""Page layout shared by the PDF and OFD extractors and OCR: text pieces with boxes -> visual lines, bands.

Not an extractor itself (it has no FORMAT). Coordinates are display space: from the page's top-left
corner, y growing downwards, in any unit (points, millimetres, pixels) as long as the page height is
in the same one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from scanner.records import Location, TextBlock

TOP_BAND = 0.25  # a line whose centre lies in the top 25% of the page height is "top"
BOTTOM_BAND = 0.90  # ... below 90% of it, "bottom"
JOIN_GAP = 0.15  # a horizontal gap wider than this share of the line height becomes a space
MIN_OVERLAP = 0.5  # boxes on one line overlap vertically by at least half the smaller height
MAX_HEIGHT_RATIO = 3.0  # a box this many times taller than another (a diagonal stamp) stays apart


class Seg(NamedTuple):
    """A piece of text and its box in display space: from the page's top-left corner."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


def line_blocks(page: tuple[list[Seg], float], number: int) -> Iterator[TextBlock]:
    """Blocks for the visual lines of one page (its segments and height), numbered top to bottom from 1."""
    segments, height = page
    for line_no, (line, (top, bottom)) in enumerate(group_lines(segments), 1):
        yield TextBlock(join(line), Location(part="body", page=number, line=line_no),
                        band=band((top + bottom) / 2, height))


def band(centre: float, height: float) -> str:
    """"top", "middle" or "bottom" for a line whose vertical centre is ``centre`` down the page."""
    if height > 0 and centre < TOP_BAND * height:
        return "top"
    return "bottom" if height > 0 and centre > BOTTOM_BAND * height else "middle"


def group_lines(segments: list[Seg]) -> list[tuple[list[Seg], tuple[float, float]]]:
    """Segments whose vertical extents overlap form one line: (segments left to right,
    (top, bottom)) for each line, top to bottom (a line's top is its first segment's)."""
    lines: list[list[Seg]] = []
    extents: list[tuple[float, float]] = []
    for seg in sorted(segments, key=lambda s: (s.top, s.left)):
        for i in range(len(lines) - 1, max(-1, len(lines) - 5), -1):  # the few lines just above
            top, bottom = extents[i]
            if seg.top < bottom and same_line(top, bottom, seg.top, seg.bottom):
                lines[i].append(seg)
                extents[i] = (top, max(bottom, seg.bottom))
                break
        else:
            lines.append([seg])
            extents.append((seg.top, seg.bottom))
    return [(sorted(line, key=lambda s: s.left) if len(line) > 1 else line, extent)
            for line, extent in zip(lines, extents, strict=True)]


def same_line(top: float, bottom: float, top2: float, bottom2: float) -> bool:
    """True when two vertical extents overlap enough, and are alike enough in height, to be one line."""
    overlap = min(bottom, bottom2) - max(top, top2)
    low, high = sorted((bottom - top, bottom2 - top2))
    return overlap >= MIN_OVERLAP * low and high <= MAX_HEIGHT_RATIO * low


def join(line: list[Seg]) -> str:
    """Segments left to right, with a single space where a visible horizontal gap parts them."""
    parts = [line[0].text]
    right = line[0].right
    for seg in line[1:]:
        if seg.left - right > JOIN_GAP * (seg.bottom - seg.top):
            parts.append(" ")
        parts.append(seg.text)
        right = max(right, seg.right)
    return "".join(parts)
