"""Word 97-2003 binary structures ([MS-DOC]): FIB, PLCs, FKPs, sprms, string tables, OfficeArt text.

Not an extractor (no FORMAT): scanner.extractors.doc (and, through it, the Kingsoft .wps
extractor) reads documents with it; the piece table and the text itself are in ``wordtext``.
Every reader checks offsets against the stream it reads and raises CorruptFile for a structure
that points outside it.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.errors import CorruptFile, EncryptedFile, UnsupportedContent

IDENT = 0xA5EC
NFIB_WORD97 = 0xC0  # Word 6 (101) and Word 95 (104) use another FIB and no piece table of this kind
FIB_BASE = 32
# FibRgLw97 longs: cbMac, lProductCreated, lProductRevised, then the story lengths
STORY_LW = {"main": 3, "footnote": 4, "header": 5, "comment": 7, "endnote": 8, "textbox": 9,
            "header_textbox": 10}
STORY_ORDER = ("main", "footnote", "header", "macro", "comment", "endnote", "textbox", "header_textbox")
# FibRgFcLcb97 pair indices
PLCFNDREF, PLCFNDTXT, PLCFANDREF, PLCFANDTXT, PLCFSED, PLCFHDD = 2, 3, 4, 5, 6, 11
PLCFBTECHPX, PLCFBTEPAPX, STTBFFFN, CLX, GRPXSTATNOWNERS = 12, 13, 15, 33, 36
PLCSPAMOM, PLCFENDREF, PLCFENDTXT, DGGINFO, PLCFTXBXTXT = 40, 46, 47, 50, 56
# Chinese language ids (FibBase.lid, FibRgW97.lidFE) -> the codepage of their 8-bit text
LID_CODEPAGES = {0x0804: "gb18030", 0x1004: "gb18030", 0x0404: "cp950", 0x0C04: "cp950", 0x1404: "cp950"}
CJK_CODEPAGES = {936: "gb18030", 950: "cp950", 54936: "gb18030"}


@dataclass(frozen=True, slots=True)
class Fib:
    """What the extractor needs from the File Information Block."""

    nfib: int
    lid: int
    lid_fe: int  # the East Asian language id; 0 when the FIB has none
    table: str  # "0Table" or "1Table"
    ccp: dict[str, int]  # story -> length in CPs
    fclcb: tuple[int, ...]  # FibRgFcLcb97 as a flat (fc, lcb, fc, lcb, ...) tuple

    def pair(self, index: int) -> tuple[int, int]:
        """(fc, lcb) of FibRgFcLcb entry ``index``; (0, 0) when the FIB is too short to have it."""
        if 2 * index + 1 >= len(self.fclcb):
            return 0, 0
        return self.fclcb[2 * index], self.fclcb[2 * index + 1]

    def codepage(self) -> str | None:
        """The codepage of 8-bit text when the document's language is Chinese, else None."""
        return LID_CODEPAGES.get(self.lid) or LID_CODEPAGES.get(self.lid_fe)

    def story_start(self, story: str) -> int:
        """First CP of ``story`` (stories follow each other in STORY_ORDER)."""
        start = 0
        for name in STORY_ORDER:
            if name == story:
                return start
            start += self.ccp.get(name, 0)
        raise KeyError(story)


def u16(blob: bytes, offset: int) -> int:
    return int.from_bytes(blob[offset:offset + 2], "little")


def parse_fib(word: bytes) -> Fib:
    """Read the FIB at the start of the WordDocument stream.

    Raises CorruptFile (not a FIB, truncated), EncryptedFile (fEncrypted / fObfuscated),
    UnsupportedContent (a Word 6/95 file).
    """
    if len(word) < FIB_BASE + 2 or u16(word, 0) != IDENT:
        raise CorruptFile("WordDocument stream does not start with a Word FIB (wIdent 0xA5EC)")
    nfib, lid, flags = u16(word, 2), u16(word, 6), u16(word, 10)
    if flags & 0x0100:  # fEncrypted; fObfuscated (XOR) is a kind of it
        raise EncryptedFile("password-protected Word document")
    if nfib < NFIB_WORD97:
        raise UnsupportedContent(f"Word 6/95 document (nFib {nfib}) is not supported")
    try:
        pos = FIB_BASE
        csw = u16(word, pos)
        pos += 2 + 2 * csw
        cslw = u16(word, pos)
        lw = struct.unpack_from(f"<{cslw}i", word, pos + 2)
        pos += 2 + 4 * cslw
        cb = u16(word, pos)
        fclcb = struct.unpack_from(f"<{2 * cb}I", word, pos + 2)
    except struct.error as exc:
        raise CorruptFile(f"Word FIB is truncated: {exc}") from exc
    if len(lw) <= STORY_LW["header_textbox"] or cb <= CLX:
        raise CorruptFile("Word FIB is too short for a Word 97 document")
    ccp = {name: lw[i] for name, i in STORY_LW.items()}
    if any(n < 0 for n in ccp.values()) or sum(ccp.values()) > len(word):
        raise CorruptFile("Word FIB story lengths are impossible for this stream")
    lid_fe = u16(word, FIB_BASE + 2 + 2 * 13) if csw >= 14 else 0
    return Fib(nfib, lid, lid_fe, "1Table" if flags & 0x0200 else "0Table", ccp, fclcb)


def blob_at(stream: bytes, fc: int, lcb: int, what: str) -> bytes:
    """``lcb`` bytes at ``fc`` of ``stream``; raises CorruptFile when they are not all there."""
    if fc < 0 or lcb < 0 or fc + lcb > len(stream):
        raise CorruptFile(f"{what} lies outside its stream ({fc}+{lcb} > {len(stream)})")
    return stream[fc:fc + lcb]


def plc(blob: bytes, cb_data: int, what: str) -> tuple[list[int], list[bytes]]:
    """Split a PLC into its n+1 positions and n data items of ``cb_data`` bytes."""
    n, rest = divmod(len(blob) - 4, 4 + cb_data)
    if n < 0 or rest:
        raise CorruptFile(f"{what} has an impossible size ({len(blob)} bytes)")
    cps = list(struct.unpack_from(f"<{n + 1}i", blob))
    base = 4 * (n + 1)
    return cps, [blob[base + i * cb_data:base + (i + 1) * cb_data] for i in range(n)]


def sprms(grpprl: bytes) -> Iterator[tuple[int, bytes]]:
    """(sprm, operand) pairs of a grpprl; stops quietly at a truncated one."""
    pos = 0
    while pos + 2 <= len(grpprl):
        sprm = u16(grpprl, pos)
        pos += 2
        size = _OPERAND.get(sprm >> 13, 0)
        if sprm in (0xD608, 0xD606):  # sprmTDefTable: a 2-byte cb, then cb - 1 bytes
            size = u16(grpprl, pos) + 1
        elif sprm == 0xC615 and pos < len(grpprl) and grpprl[pos] == 255:  # sprmPChgTabs, long form
            dels = grpprl[pos + 1] if pos + 1 < len(grpprl) else 0
            adds_at = pos + 2 + 4 * dels
            size = 2 + 4 * dels + 1 + 3 * (grpprl[adds_at] if adds_at < len(grpprl) else 0)
        elif size == 0:
            size = 1 + grpprl[pos] if pos < len(grpprl) else 1
        if pos + size > len(grpprl):
            return
        yield sprm, grpprl[pos:pos + size]
        pos += size


_OPERAND = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}


@dataclass(frozen=True, slots=True)
class Runs:
    """Property runs of an FKP table: sorted start FCs, end FCs and the grpprl of each run."""

    starts: list[int]
    ends: list[int]
    grpprls: list[bytes]

    def at(self, fc: int | None) -> bytes:
        """The grpprl in force at byte ``fc``; empty when none is recorded there."""
        if fc is None:
            return b""
        i = bisect.bisect_right(self.starts, fc) - 1
        return self.grpprls[i] if i >= 0 and fc < self.ends[i] else b""


def fkp_runs(word: bytes, table: bytes, fc: int, lcb: int, papx: bool) -> Runs:
    """Read PlcBtePapx (``papx``) or PlcBteChpx and every FKP page it names."""
    runs: list[tuple[int, int, bytes]] = []
    if lcb:
        _fcs, pns = plc(blob_at(table, fc, lcb, "Word FKP index"), 4, "Word FKP index")
        for pn in pns:
            page = blob_at(word, (struct.unpack("<I", pn)[0] & 0x3FFFFF) * 512, 512, "Word FKP page")
            runs.extend(_fkp(page, papx))
    runs.sort(key=lambda r: r[0])
    return Runs([r[0] for r in runs], [r[1] for r in runs], [r[2] for r in runs])


def _fkp(page: bytes, papx: bool) -> Iterator[tuple[int, int, bytes]]:
    crun = page[511]
    step = 13 if papx else 1
    if 4 * (crun + 1) + step * crun > 511:
        raise CorruptFile("Word FKP page has an impossible run count")
    fcs = struct.unpack_from(f"<{crun + 1}I", page)
    for i in range(crun):
        offset = 2 * page[4 * (crun + 1) + step * i]
        grpprl = b""
        if offset and papx:
            cb = page[offset]
            size, at = (2 * cb - 1, offset + 1) if cb else (2 * page[offset + 1], offset + 2)
            grpprl = page[at + 2:at + size]  # skips the istd (style index)
        elif offset:
            grpprl = page[offset + 1:offset + 1 + page[offset]]
        yield fcs[i], fcs[i + 1], grpprl


def xst_list(blob: bytes) -> list[str]:
    """Consecutive Xst strings (a 2-byte count, then UTF-16 characters): comment authors."""
    out, pos = [], 0
    while pos + 2 <= len(blob):
        n = u16(blob, pos)
        out.append(blob[pos + 2:pos + 2 + 2 * n].decode("utf-16-le", "replace"))
        pos += 2 + 2 * n
    return out


def font_names(blob: bytes) -> list[str]:
    """Font names of SttbfFfn (an STTB of FFN records; the name starts 40 bytes into each)."""
    names: list[str] = []
    if len(blob) < 4:
        return names
    count, pos = u16(blob, 0), 4
    for _ in range(count):
        if pos >= len(blob):
            break
        size = blob[pos]
        name = blob[pos + 40:pos + 1 + size].decode("utf-16-le", "replace")
        names.append(name.split("\x00", 1)[0])
        pos += 1 + size
    return names


def art_texts(blob: bytes) -> Iterator[str]:
    """WordArt text (OfficeArt FOPT property gtextUNICODE) of every shape in OfficeArtContent."""
    pos = 0
    while pos + 8 <= len(blob):
        ver_inst, kind, size = struct.unpack_from("<HHI", blob, pos)
        if kind < 0xF000:  # a dgglbl byte between drawings, not a record header
            pos += 1
            continue
        if ver_inst & 0xF == 0xF:  # a container: read its children
            pos += 8
            continue
        if kind in (0xF00B, 0xF121, 0xF122):
            yield from _gtext(blob[pos + 8:pos + 8 + size], ver_inst >> 4)
        pos += 8 + size


def _gtext(fopt: bytes, count: int) -> Iterator[str]:
    complex_at = 6 * count
    for i in range(count):
        if 6 * i + 6 > len(fopt):
            return
        opid, op = struct.unpack_from("<HI", fopt, 6 * i)
        if opid & 0x8000:
            if opid & 0x3FFF == 0x00C0:
                text = fopt[complex_at:complex_at + op].decode("utf-16-le", "replace")
                yield text.split("\x00", 1)[0]
            complex_at += op
