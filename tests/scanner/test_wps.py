"""The Kingsoft WPS dispatcher: the sniff rule on WPS-like fixtures and on probes built here, and
the hand-off to the doc, xls and ppt extractors."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from scanner.errors import UnsupportedContent
from scanner.extractors import ppt, wps, xls
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import OLE_MAGIC, Probe, probe

DATA = Path(__file__).resolve().parents[1] / "data" / "legacy" / "xls_ppt"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def sniffs(data: bytes, name: str = "file.bin") -> bool:
    return wps.sniff(probe(io.BytesIO(data), len(data), name))


def blocks(module: object, data: bytes) -> list[TextBlock]:
    return list(module.extract(io.BytesIO(data), ScanOptions()))  # type: ignore[attr-defined]


def ole_probe(head_tail: bytes, names: set[str]) -> Probe:
    head = OLE_MAGIC + bytes(504) + head_tail
    return Probe(head, len(head), "x", ole_names=frozenset(names))


# --- sniffing -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wps_like.et", "wps_like.dps", "wps_like.wps"])
def test_wps_like_files_sniff_as_wps_whatever_their_name(name: str) -> None:
    assert sniffs(fixture(name), "renamed.doc")


@pytest.mark.parametrize("name", ["marked.xls", "clean.xls", "marked.ppt", "clean.ppt", "encrypted.xls"])
def test_libreoffice_files_are_not_wps(name: str) -> None:
    assert not sniffs(fixture(name))


def lpstr(text: str, wide: bool = False) -> bytes:
    """A typed VT_LPSTR / VT_LPWSTR property value as a property set stores it."""
    raw = (text + "\x00").encode("utf-16-le" if wide else "utf-8")
    raw += b"\x00" * (-len(raw) % 4)
    return struct.pack("<II", 0x1F if wide else 0x1E, len(text) + 1) + raw


def summary(props: dict[int, bytes]) -> bytes:
    """A SummaryInformation property-set stream (code page UTF-8) holding ``props``."""
    props = {1: struct.pack("<IH2x", 2, 65001), **props}
    table, values = b"", b""
    for pid, blob in props.items():
        table += struct.pack("<II", pid, 8 + 8 * len(props) + len(values))
        values += blob
    section = struct.pack("<II", 8 + len(table) + len(values), len(props)) + table + values
    return b"\xfe\xff\x00\x00" + bytes(20) + struct.pack("<I", 1) + xls.FMTID_SUMMARY + struct.pack("<I", 48) + section


APP_NAME = summary({0x12: lpstr("WPS Office_11.1.0.11664_F1E327BC-269C-435d-A152-05C5408002CA")})
APP_NAME_WIDE = summary({0x12: lpstr("WPS Office", wide=True)})
KINGSOFT = summary({2: lpstr("标题"), 0x12: lpstr("Kingsoft Office")})
KSO_ANSI = struct.pack("<II", 2, 19) + b"KSOProductBuildVer\x00"
KSO_WIDE = struct.pack("<II", 2, 19) + "KSOProductBuildVer\x00".encode("utf-16-le")


@pytest.mark.parametrize("signature", [APP_NAME, APP_NAME_WIDE, KINGSOFT, KSO_ANSI, KSO_WIDE])
@pytest.mark.parametrize("stream", ["WordDocument", "Workbook", "Book", "PowerPoint Document"])
def test_property_set_signatures_in_the_head(signature: bytes, stream: str) -> None:
    assert wps.sniff(ole_probe(b"\x00" * 40 + signature, {stream, "\x05SummaryInformation"}))


def test_application_name_is_read_from_the_property_set() -> None:
    assert wps.application_name(APP_NAME).startswith("WPS Office_11.1.0.11664")
    assert wps.application_name(APP_NAME[:60]) == ""  # cut short: nothing, no exception


@pytest.mark.parametrize("names", [{"WordDocument", "1Table", "WpsCustomData"}, {"Workbook", "ETExtData"}])
def test_kingsoft_only_streams(names: set[str]) -> None:
    assert wps.sniff(ole_probe(b"", names))


@pytest.mark.parametrize("tail, names", [
    (APP_NAME, {"CONTENTS", "SPELLING"}),  # Microsoft Works .wps: no Word stream
    (b"", {"WordDocument", "1Table"}),  # a plain Word file
    ("本文介绍WPS Office与Kingsoft的KSOProductBuildVer属性".encode("utf-16-le"), {"WordDocument"}),  # text
    (summary({0x12: lpstr("Microsoft Excel")}), {"Workbook"}),
    (summary({2: lpstr("WPS Office使用说明"), 0x12: lpstr("Microsoft Office Word")}), {"WordDocument"}),
    (lpstr("WPS Office"), {"WordDocument"}),  # a bare typed value, in no property set
])
def test_not_kingsoft(tail: bytes, names: set[str]) -> None:
    assert not wps.sniff(ole_probe(tail, names))


def test_zip_with_the_signature_is_not_wps() -> None:
    head = b"PK\x03\x04" + APP_NAME
    assert not wps.sniff(Probe(head, len(head), "a.et", zip_names=frozenset({"WordDocument"})))


# --- dispatch -------------------------------------------------------------------------------


def test_et_goes_to_the_xls_extractor() -> None:
    data = fixture("wps_like.et")
    found = blocks(wps, data)
    assert found == blocks(xls, data)
    assert TextBlock("秘密★1年", Location(part="cell", sheet="表一", cell="A1")) in found
    assert TextBlock("2052-11.1.0.12345", Location(part="properties", name="KSOProductBuildVer")) in found


def test_dps_goes_to_the_ppt_extractor() -> None:
    data = fixture("wps_like.dps")
    found = blocks(wps, data)
    assert found == blocks(ppt, data)
    assert TextBlock("机密★10年", Location(part="body", slide=1, paragraph=1), "top") in found


def test_wps_writer_file_goes_to_the_doc_extractor() -> None:
    from scanner.extractors import doc

    data = fixture("wps_like.wps")
    found = blocks(wps, data)
    assert found == blocks(doc, data)
    assert [b.text for b in found if b.location.part == "body"][0] == "秘密★5年"


def test_no_main_stream_is_unsupported() -> None:
    data = fixture("clean.xls")
    renamed = data.replace("Workbook".encode("utf-16-le"), "Workbooq".encode("utf-16-le"))
    assert renamed != data
    with pytest.raises(UnsupportedContent):
        blocks(wps, renamed)


def test_encrypted_wps_spreadsheet_raises_through_the_dispatcher() -> None:
    from scanner.errors import EncryptedFile

    with pytest.raises(EncryptedFile):
        blocks(wps, fixture("encrypted.xls"))
