"""The hostile corpus, built in code: damaged and bit-flipped documents, XML and decompression bombs,
huge files, empty and encrypted files of every format, special files, symbolic-link loops,
unreadable files and folders, hostile file names and very deep trees.

``build(root, scale, ...)`` writes it under ``root`` and returns one ``Case`` per entry the scan
must report: the outcome the record must have (status and a fragment of its reason). The tests
build it at ``Scale.small()``; benchmarks/hostile_load.py at ``Scale.full()``.
"""

from __future__ import annotations

import os
import random
import zipfile
from pathlib import Path

import olefile

from tests.hostile import seeds as sd
from tests.hostile import xmlbombs as xb
from tests.hostile.cases import ANY, ERROR, MB, OK, PATH_MAX, SKIPPED, Case, Corpus, Scale
from tests.hostile.fs_cases import NAMES, deep_trees, hostile_names, locked, special_files, unlock
from tests.scanner import archive_builders as ab
from tests.scanner import ofd_builders as ofdb
from tests.scanner.ole_builders import cfb
from tests.scanner.xlsx_builders import big_xlsx, set_encrypted_flag

__all__ = ["ANY", "NAMES", "PATH_MAX", "Case", "Scale", "build", "unlock"]


def build(root: Path, scale: Scale, secret_url: str, http_url: str, unreadable: bool = True) -> list[Case]:
    """Write the corpus under ``root``; ``secret_url`` (file://) and ``http_url`` are what the external
    entities point at. ``unreadable`` adds a mode-000 file and folder (readable anyway by root
    unless the scan runs without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH)."""
    corpus = Corpus(root)
    for add in (damaged, xml_attacks, bombs, empty_and_encrypted, special_files, hostile_names):
        add(corpus, scale, secret_url, http_url)
    deep_trees(corpus, scale)
    if unreadable:
        locked(corpus)
    return corpus.cases


def damaged(c: Corpus, scale: Scale, *_: str) -> None:
    s = sd.seeds()
    c.file("damaged/truncated.pdf", s["a.pdf"][:100], "PDF cut after 100 bytes", status=ERROR,
           reason="unreadable PDF")
    c.file("damaged/truncated-half.pdf", s["a.pdf"][: len(s["a.pdf"]) // 2], "PDF cut in half")
    c.file("damaged/truncated.docx", s["a.docx"][: len(s["a.docx"]) // 2], "DOCX cut in half",
           status=ERROR, reason="damaged zip container")
    rng = random.Random(20261202)
    for name in ("a.pdf", "a.docx", "a.xlsx", "a.pptx", "a.ofd", "a.doc", "a.xls", "a.ppt"):
        for i in range(scale.flips):
            c.file(f"damaged/flip{i}-{name}", flipped(s[name], rng, 16),
                   f"{name[2:].upper()} with 16 random bytes changed")
    c.file("damaged/images.docx", ab.zip_of([("a.png", sd.png_seed()), ("b.png", sd.png_seed())]),
           "a zip of pictures named .docx", status=OK, members=2)
    c.file("damaged/random.docx", random.Random(1).randbytes(4096), "4 KB of random bytes named .docx",
           status=frozenset({"unsupported"}), reason="no text extractor")
    c.file("damaged/zip-head.xlsx", b"PK\x03\x04" + random.Random(2).randbytes(2000),
           "zip signature then garbage", status=ERROR, reason="damaged zip container")
    c.file("damaged/ole-head.doc", olefile.MAGIC + random.Random(3).randbytes(4000),
           "OLE2 signature then garbage", status=ERROR, reason="damaged OLE2")


def flipped(data: bytes, rng: random.Random, count: int) -> bytes:
    """``data`` with ``count`` random bytes (after the first 8, so the signature still sniffs) replaced."""
    out = bytearray(data)
    for _ in range(count):
        out[rng.randrange(8, len(out))] = rng.randrange(256)
    return bytes(out)


def xml_attacks(c: Corpus, scale: Scale, secret_url: str, http_url: str) -> None:
    s = sd.seeds()
    for url, kind in ((secret_url, "file"), (http_url, "http")):
        dtd = xb.external_dtd
        c.file(f"xml/xxe-{kind}.docx", xb.inject(s["a.docx"], {"word/document.xml": xb.docx_document(
            dtd("w:document", url), "&x;")}), f"DOCX with an external entity ({kind}://)")
        c.file(f"xml/xxe-{kind}.xlsx", xb.inject(s["a.xlsx"], {"xl/sharedStrings.xml": xb.xlsx_strings(
            dtd("sst", url), "&x;")}), f"XLSX shared strings with an external entity ({kind}://)",
            status=ERROR, reason="declares a DTD")
        c.file(f"xml/xxe-{kind}.pptx", xb.inject(s["a.pptx"], {"ppt/slides/slide1.xml": xb.pptx_slide(
            dtd("p:sld", url), "&x;")}), f"PPTX slide with an external entity ({kind}://)")
        c.file(f"xml/xxe-{kind}.ofd", xb.inject(s["a.ofd"], {"Doc_0/Pages/Page_0/Content.xml": xb.ofd_page(
            dtd("ofd:Page", url), "&x;")}), f"OFD page with an external entity ({kind}://)")
    laughs = "&l9;"
    c.file("xml/laughs.docx", xb.inject(s["a.docx"], {"word/document.xml": xb.docx_document(
        xb.laughs_dtd("w:document"), laughs)}), "DOCX body: billion laughs")
    c.file("xml/laughs-sheet.xlsx", xb.inject(s["a.xlsx"], {"xl/worksheets/sheet1.xml": xb.xlsx_sheet(
        xb.laughs_dtd("worksheet"), laughs)}), "XLSX sheet: billion laughs", status=ERROR,
        reason="declares a DTD")
    c.file("xml/laughs.pptx", xb.inject(s["a.pptx"], {"ppt/slides/slide1.xml": xb.pptx_slide(
        xb.laughs_dtd("p:sld"), laughs)}), "PPTX slide: billion laughs")
    c.file("xml/laughs.ofd", xb.inject(s["a.ofd"], {"Doc_0/Pages/Page_0/Content.xml": xb.ofd_page(
        xb.laughs_dtd("ofd:Page"), laughs)}), "OFD page: billion laughs")
    c.file("xml/deep.docx", xb.inject(s["a.docx"], {"word/document.xml": xb.deep_document(100_000)}),
           "DOCX body nested 100,000 elements deep", status=ERROR)
    deep = "<div>" * 3000 + sd.MARK + "</div>" * 3000
    c.file("xml/deep.html", f"<html><body><p>{sd.BODY}</p>{deep}</body></html>".encode(),
           "HTML nested 3,000 elements deep", status=ERROR, reason="HTML cut short")


def bombs(c: Corpus, scale: Scale, *_: str) -> None:
    c.file("bombs/ratio.zip", ab.raw_zip([ab.deflated("a.txt", "正文".encode()),
                                          ab.deflated("zeros.bin", bytes(scale.bomb_bytes))]),
           f"zip member of {scale.bomb_bytes // MB} MB of zeros (ratio about 1000:1)", status=OK,
           member_status={"a.txt": "ok", "zeros.bin": "skipped"})
    liar = ab.deflated("huge.bin", b"\0" * 4096)
    liar.size = 5 * 1024 * MB
    c.file("bombs/declared-huge.zip", ab.raw_zip([liar]), "zip member declaring 5 GB uncompressed",
           status=OK, member_status={"huge.bin": "skipped"})
    _many_members(c, scale.members)
    inner = ab.zip_of([("秘密.txt", f"{sd.MARK}\n".encode())])
    for level in range(20):
        inner = ab.zip_of([(f"level{level}.zip", inner)])
    c.file("bombs/nested-20.zip", inner, "20 zips nested in each other", status=OK)
    leaf = ab.zip_of([(f"zeros{i}.bin", bytes(4 * MB)) for i in range(2)])
    for level in range(4):
        leaf = ab.zip_of([(f"l{level}-{i}.zip", leaf) for i in range(2)])
    c.file("bombs/42-shape.zip", leaf, "42.zip shape: 2 copies per level, 5 levels", status=OK)
    big_xlsx(os.fsdecode(c._path("bombs/rows.xlsx")), scale.rows, mark_row=scale.rows - 1)
    c.cases.append(Case(b"bombs/rows.xlsx", f"spreadsheet of {scale.rows:,} rows", OK))
    with open(c._path("bombs/one-line.txt"), "wb") as fh:
        line = ("普通文字内容，没有换行。" * 1000).encode()
        for _ in range(scale.line_bytes // len(line)):
            fh.write(line)
    c.cases.append(Case(b"bombs/one-line.txt", f"{scale.line_bytes // MB} MB text on one line", OK))


def _many_members(c: Corpus, count: int, limit: int = 100_000) -> None:
    """A zip of ``count`` one-line members (stored; Zip64 past 65,535). Past the scanner's member limit
    the first ``limit`` are read and the zip itself is `skipped`, naming the limit."""
    with zipfile.ZipFile(os.fsdecode(c._path("bombs/many-members.zip")), "w") as zf:
        for i in range(count):
            zf.writestr(f"m{i:06d}.txt", str(i))
    what = f"zip of {count:,} members"
    if count > limit:
        c.cases.append(Case(b"bombs/many-members.zip", what, SKIPPED, f"more than {limit} members", members=limit))
    else:
        c.cases.append(Case(b"bombs/many-members.zip", what, OK, members=count))


def empty_and_encrypted(c: Corpus, *_: object) -> None:
    empty = frozenset({"unsupported"})
    for name in ("empty.docx", "empty.pdf", "empty.txt", "empty"):
        c.file(f"empty/{name}", b"", "0-byte file", status=empty, reason="empty file (0 bytes)")
    for name, data, what in encrypted_files():
        c.file(f"encrypted/{name}", data, what, status=frozenset({"encrypted"}))
    zipped = ab.raw_zip([ab.zipcrypto("机密.txt", f"{sd.MARK}\n".encode(), b"pw"), ab.stored("公开.txt", b"ok")])
    c.file("encrypted/locked-member.zip", zipped, "zip with a password-protected member", status=OK,
           member_status={"机密.txt": "encrypted", "公开.txt": "ok"})


def encrypted_files() -> list[tuple[str, bytes, str]]:
    """(name, bytes, description) of one password-protected file per format that can be one."""
    s = sd.seeds()
    ole_package = cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(60), "EncryptedPackage": bytes(4096)})
    ofd_enc = ('<ofd:Encryptions xmlns:ofd="http://www.ofdspec.org/2016"><ofd:EncryptInfo ID="1">'
               "<ofd:DecryptSeedLoc>Enc/seed.xml</ofd:DecryptSeedLoc></ofd:EncryptInfo></ofd:Encryptions>")
    smime = (b"From: a@example.cn\r\nSubject: secret\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime;"
             b' smime-type=enveloped-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
             b"MIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\r\n")
    return [
        ("locked.pdf", sd.pdf_seed(encrypt="secret"), "PDF with a user password"),
        ("locked.docx", ole_package, "Office-encrypted DOCX (OLE2 EncryptedPackage)"),
        ("locked.pptx", ole_package, "Office-encrypted PPTX (OLE2 EncryptedPackage)"),
        ("locked.xlsx", set_encrypted_flag(s["a.xlsx"]), "XLSX whose zip members are encrypted"),
        ("locked.ofd", ofdb.build_ofd([[ofdb.Text("正文", 20, 100)]], parts={"Encryptions.xml": ofd_enc.encode()}),
         "OFD with Encryptions.xml"),
        ("locked.doc", sd.legacy("encrypted.doc"), "Word 97 with a password"),
        ("locked.xls", sd.legacy("encrypted.xls"), "Excel 97 with a password (FILEPASS)"),
        ("locked.ppt", encrypted_ppt(), "PowerPoint 97 with an EncryptedSummary stream"),
        ("locked.7z", ab.sevenz([("a.txt", b"x")], password="pw", header_encryption=True), "7z, encrypted headers"),
        ("locked.rar", ab.rar5([], header_encrypted=True), "RAR 5, encrypted headers"),
        ("locked.eml", smime, "S/MIME encrypted mail"),
        ("locked.msg", sd.msg_seed("IPM.Note.SMIME"), "S/MIME encrypted Outlook message"),
    ]


def encrypted_ppt() -> bytes:
    ole = olefile.OleFileIO(sd.legacy("marked.ppt"))
    streams = {"/".join(p): ole.openstream(p).read() for p in ole.listdir(streams=True, storages=False)}
    ole.close()
    return cfb({**streams, "EncryptedSummary": bytes(512)})
