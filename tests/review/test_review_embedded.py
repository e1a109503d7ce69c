"""Objects embedded in a DOCX (word/embeddings/, altChunk parts) come out of the extractor as Members:
an OLE package object gives the file it wraps; limits, equations and malformed objects."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from scanner.errors import TooLarge
from scanner.extractors import docx
from scanner.extractors.wordml import ole10native, unwrap_object
from scanner.options import ScanOptions
from scanner.records import Member, Status, TextBlock
from tests.review import review_builders as rb
from tests.scanner import docx_builders as db
from tests.scanner.ole_builders import cfb

PDF = rb.marked_pdf()


def members(data: bytes, **opts: int) -> list[Member]:
    return [m for m in docx.extract(io.BytesIO(data), ScanOptions(**opts)) if isinstance(m, Member)]


def test_packaged_file_and_embedded_package_come_after_the_text():
    items = list(docx.extract(io.BytesIO(rb.embedding_docx()), ScanOptions()))
    texts = [i for i in items if isinstance(i, TextBlock)]
    found = [i for i in items if isinstance(i, Member)]
    assert items[-len(found):] == found and texts[0].text == "关于印发工作方案的通知"
    assert [(m.name, m.data[:4]) for m in found] == [
        ("word/embeddings/oleObject1.bin/附件1.pdf", b"%PDF"),
        ("word/embeddings/Microsoft_Word_Document.docx", b"PK\x03\x04")]
    assert found[0].data.endswith(b"%%EOF\n") and b"/Type /Page" in found[0].data


def test_ole10native_reads_the_gbk_source_name_and_the_exact_bytes():
    stream = cfb_stream(rb.ole_package("（秘密）附件.pdf", b"%PDF-1.4 body"))
    assert ole10native(stream) == ("（秘密）附件.pdf", b"%PDF-1.4 body")


def cfb_stream(ole: bytes) -> bytes:
    import olefile

    with olefile.OleFileIO(ole) as f:
        return f.openstream("\x01Ole10Native").read()


@pytest.mark.parametrize("stream", [b"", b"\x00" * 5, b"\x10\x00\x00\x00\x02\x00label-without-end",
                                    struct.pack("<I", 40) + b"\x02\x00a\x00b\x00" + b"\x00\x00\x03\x00"
                                    + struct.pack("<I", 2) + b"t\x00" + struct.pack("<I", 999) + b"short"])
def test_a_malformed_package_stream_is_none(stream):
    assert ole10native(stream) is None


def test_objects_that_wrap_nothing_readable_are_passed_on_as_they_are():
    raw = cfb({"\x01Ole10Native": b"\x00\x01broken"})
    assert unwrap_object("word/embeddings/oleObject2.bin", raw) == Member("word/embeddings/oleObject2.bin", raw)
    acrobat = cfb({"CONTENTS": PDF})
    assert unwrap_object("word/embeddings/oleObject3.bin", acrobat) == Member(
        "word/embeddings/oleObject3.bin/CONTENTS.pdf", PDF)
    assert unwrap_object("word/embeddings/oleObject4.bin", cfb({"Equation Native": b"\x1c\x00"})) is None
    not_ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert unwrap_object("word/embeddings/x.bin", not_ole) == Member("word/embeddings/x.bin", not_ole)


def test_an_alt_chunk_part_is_a_member():
    doc = db.new_document()
    doc.add_paragraph("汇编说明")
    rid = db.add_part(doc, "/word/afchunk1.mht", "message/rfc822", "MIME-Version: 1.0\r\n\r\n内部资料\r\n",
                      "http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk")
    db.add_raw_paragraph(doc, "")
    doc.element.body.insert(len(doc.element.body) - 1, db.xml_el(f'<w:altChunk r:id="{rid}"></w:altChunk>'))
    assert [m.name for m in members(db.to_bytes(doc))] == ["word/afchunk1.mht"]


def test_objects_over_the_size_limits_are_skipped_members():
    data = rb.embedding_docx()
    found = members(data, max_member_size=1000)
    assert [(m.status, m.data) for m in found] == [(Status.SKIPPED, None), (Status.SKIPPED, None)]
    assert found[0].size is not None and found[0].size > 1000
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        ole = zf.getinfo("word/embeddings/oleObject1.bin").file_size
    first, second = members(data, max_total_size=ole + 100)
    assert first.data is not None and first.data.startswith(b"%PDF") and second.status is Status.SKIPPED


def test_too_many_objects_end_the_document_with_too_large():
    data = rb.with_parts(rb.plain_docx("正文"), {f"word/embeddings/o{i}.bin": b"x" for i in range(5)})
    items = docx.extract(io.BytesIO(data), ScanOptions(max_members=3))
    with pytest.raises(TooLarge):
        list(items)
