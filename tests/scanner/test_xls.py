"""The XLS extractor: exact locations in LibreOffice-made workbooks, limits, encrypted and broken files.

The .xls fixtures are committed (tests/data/legacy/xls_ppt, README.md says how each was made);
broken variants are derived from them here, in code.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import struct
from pathlib import Path

import openpyxl
import pytest

from markings.detect import detect, strongest
from markings.rule import load_rules
from scanner.errors import CorruptFile, DocscanError, EncryptedFile
from scanner.extractors import xls
from scanner.options import ScanOptions
from scanner.records import Level, Location, TextBlock
from scanner.sniff import probe

DATA = Path(__file__).resolve().parents[1] / "data" / "legacy" / "xls_ppt"
S1, HIDDEN = "表一", "隐藏表"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def blocks(data: bytes, **options: int) -> list[TextBlock]:
    return list(xls.extract(io.BytesIO(data), ScanOptions(**options)))


def pairs(data: bytes, **options: int) -> list[tuple[str, Location]]:
    return [(b.text, b.location) for b in blocks(data, **options)]


def cell(sheet: str, ref: str) -> Location:
    return Location(part="cell", sheet=sheet, cell=ref)


def sniffs(data: bytes, name: str = "file.bin") -> bool:
    return xls.sniff(probe(io.BytesIO(data), len(data), name))


# --- sniffing -------------------------------------------------------------------------------


def test_sniff_decides_from_content_not_extension() -> None:
    assert sniffs(fixture("marked.xls"), "report.txt")
    assert sniffs(fixture("encrypted.xls"), "x.doc")


def test_sniff_rejects_other_ole_files_xlsx_and_text() -> None:
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    assert not sniffs(fixture("marked.ppt"), "book.xls")
    assert not sniffs(buf.getvalue(), "book.xls")
    assert not sniffs("秘密★1年".encode(), "book.xls")


# --- planted marks and the whole block sequence ---------------------------------------------


def test_marked_workbook_blocks_in_order() -> None:
    assert pairs(fixture("marked.xls")) == [
        ("预算表标题", Location(part="properties", name="title")),
        ("测试作者", Location(part="properties", name="creator")),
        ("3.1", Location(part="properties", name="AppVersion")),
        ("内部", Location(part="properties", name="密级")),
        (S1, Location(part="sheetname", sheet=S1)),
        ("秘密★6个月", Location(part="header", sheet=S1, name="odd")),
        ("第页", Location(part="footer", sheet=S1, name="odd")),
        ("秘密★1年", cell(S1, "A1")),
        ("关于年度预算的说明", cell(S1, "B2")),
        ("1234567890", cell(S1, "C3")),  # an identifier-like number; C4 (42.5) is not text
        ("批注：请核对", Location(part="comment", sheet=S1, cell="B2")),
        (HIDDEN, Location(part="sheetname", sheet=HIDDEN)),
        ("隐藏工作表中的文字", cell(HIDDEN, "A2")),
    ]


def test_mark_in_a1_is_the_files_marking() -> None:
    findings = detect(blocks(fixture("marked.xls")), load_rules())
    marking = strongest(findings)
    assert marking is not None and marking.level is Level.MIMI
    marks = {(f.text, f.location) for f in findings if f.kind.value == "marking"}
    assert ("秘密★1年", cell(S1, "A1")) in marks
    assert ("秘密★6个月", Location(part="header", sheet=S1, name="odd")) in marks


def test_clean_workbook_has_no_marking() -> None:
    found = blocks(fixture("clean.xls"))
    assert [(b.text, b.location) for b in found if b.location.part == "cell"] == [
        ("会议室预订表", cell("Sheet1", "A1")), ("周一", cell("Sheet1", "A2"))]
    assert strongest(detect(found, load_rules())) is None


def test_extraction_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("marked.xls", "clean.xls", "wps_like.et"):
        blocks(fixture(name))
    assert capsys.readouterr().out == ""  # xlrd logs to stdout unless told otherwise; stdout is the report


# --- limits ---------------------------------------------------------------------------------


def test_max_cells_stops_loading_cells_but_keeps_names_and_headers() -> None:
    found = pairs(fixture("marked.xls"), max_cells=2)
    assert [t for t, loc in found if loc.part == "cell"] == ["秘密★1年", "关于年度预算的说明"]
    assert (HIDDEN, Location(part="sheetname", sheet=HIDDEN)) in found
    assert ("秘密★6个月", Location(part="header", sheet=S1, name="odd")) in found


def test_max_text_chars_cuts_the_text() -> None:
    found = blocks(fixture("marked.xls"), max_text_chars=7)
    assert [b.text for b in found] == ["预算表标题", "测试"]


# --- encrypted and broken files -------------------------------------------------------------


def test_encrypted_workbook_raises_after_its_properties() -> None:
    seen: list[TextBlock] = []
    with pytest.raises(EncryptedFile, match="FILEPASS"):
        for block in xls.extract(io.BytesIO(fixture("encrypted.xls")), ScanOptions()):
            seen.append(block)
    assert [b.location.part for b in seen] == ["properties", "properties"]  # creator, AppVersion


def test_truncated_file_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        blocks(fixture("marked.xls")[:3000])


def test_garbage_workbook_stream_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "garbage.xls"
    shutil.copyfile(DATA / "clean.xls", path)
    _overwrite_stream(path, "Workbook", lambda old: b"\x07" * len(old))
    with pytest.raises(CorruptFile, match="not a readable Excel workbook"):
        blocks(path.read_bytes())


def test_broken_sheet_substream_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "broken-sheet.xls"
    shutil.copyfile(DATA / "clean.xls", path)

    def cut_sheet(old: bytes) -> bytes:  # point the BOUNDSHEET past the end of the stream
        at = old.index(struct.pack("<H", xls.BOUNDSHEET))
        return old[:at + 4] + struct.pack("<I", len(old) + 100) + old[at + 8:]

    _overwrite_stream(path, "Workbook", cut_sheet)
    with pytest.raises(CorruptFile):
        blocks(path.read_bytes())


def test_not_an_ole_file_is_corrupt() -> None:
    with pytest.raises(CorruptFile, match="OLE2"):
        blocks(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


# --- record and property-set details --------------------------------------------------------


def test_even_and_first_page_headers_of_a_headerfooter_record() -> None:
    def xl_string(text: str) -> bytes:
        return struct.pack("<HB", len(text), 1) + text.encode("utf-16-le")

    rec = (struct.pack("<HH8x", xls.HEADER_FOOTER, 0) + bytes(16) + struct.pack("<H", 0)
           + struct.pack("<4H", 7, 0, 0, 4) + xl_string("&L机密★5年") + xl_string("&C内部"))
    assert xls._even_first(rec) == [("header", "even", "&L机密★5年"), ("footer", "first", "&C内部")]


def test_custom_properties_in_utf16_code_page() -> None:
    name = "密级".encode("utf-16-le") + b"\x00\x00"
    value = "机密".encode("utf-16-le") + b"\x00\x00"
    dictionary = struct.pack("<III", 1, 2, 3) + name  # one entry: id 2, 3 characters
    values = [(0, dictionary), (1, struct.pack("<Hxxh2x", 2, 1200)),
              (2, struct.pack("<II", xls.VT_LPWSTR, 3) + value)]
    table, body = b"", b""
    for pid, blob in values:
        table += struct.pack("<II", pid, 8 + 8 * len(values) + len(body))
        body += blob + b"\x00" * (-len(blob) % 4)
    section = struct.pack("<II", 8 + len(table) + len(body), len(values)) + table + body
    header = b"\xfe\xff\x00\x00" + bytes(20) + struct.pack("<I", 1) + xls.FMTID_USER + struct.pack("<I", 48)
    assert xls.property_strings(header + section) == [("密级", "机密")]
    assert xls.property_strings(header[:30]) == []  # broken: nothing, no exception


def _overwrite_stream(path: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    """Replace one stream of an OLE2 file in place with bytes of the same length."""
    import olefile

    ole = olefile.OleFileIO(str(path), write_mode=True)
    try:
        old = ole.openstream(name).read()
        ole.write_stream(name, change(old))
    finally:
        ole.close()


def test_fixture_files_are_small() -> None:
    for entry in os.scandir(DATA):
        assert entry.stat().st_size < 60 * 1024, entry.name


def test_random_damage_gives_only_the_projects_errors() -> None:
    """Bytes flipped past the OLE2 header: every outcome is blocks or one of scanner.errors."""
    data = fixture("marked.xls")
    rnd = random.Random(11)
    for _ in range(150):
        damaged = bytearray(data)
        for _ in range(rnd.randint(1, 20)):
            damaged[rnd.randrange(512, len(damaged))] = rnd.randrange(256)
        try:
            blocks(bytes(damaged))
        except DocscanError:
            pass
