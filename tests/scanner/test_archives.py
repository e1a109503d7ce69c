"""Archive extractors (zip, 7z, rar, tar, single compressed files): members, names, passwords, bomb limits."""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import json
import lzma
import os
import subprocess
import sys
import tarfile
import threading
import zipfile
import zlib
from types import ModuleType

import py7zr
import pytest

from scanner.errors import CorruptFile, EncryptedFile, TooLarge
from scanner.extractors import archive_limits, compressed, rar, sevenz, tar, ziparchive
from scanner.extractors.archive_limits import Budget, Metered, decode_name
from scanner.options import ScanOptions
from scanner.records import Location, Member, Status, TextBlock
from scanner.sniff import probe
from tests.scanner import archive_builders as b
from tests.scanner.archive_builders import GBK_NAME, MB, RarMember

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCX = b"PK\x03\x04 pretend docx bytes \x00\x01\x02"


def items(module: ModuleType, data: bytes, **opts: int) -> list[TextBlock | Member]:
    return list(module.extract(io.BytesIO(data), ScanOptions(**opts)))


def members(module: ModuleType, data: bytes, **opts: int) -> list[Member]:
    return [x for x in items(module, data, **opts) if isinstance(x, Member)]


def until_error(module: ModuleType, data: bytes, **opts: int) -> tuple[list[Member], BaseException]:
    """The members yielded before the extractor raised, and what it raised (as the scanner keeps them)."""
    got: list[Member] = []
    with pytest.raises(Exception) as caught:  # noqa: PT011 - each test asserts the exact type
        for x in module.extract(io.BytesIO(data), ScanOptions(**opts)):
            if isinstance(x, Member):
                got.append(x)
    return got, caught.value


def summary(found: list[Member]) -> list[tuple[str, bytes | None, Status | None]]:
    return [(m.name, m.data, m.status) for m in found]


def sniffs(module: ModuleType, data: bytes, name: str = "file") -> bool:
    return module.sniff(probe(io.BytesIO(data), len(data), name))


# --- zip: names, order, bytes ---------------------------------------------------------------------

def test_zip_members_in_order_with_their_bytes_and_no_directories():
    data = b.zip_of([("正文/通知.txt", "关于保密检查的通知".encode()), ("空目录/", b""), ("inner.docx", DOCX),
                     ("z-last.bin", bytes(range(256)) * 10)])
    assert summary(members(ziparchive, data)) == [
        ("正文/通知.txt", "关于保密检查的通知".encode(), None),
        ("inner.docx", DOCX, None),
        ("z-last.bin", bytes(range(256)) * 10, None),
    ]


def test_zip_gbk_name_without_utf8_flag_is_decoded_as_gbk():
    data = b.raw_zip([b.deflated(GBK_NAME.encode("gbk"), DOCX), b.stored("plain.txt", b"x")])
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x800 == 0  # really no UTF-8 flag
    assert [(m.name, m.data) for m in members(ziparchive, data)] == [(GBK_NAME, DOCX), ("plain.txt", b"x")]


def test_zip_names_without_flag_utf8_first_then_cp437_and_the_unicode_path_field():
    utf8_raw = "报告.txt".encode()  # macOS/Linux tools: UTF-8 bytes, flag not set
    cp437_raw = b"r\x82sum\x80.txt"  # valid neither as UTF-8 nor as GB18030
    unicode_field = b"\x75\x70" + (5 + len("秘密.txt".encode())).to_bytes(2, "little") + b"\x01" + \
        zlib.crc32(b"mimi.txt").to_bytes(4, "little") + "秘密.txt".encode()
    data = b.raw_zip([b.stored(utf8_raw, b"1"), b.stored(cp437_raw, b"2"),
                      b.stored(b"mimi.txt", b"3", extra=unicode_field)])
    assert [m.name for m in members(ziparchive, data)] == ["报告.txt", "résumÇ.txt", "秘密.txt"]


def test_zip_names_are_relative_and_slash_separated():
    data = b.raw_zip([b.stored(b"./a\\b.txt", b"1"), b.stored(b"/abs/c.txt", b"2")])
    assert [m.name for m in members(ziparchive, data)] == ["a/b.txt", "abs/c.txt"]


def test_zip_comment_and_member_comment_are_text_blocks_before_the_member():
    data = b.raw_zip([b.stored("a.txt", b"1", comment="内部资料".encode("gbk"))],
                     comment="密级：秘密★1年\n\n仅供内部使用".encode())
    assert items(ziparchive, data) == [
        TextBlock("密级：秘密★1年", Location(part="comment", line=1)),
        TextBlock("仅供内部使用", Location(part="comment", line=3)),
        TextBlock("内部资料", Location(part="comment", line=1, name="a.txt")),
        Member("a.txt", b"1", members(ziparchive, data)[0].mtime),
    ]


def test_zip_member_mtime_from_the_extended_timestamp_field():
    stamp = 1_700_000_000
    data = b.raw_zip([b.stored("a.txt", b"1", extra=b"\x55\x54\x05\x00\x01" + stamp.to_bytes(4, "little"))])
    assert members(ziparchive, data)[0].mtime == stamp


def test_zip_nested_zip_is_one_member_holding_the_inner_archive():
    inner = b.zip_of([("deep.txt", b"deep")])
    outer = b.zip_of([("inner.zip", inner)])
    (member,) = members(ziparchive, outer)
    assert (member.name, member.data) == ("inner.zip", inner)
    assert summary(members(ziparchive, member.data)) == [("deep.txt", b"deep", None)]


def test_zip_symlink_is_a_skipped_member():
    data = b.raw_zip([b.stored("link", b"target.txt", system=3, mode=0o120777), b.stored("target.txt", b"t")])
    link, target = members(ziparchive, data)
    assert (link.status, link.reason, link.data) == (Status.SKIPPED, "symbolic link in archive, not followed", None)
    assert (target.name, target.data) == ("target.txt", b"t")


# --- zip: encryption -----------------------------------------------------------------------------

def test_zip_encrypted_member_is_encrypted_and_the_others_are_read():
    data = b.raw_zip([b.stored("open.txt", b"open"), b.zipcrypto("secret.docx", DOCX, b"pw")])
    assert zipfile.ZipFile(io.BytesIO(data)).read("secret.docx", pwd=b"pw") == DOCX  # real ZipCrypto
    open_, secret = members(ziparchive, data)
    assert (open_.name, open_.data) == ("open.txt", b"open")
    assert (secret.name, secret.data, secret.status, secret.reason, secret.size) == (
        "secret.docx", None, Status.ENCRYPTED, "password-protected member", len(DOCX))


def test_zip_with_every_member_encrypted_yields_each_as_encrypted():
    data = b.raw_zip([b.zipcrypto(f"{i}.txt", b"x" * i, b"pw") for i in range(1, 4)])
    assert summary(members(ziparchive, data)) == [(f"{i}.txt", None, Status.ENCRYPTED) for i in range(1, 4)]


# --- zip: bombs and limits -----------------------------------------------------------------------

def test_zip_member_declaring_10_gb_is_skipped_without_reading():
    liar = b.deflated("bomb.bin", b"not really ten gigabytes")
    liar.size = 10 * b.GB
    liar.data = b"\xff" * 16  # not even deflate data: reading it would be an error, not a skip
    (member,) = members(ziparchive, b.raw_zip([liar]))
    assert (member.status, member.reason, member.size) == (
        Status.SKIPPED, "member exceeds the 200 MB per-member limit", 10 * b.GB)


def test_zip_100_mb_of_zeros_is_skipped_by_its_compression_ratio():
    found = members(ziparchive, b.zeros_zip(100 * MB))
    assert [(m.name, m.data) for m in found if m.status is None] == [("before.txt", b"text"),
                                                                    ("after.txt", b"more text")]
    zeros = found[1]
    assert zeros.status is Status.SKIPPED and zeros.size == 100 * MB
    ratio = int(zeros.reason.split()[2].split(":")[0])
    assert ratio > 900 and zeros.reason == f"compression ratio {ratio}:1 exceeds the limit 200:1"


def test_zip_10000_members_with_max_members_100_yields_100_then_too_large():
    got, error = until_error(ziparchive, b.many_members_zip(10_000), max_members=100)
    assert [(m.name, m.data) for m in got] == [(f"m{i:05d}.txt", str(i).encode()) for i in range(100)]
    assert isinstance(error, TooLarge)
    assert str(error) == "archive has more than 100 members; the first 100 were scanned"


def test_zip_exactly_max_members_is_not_too_large():
    assert len(members(ziparchive, b.many_members_zip(100), max_members=100)) == 100


def test_zip_total_limit_skips_the_member_that_passes_it_and_every_later_one():
    data = b.raw_zip([b.stored(f"{i}.txt", bytes([65 + i]) * 1000) for i in range(5)]
                     + [b.stored("tiny.txt", b"t")])
    found = members(ziparchive, data, max_total_size=2500)
    assert [m.data for m in found[:2]] == [b"A" * 1000, b"B" * 1000]
    assert [(m.status, m.reason) for m in found[2:]] == [
        (Status.SKIPPED, "members exceed the 2500 bytes total uncompressed limit")] * 4


def test_zip_per_member_limit_is_named_with_its_size():
    data = b.raw_zip([b.stored("big.txt", b"x" * 3000), b.stored("small.txt", b"y" * 10)])
    big, small = members(ziparchive, data, max_member_size=2048)
    assert (big.status, big.reason) == (Status.SKIPPED, "member exceeds the 2 KB per-member limit")
    assert small.data == b"y" * 10


def test_zip_member_whose_header_understates_its_size_is_never_read_past_it():
    liar = b.deflated("liar.txt", b"z" * 50_000)
    liar.size = 100  # zipfile stops at the declared size; the CRC then fails
    (member,) = members(ziparchive, b.raw_zip([liar]), max_member_size=1000)
    assert member.data is None and member.status is Status.ERROR and "CRC" in member.reason


def test_budget_read_stops_a_stream_that_outgrows_its_limit_while_reading():
    budget = Budget(ScanOptions(max_member_size=10 * 1024, max_ratio=200))
    data, reason = budget.read(io.BytesIO(b"a" * (64 * 1024)), lambda: 1)
    assert (data, reason) == (None, "member exceeds the 10 KB per-member limit")


def test_budget_read_stops_on_the_ratio_once_past_one_megabyte():
    budget = Budget(ScanOptions())
    data, reason = budget.read(io.BytesIO(bytes(3 * MB)), lambda: 1000)
    assert data is None and reason == "compression ratio 2097:1 exceeds the limit 200:1"


def test_metered_stream_raises_too_large_past_its_limit():
    meter = Metered(io.BytesIO(b"x" * 100), limit=50, message="stream over 50 bytes")
    assert meter.read(40) == b"x" * 40
    with pytest.raises(TooLarge, match="stream over 50 bytes"):
        meter.read(40)


def test_zip_undecompressable_member_is_an_error_and_the_next_is_read():
    broken = b.deflated("broken.txt", b"hello " * 100)
    broken.data = b"\xff\xff\xff\xff" + broken.data[4:]
    unknown = b.stored("deflate64.bin", b"abc")
    unknown.method = 9  # Deflate64: not supported by zipfile
    found = members(ziparchive, b.raw_zip([broken, unknown, b.stored("ok.txt", b"ok")]))
    assert [m.status for m in found] == [Status.ERROR, Status.ERROR, None]
    assert found[0].reason.startswith("member cannot be decompressed:")
    assert "compression method" in found[1].reason
    assert found[2].data == b"ok"


def test_zip_corrupt_directory_raises_corrupt_file():
    with pytest.raises(CorruptFile, match="not a readable zip archive"):
        items(ziparchive, b"PK\x03\x04" + b"\x00" * 100)


def test_zip_sniff_leaves_office_ofd_and_odf_packages_to_their_extractors():
    assert sniffs(ziparchive, b.zip_of([("a.txt", b"1")]))
    assert sniffs(ziparchive, b.zip_of([]))  # an empty archive is a zip too, with no members
    assert items(ziparchive, b.zip_of([])) == []
    for marker in ("[Content_Types].xml", "OFD.xml", "mimetype"):
        assert not sniffs(ziparchive, b.zip_of([(marker, b"x"), ("a.txt", b"1")]))
    assert not sniffs(ziparchive, b"PK\x03\x04" + b"\x00" * 100)  # damaged: the scanner reports it
    assert not sniffs(ziparchive, b"plain text")


# --- names ---------------------------------------------------------------------------------------

def test_decode_name_prefers_utf8_then_gb18030_then_the_fallback():
    assert decode_name("附件.docx".encode()) == "附件.docx"
    assert decode_name("附件.docx".encode("gbk")) == "附件.docx"
    assert decode_name(b"\x80x") == "Çx"
    assert decode_name(b"caf\xe9", fallback="latin-1") == "café"


# --- 7z ------------------------------------------------------------------------------------------

def test_7z_members_in_order_with_their_bytes():
    content = [("正文/通知.txt", "关于保密检查的通知".encode()), ("empty.txt", b""), (GBK_NAME, DOCX),
               ("big.bin", bytes(range(256)) * 4000)]
    assert summary(members(sevenz, b.sevenz(content))) == [(n, d, None) for n, d in content]


def test_7z_directories_are_not_members_and_symlinks_are_skipped(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "a.txt").write_bytes(b"a")
    os.symlink("folder/a.txt", tmp_path / "link")
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", dereference=False) as archive:
        archive.write(tmp_path / "folder", "folder")
        archive.write(tmp_path / "folder" / "a.txt", "folder/a.txt")
        archive.write(tmp_path / "link", "link")
    found = members(sevenz, buf.getvalue())
    assert [(m.name, m.data, m.status, m.reason) for m in found] == [
        ("folder/a.txt", b"a", None, None), ("link", None, Status.SKIPPED, "symbolic link in archive, not followed")]


def test_7z_with_password_yields_encrypted_members():
    data = b.sevenz([("a.txt", b"secret a"), ("b.docx", DOCX)], password="口令")
    assert [(m.name, m.status, m.reason, m.size) for m in members(sevenz, data)] == [
        ("a.txt", Status.ENCRYPTED, "password-protected member", 8),
        ("b.docx", Status.ENCRYPTED, "password-protected member", len(DOCX))]


def test_7z_with_encrypted_headers_raises_encrypted_file():
    data = b.sevenz([("a.txt", b"secret")], password="pw", header_encryption=True)
    with pytest.raises(EncryptedFile, match="headers are encrypted"):
        items(sevenz, data)


def test_7z_limits_ratio_size_total_and_members():
    content = [("text.txt", b"plain " * 100), ("zeros.bin", bytes(5 * MB)), ("mid.txt", b"m" * 3000),
               ("last.txt", b"l" * 10)]
    found = members(sevenz, b.sevenz(content))
    assert found[1].status is Status.SKIPPED and found[1].reason.startswith("compression ratio ")
    assert [m.data for m in found if m.status is None] == [b"plain " * 100, b"m" * 3000, b"l" * 10]
    sized = members(sevenz, b.sevenz(content), max_member_size=2048, max_ratio=10_000_000)
    assert [m.reason for m in sized] == [None, "member exceeds the 2 KB per-member limit",
                                        "member exceeds the 2 KB per-member limit", None]
    total = members(sevenz, b.sevenz(content), max_total_size=1000, max_ratio=10_000_000)
    assert [m.status for m in total] == [None] + [Status.SKIPPED] * 3
    got, error = until_error(sevenz, b.sevenz(content), max_members=2, max_ratio=10_000_000)
    assert [m.name for m in got] == ["text.txt", "zeros.bin"] and isinstance(error, TooLarge)


def test_7z_skipped_members_before_a_wanted_one_in_a_solid_block_count_against_the_total():
    # reaching "after.txt" means decompressing the 3 MB skipped before it in the same solid block
    content = [("huge.bin", b"h" * (3 * MB)), ("after.txt", b"a" * 100)]
    found = members(sevenz, b.sevenz(content), max_member_size=MB, max_total_size=2 * MB)
    assert [(m.name, m.reason) for m in found] == [
        ("huge.bin", "member exceeds the 1 MB per-member limit"),
        ("after.txt", "members exceed the 2 MB total uncompressed limit")]


def test_7z_consumer_that_stops_early_stops_the_extraction_thread():
    data = b.sevenz([(f"{i}.txt", bytes([i]) * 50_000) for i in range(20)])
    stream = sevenz.extract(io.BytesIO(data), ScanOptions())
    first = next(stream)
    assert isinstance(first, Member) and first.data == bytes([0]) * 50_000
    stream.close()
    assert not [t for t in threading.enumerate() if t.name == sevenz.THREAD_NAME]


def test_7z_damaged_data_raises_corrupt_file_and_garbage_is_not_an_archive():
    data = bytearray(b.sevenz([("a.txt", b"hello world " * 1000)]))
    data[40:60] = b"\x00" * 20  # inside the packed stream
    with pytest.raises(CorruptFile):
        items(sevenz, bytes(data))
    with pytest.raises(CorruptFile, match="not a readable 7z archive"):
        items(sevenz, sevenz.MAGIC + b"\x00" * 50)
    assert sniffs(sevenz, b.sevenz([("a", b"1")])) and not sniffs(sevenz, b"7z but not")


# --- RAR -----------------------------------------------------------------------------------------

def test_rar_stored_members_names_comment_and_kinds_without_any_backend():
    data = b.rar5([RarMember("a.txt", b"hello"), RarMember("dir", directory=True),
                   RarMember("dir/" + GBK_NAME, DOCX), RarMember("secret.txt", b"x" * 32, encrypted=True),
                   RarMember("link", symlink_to="a.txt")], comment="密级：秘密\n备注")
    found = items(rar, data)
    assert found[:2] == [TextBlock("密级：秘密", Location(part="comment", line=1)),
                         TextBlock("备注", Location(part="comment", line=2))]
    assert [(m.name, m.data, m.status, m.reason, m.mtime) for m in found[2:]] == [
        ("a.txt", b"hello", None, None, 1_700_000_000),
        ("dir/" + GBK_NAME, DOCX, None, None, 1_700_000_000),
        ("secret.txt", None, Status.ENCRYPTED, "password-protected member", 1_700_000_000),
        ("link", None, Status.SKIPPED, "symbolic link in archive, not followed", 1_700_000_000)]


def test_rar_with_encrypted_headers_raises_encrypted_file():
    with pytest.raises(EncryptedFile, match="headers are encrypted"):
        items(rar, b.rar5([], header_encrypted=True))


NEEDS_BACKEND = pytest.mark.skipif(rar.rar_backend() is None,
                                   reason="no RAR decompressor on this machine (apt-get install unar); "
                                          ".ci/run installs one, and the no-backend path is tested below")


@NEEDS_BACKEND
def test_rar_compressed_members_come_out_through_the_backend():
    assert summary(members(rar, b.RAR5_SOLID)) == [("stest1.txt", b.RAR5_SOLID_TEXT, None),
                                                   ("stest2.txt", b.RAR5_SOLID_TEXT, None)]


@NEEDS_BACKEND
def test_rar_backend_failure_is_an_error_member_naming_the_backend():
    data = b.rar5([RarMember("packed.txt", b"not rar compression" * 3, method=3, size=500),
                   RarMember("plain.txt", b"plain")])
    packed, plain = members(rar, data)
    assert packed.status is Status.ERROR and f"with {rar.rar_backend()}" in packed.reason
    assert plain.data == b"plain"


def test_rar_without_any_backend_lists_members_and_says_why_compressed_ones_are_skipped(tmp_path):
    archive = tmp_path / "a.rar"
    archive.write_bytes(b.rar5([RarMember("packed.docx", b"\x01" * 40, method=3, size=5000),
                                RarMember("stored.txt", b"stored")]))
    code = ("import io, json, sys\nfrom scanner.extractors import rar\nfrom scanner.options import ScanOptions\n"
            "found = list(rar.extract(open(sys.argv[1], 'rb'), ScanOptions()))\n"
            "print(json.dumps([rar.rar_backend()] + [[m.name, m.data and m.data.decode(), "
            "m.status and m.status.value, m.reason] for m in found]))")
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    done = subprocess.run([sys.executable, "-c", code, str(archive)], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": str(empty_path), "PYTHONPATH": ROOT}, timeout=60, check=True)
    assert json.loads(done.stdout) == [
        None,
        ["packed.docx", None, "skipped", "no RAR decompressor available (install unrar, unar, 7z or bsdtar)"],
        ["stored.txt", "stored", None, None]]


def test_rar_limits_apply_before_the_backend_is_asked():
    data = b.rar5([RarMember("big.bin", b"\x00" * 10, method=3, size=10 * b.GB), RarMember("s.txt", b"s")])
    big, small = members(rar, data)
    assert (big.status, big.reason) == (Status.SKIPPED, "member exceeds the 200 MB per-member limit")
    assert small.data == b"s"
    got, error = until_error(rar, b.rar5([RarMember(f"{i}.txt", b"x") for i in range(5)]), max_members=3)
    assert len(got) == 3 and isinstance(error, TooLarge)


def test_rar_sniff_and_corrupt_archive():
    assert sniffs(rar, b.RAR5_SOLID) and sniffs(rar, b"Rar!\x1a\x07\x00" + bytes(20))
    assert not sniffs(rar, b"Rar! but not")
    with pytest.raises(CorruptFile, match="not a readable RAR archive"):
        items(rar, b"Rar!\x1a\x07\x01\x00" + b"\xff" * 40)
    got, error = until_error(rar, b.rar5([RarMember("a.txt", b"a"), RarMember("b.txt", b"b" * 100)])[:-60])
    assert [(m.data, m.status) for m in got] == [(b"a", None), (None, Status.ERROR)]  # b.txt's data is cut
    assert isinstance(error, CorruptFile)


# --- tar -----------------------------------------------------------------------------------------

TAR_CONTENT = [("正文/通知.txt", "关于保密检查的通知".encode()), ("./inner.docx", DOCX), ("empty", b"")]
TAR_EXPECTED = [("正文/通知.txt", "关于保密检查的通知".encode(), None), ("inner.docx", DOCX, None), ("empty", b"", None)]


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_plain_and_compressed_members_in_order(mode):
    data = b.tar_of(TAR_CONTENT, mode=mode)
    assert summary(members(tar, data)) == TAR_EXPECTED
    assert members(tar, data)[0].mtime == 1_700_000_000
    assert sniffs(tar, data, "archive")  # by content: bzip2 too, since this one is a single small block


def test_tar_gbk_names_in_old_headers_are_decoded():
    data = b.tar_of([(GBK_NAME, DOCX)], encoding="gb18030", fmt=tarfile.GNU_FORMAT)
    assert GBK_NAME.encode("gbk") in data  # stored as GBK bytes, not UTF-8
    assert [(m.name, m.data) for m in members(tar, data)] == [(GBK_NAME, DOCX)]


def test_tar_links_are_skipped_and_directories_are_not_members():
    data = b.tar_of([("a.txt", b"a")], links=(("sym", "a.txt", tarfile.SYMTYPE), ("hard", "a.txt", tarfile.LNKTYPE)))
    assert [(m.name, m.status, m.reason) for m in members(tar, data)] == [
        ("a.txt", None, None), ("sym", Status.SKIPPED, "symbolic link in archive, not followed"),
        ("hard", Status.SKIPPED, "hard link in archive, not followed")]


@functools.cache
def _zeros_tgz() -> bytes:
    return b.tar_of([("a.txt", b"a"), ("zeros.bin", bytes(100 * MB)), ("z.txt", b"z")], mode="w:gz")


def test_tar_gz_member_of_zeros_is_skipped_by_ratio_and_the_next_is_read():
    a, zeros, z = members(tar, _zeros_tgz())
    assert (a.data, z.data) == (b"a", b"z")
    assert zeros.status is Status.SKIPPED and zeros.reason.startswith("compression ratio ")
    assert zeros.reason.endswith(":1 exceeds the limit 200:1")


def test_tar_member_over_the_size_limit_is_skipped_from_its_header():
    data = b.tar_of([("big.bin", b"b" * 5000), ("small.txt", b"s")])
    big, small = members(tar, data, max_member_size=4096)
    assert (big.status, big.reason, big.size) == (Status.SKIPPED, "member exceeds the 4 KB per-member limit", 5000)
    assert small.data == b"s"


def test_tar_stream_is_bounded_by_the_total_limit_even_through_skipped_members():
    data = b.tar_of([("a.txt", b"a" * 100), ("big.bin", b"b" * 50_000), ("late.txt", b"l")], mode="w:gz")
    got, error = until_error(tar, data, max_total_size=20_000)
    assert [(m.name, m.status) for m in got] == [("a.txt", None), ("big.bin", Status.SKIPPED)]
    assert isinstance(error, TooLarge)
    assert str(error) == "tar stream exceeds the 20000 bytes total uncompressed limit; later members were not read"


def test_tar_huge_pax_header_is_refused_before_it_is_read():
    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, 64 * MB
    data = gzip.compress(header.tobuf(tarfile.USTAR_FORMAT) + bytes(64 * MB) + bytes(1024))
    with pytest.raises(TooLarge, match="tar metadata header of 67108864 bytes exceeds 1 MB"):
        items(tar, data)


def test_tar_max_members():
    got, error = until_error(tar, b.tar_of([(f"{i}.txt", b"x") for i in range(10)]), max_members=4)
    assert [m.name for m in got] == ["0.txt", "1.txt", "2.txt", "3.txt"]
    assert str(error) == "archive has more than 4 members; the first 4 were scanned"


def test_tar_truncated_stream_keeps_the_members_before_the_damage():
    data = b.tar_of([("a.txt", b"a" * 100), ("b.bin", os.urandom(200_000))], mode="w:gz")
    got, error = until_error(tar, data[: len(data) // 2])
    assert [m.name for m in got] == ["a.txt"] and isinstance(error, CorruptFile)


def test_tar_sniff_by_content_and_bzip2_tar_by_name():
    plain = b.tar_of([("a.txt", b"a")])
    assert tar.is_tar_header(plain[:512]) and not tar.is_tar_header(b"\x00" * 512)
    assert not sniffs(tar, gzip.compress(b"just some text"))
    big_bz2 = bz2.compress(b.tar_of([("r.bin", os.urandom(2 * MB))]))  # first block exceeds the probe head
    assert sniffs(tar, big_bz2, "backup.tar.bz2") and not sniffs(tar, big_bz2, "backup.bz2")
    assert not sniffs(tar, b"plain text file\n" * 100)


# --- single compressed files ---------------------------------------------------------------------

def gzip_with_name(data: bytes, name: bytes, comment: bytes = b"", mtime: int = 1_700_000_000) -> bytes:
    flags = 0x08 | (0x10 if comment else 0)
    header = b"\x1f\x8b\x08" + bytes([flags]) + mtime.to_bytes(4, "little") + b"\x00\x03" + name + b"\x00"
    header += comment + b"\x00" if comment else b""
    packer = zlib.compressobj(6, 8, -15)
    body = packer.compress(data) + packer.flush()
    return header + body + zlib.crc32(data).to_bytes(4, "little") + len(data).to_bytes(4, "little")


def test_gzip_member_named_from_its_header_with_mtime_and_comment():
    data = gzip_with_name(DOCX, GBK_NAME.encode("gbk"), "秘密★1年".encode())
    assert items(compressed, data) == [TextBlock("秘密★1年", Location(part="comment", line=1)),
                                       Member(GBK_NAME, DOCX, 1_700_000_000)]


def test_gzip_without_a_name_and_bzip2_and_xz_yield_content():
    assert members(compressed, gzip.compress(b"abc", mtime=0)) == [Member("content", b"abc", None)]
    assert members(compressed, bz2.compress(b"abc")) == [Member("content", b"abc", None)]
    assert members(compressed, lzma.compress(b"abc")) == [Member("content", b"abc", None)]


def test_compressed_bomb_is_skipped_by_ratio_and_size():
    bomb = gzip.compress(bytes(20 * MB))
    (member,) = members(compressed, bomb)
    assert member.status is Status.SKIPPED and member.reason.startswith("compression ratio ")
    (sized,) = members(compressed, gzip.compress(b"x" * 10_000), max_member_size=4096)
    assert (sized.status, sized.reason) == (Status.SKIPPED, "member exceeds the 4 KB per-member limit")


def test_compressed_damaged_stream_raises_corrupt_file():
    data = gzip.compress(os.urandom(5000))
    with pytest.raises(CorruptFile, match="gzip stream is damaged"):
        items(compressed, data[:-100])


def test_compressed_sniff_takes_every_codec_and_tar_takes_compressed_tars():
    for data in (gzip.compress(b"a"), bz2.compress(b"a"), lzma.compress(b"a")):
        assert sniffs(compressed, data) and not sniffs(tar, data)
    assert sniffs(tar, b.tar_of([("a", b"a")], mode="w:gz"))  # tar comes first in the registry
    assert not sniffs(compressed, b"BZh9 not bzip2") and not sniffs(compressed, b"\x1f\x8b")


# --- the limit messages ---------------------------------------------------------------------------

def test_human_sizes_in_limit_messages():
    assert [archive_limits.human_size(n) for n in (200 * MB, 2048 * MB, 64 * 1024, 1000)] == [
        "200 MB", "2048 MB", "64 KB", "1000 bytes"]
