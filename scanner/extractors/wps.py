"""Kingsoft WPS Office files (.wps writer, .et spreadsheet, .dps presentation; also the .doc, .xls
and .ppt files WPS saves): OLE2 files in the Word, Excel and PowerPoint binary formats, told apart
from Microsoft's by what Kingsoft writes into them, and read by the doc, xls and ppt extractors.

The sniff rule (the content decides, never the extension): an OLE2 file with a Word, Excel or
PowerPoint main stream and at least one Kingsoft mark:

- a stream only Kingsoft writes: ``WpsCustomData`` (WPS Writer) or ``ETExtData`` (WPS Spreadsheets);
- in the first bytes (Probe.head), a property set naming Kingsoft: the SummaryInformation
  application name (PIDSI_APPNAME, read from the property set, so a title such as "WPS使用说明"
  does not count) starting with ``WPS`` or ``Kingsoft`` (WPS writes ``WPS Office_<version>_<guid>``),
  or the custom property ``KSOProductBuildVer`` (an entry of the DocumentSummaryInformation
  user-defined dictionary, 8-bit or UTF-16), which WPS versions since about 2012 write.

Property sets are small streams in the compound file's mini stream; when it lies beyond the probed
head, only the stream names can tell, and the file is reported as doc/xls/ppt (read the same way).
A file that WPS wrote and Microsoft Office saved again keeps KSOProductBuildVer and counts as WPS.
Microsoft Works .wps files (an OLE2 "CONTENTS" stream) have no Word stream and do not match.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from types import ModuleType
from typing import BinaryIO

from scanner.errors import UnsupportedContent
from scanner.extractors import ppt, xls
from scanner.options import ScanOptions
from scanner.records import TextBlock
from scanner.sniff import Probe

FORMAT = "wps"
WORD, EXCEL, EXCEL5, POWERPOINT = "WordDocument", "Workbook", "Book", "PowerPoint Document"
MAIN_STREAMS = (WORD, EXCEL, EXCEL5, POWERPOINT)
KINGSOFT_STREAMS = frozenset({"WpsCustomData", "ETExtData"})
PIDSI_APPNAME = 0x12
_KSO_BUILD = "KSOProductBuildVer"
# A dictionary entry: a 4-byte length of 19 (18 characters and a NUL), then the name.
_KSO_ENTRY = re.compile(re.escape(b"\x13\x00\x00\x00" + _KSO_BUILD.encode("ascii") + b"\x00") + b"|"
                        + re.escape(b"\x13\x00\x00\x00" + _KSO_BUILD.encode("utf-16-le") + b"\x00\x00"))
_PROPERTY_SET = b"\xfe\xff\x00\x00"  # byte order mark and format version 0 of a property-set stream


def sniff(probe: Probe) -> bool:
    """True for OLE2 Word/Excel/PowerPoint files that Kingsoft WPS Office wrote (see module doc)."""
    if not probe.is_ole or not any(name in probe.ole_names for name in MAIN_STREAMS):
        return False
    return bool(KINGSOFT_STREAMS & probe.ole_names) or kingsoft_signature(probe.head)


def kingsoft_signature(blob: bytes) -> bool:
    """True when ``blob`` (the head of a compound file) holds a SummaryInformation property set
    whose application name is Kingsoft's, or the KSOProductBuildVer dictionary entry."""
    if _KSO_ENTRY.search(blob):
        return True
    at = blob.find(xls.FMTID_SUMMARY)
    while at >= 0:
        stream = blob[at - 28:] if at >= 28 and blob[at - 28:at - 24] == _PROPERTY_SET else b""
        if stream and application_name(stream).startswith(("WPS", "Kingsoft")):
            return True
        at = blob.find(xls.FMTID_SUMMARY, at + 1)
    return False


def application_name(stream: bytes) -> str:
    """PIDSI_APPNAME of a SummaryInformation property-set stream, '' when absent or unreadable."""
    try:
        values, _ = xls.property_section(stream, struct.unpack_from("<I", stream, 44)[0])
    except (struct.error, KeyError):
        return ""
    return values.get(PIDSI_APPNAME, "")


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield what the extractor of the file's binary format yields: the Word stream goes to doc,
    the Excel workbook to xls, the PowerPoint document to ppt. Raises what they raise, or
    UnsupportedContent when none of those streams is present."""
    target = _target(data)
    data.seek(0)
    yield from target.extract(data, options)


def _target(data: BinaryIO) -> ModuleType:
    ole = xls.open_ole(data)
    try:
        present = [name for name in MAIN_STREAMS if ole.exists(name)]
    finally:
        ole.close()
    if WORD in present:
        from scanner.extractors import doc  # on use: a broken Word reader must not break .et and .dps

        return doc
    if EXCEL in present or EXCEL5 in present:
        return xls
    if POWERPOINT in present:
        return ppt
    raise UnsupportedContent("a Kingsoft file with no Word, Excel or PowerPoint stream")
