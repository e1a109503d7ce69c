"""Archives built in code for the archive extractor tests.

- ``raw_zip`` writes a zip byte by byte, so a test controls what zipfile cannot write: names
  as GBK bytes with the UTF-8 flag cleared (as Chinese Windows writes them), ZipCrypto
  encryption, a declared size the data does not have, symbolic links.
- ``zipcrypto`` is the traditional PKWARE stream cipher (APPNOTE 6.1); zipfile can decrypt
  it with the password, which the tests use to prove the member really is encrypted.
- ``rar5`` writes RAR 5 headers (RARLAB's published technote: vint fields, CRC32 per
  header) around stored data, which rarfile reads without an external program; file
  encryption records, symbolic-link records and the archive-encryption header are only
  headers, so they can be written without an encryptor.
- ``RAR5_SOLID`` is the one compressed RAR here: nobody but RARLAB's ``rar`` can write RAR
  compression (it is not free software and not in Debian), so it is the 169-byte test file
  ``test/files/rar5-solid.rar`` from the rarfile 4.5 source distribution on PyPI,
  Copyright (c) 2005-2024 Marko Kreen <markokr@gmail.com>, under the ISC licence:
  "Permission to use, copy, modify, and/or distribute this software for any purpose with or
  without fee is hereby granted, provided that the above copyright notice and this permission
  notice appear in all copies." It holds stest1.txt and stest2.txt (solid), each the 512 lines
  "000\\n" ... "511\\n".
"""

from __future__ import annotations

import base64
import functools
import io
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field

import py7zr

GB = 1024 ** 3
MB = 1024 ** 2
GBK_NAME = "附件1-秘密文件.docx"

RAR5_SOLID = base64.b64decode(
    "UmFyIRoHAQAJ78hvCwEFBwQGAQGAgIAA3vVwchwCAroABIAQtoMCoua3xYAbAQpzdGVzdDEudHh0"
    "waw3REQj+iP2l/1iU1G+TJGBQQKMwQN5XL9Ho6otoDaT3aBYAEACANRQBHb2xH8y6p8ypcTM14Pf"
    "ABDoLYkcAgKNAASAELaDAqLmt8XAGwEKc3Rlc3QyLnR4dEUVCmABAAgD37f79vwdd1ZRAwUEAA==")
RAR5_SOLID_TEXT = "".join(f"{i:03d}\n" for i in range(512)).encode()


# --- zip -----------------------------------------------------------------------------------------

@dataclass
class Entry:
    """One zip member as stored: ``data`` is what follows the local header (compressed, encrypted)."""

    name: bytes
    data: bytes
    crc: int
    size: int  # declared uncompressed size
    method: int = 0  # 0 stored, 8 deflated
    flags: int = 0  # bit 0 encrypted, bit 11 UTF-8 name
    system: int = 0  # 0 MS-DOS, 3 Unix
    mode: int = 0o100644  # Unix mode (external attributes) when system is 3
    comment: bytes = b""
    extra: bytes = field(default=b"")


def stored(name: str | bytes, data: bytes, **kw: int | bytes) -> Entry:
    raw, flags = _name(name)
    return Entry(raw, data, zlib.crc32(data), len(data), 0, flags, **kw)  # type: ignore[arg-type]


def deflated(name: str | bytes, data: bytes, **kw: int | bytes) -> Entry:
    raw, flags = _name(name)
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    packed = packer.compress(data) + packer.flush()
    return Entry(raw, packed, zlib.crc32(data), len(data), 8, flags, **kw)  # type: ignore[arg-type]


def _name(name: str | bytes) -> tuple[bytes, int]:
    """Bytes names are written as given with no UTF-8 flag; str names as UTF-8 with the flag."""
    if isinstance(name, bytes):
        return name, 0
    return name.encode("utf-8"), 0x800


def raw_zip(entries: list[Entry], comment: bytes = b"") -> bytes:
    """A zip archive of ``entries`` (Zip64 sizes when a declared size needs them)."""
    out, central = io.BytesIO(), io.BytesIO()
    for e in entries:
        offset = out.tell()
        usize, zip64 = (0xFFFFFFFF, struct.pack("<HHQ", 1, 8, e.size)) if e.size > 0xFFFFFFFF else (e.size, b"")
        common = struct.pack("<HHHHIII", e.flags, e.method, 0x6000, 0x5A21, e.crc, len(e.data), usize)
        out.write(b"PK\x03\x04" + struct.pack("<H", 45) + common
                  + struct.pack("<HH", len(e.name), len(zip64 + e.extra)) + e.name + zip64 + e.extra + e.data)
        attrs = (e.mode << 16) if e.system == 3 else 0
        central.write(b"PK\x01\x02" + struct.pack("<BBH", 45, e.system, 45) + common
                      + struct.pack("<HHHHHII", len(e.name), len(zip64 + e.extra), len(e.comment), 0, 0,
                                    attrs, offset) + e.name + zip64 + e.extra + e.comment)
    start, directory = out.tell(), central.getvalue()
    out.write(directory)
    out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(entries), len(entries), len(directory), start,
                                          len(comment)) + comment)
    return out.getvalue()


def zipcrypto(name: str | bytes, data: bytes, password: bytes) -> Entry:
    """A stored member encrypted with traditional PKWARE encryption (flag bit 0)."""
    entry = stored(name, data)
    keys = [0x12345678, 0x23456789, 0x34567890]
    header = bytes(range(11)) + bytes([entry.crc >> 24])  # 11 fixed bytes (tests need no randomness) + check
    for byte in password:
        _update_keys(keys, byte)
    cipher = bytearray()
    for byte in header + data:
        k = (keys[2] | 2) & 0xFFFF
        cipher.append(byte ^ ((k * (k ^ 1)) >> 8) & 0xFF)
        _update_keys(keys, byte)
    entry.data, entry.flags = bytes(cipher), entry.flags | 0x1
    return entry


def _crc_byte(crc: int, byte: int) -> int:
    return ~zlib.crc32(bytes([byte]), ~crc & 0xFFFFFFFF) & 0xFFFFFFFF


def _update_keys(keys: list[int], byte: int) -> None:
    keys[0] = _crc_byte(keys[0], byte)
    keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
    keys[2] = _crc_byte(keys[2], keys[1] >> 24)


def zip_of(members: list[tuple[str, bytes]], comment: bytes = b"") -> bytes:
    """A deflated zip written by zipfile itself."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
        zf.comment = comment
    return buf.getvalue()


@functools.cache
def zeros_zip(size: int) -> bytes:
    """One deflated member of ``size`` zero bytes (ratio about 1000:1) after a small text member."""
    return raw_zip([deflated("before.txt", b"text"), deflated("zeros.bin", bytes(size)),
                    deflated("after.txt", b"more text")])


@functools.cache
def many_members_zip(count: int) -> bytes:
    """``count`` tiny stored members named m00000.txt ... whose content is their number."""
    return raw_zip([stored(f"m{i:05d}.txt", str(i).encode()) for i in range(count)])


# --- 7z ------------------------------------------------------------------------------------------

def sevenz(members: list[tuple[str, bytes]], password: str | None = None, header_encryption: bool = False,
           ) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password=password, header_encryption=header_encryption) as archive:
        for name, data in members:
            archive.writestr(data, name)
    return buf.getvalue()


# --- tar -----------------------------------------------------------------------------------------

def tar_of(members: list[tuple[str, bytes]], mode: str = "w", encoding: str = "utf-8",
           fmt: int = tarfile.PAX_FORMAT, links: tuple[tuple[str, str, bytes], ...] = ()) -> bytes:
    """A tar (mode "w:gz" etc. to compress); ``links`` adds (name, target, SYMTYPE/LNKTYPE) entries."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, encoding=encoding, format=fmt) as archive:  # type: ignore[call-overload]
        folder = tarfile.TarInfo("folder")
        folder.type, folder.mtime = tarfile.DIRTYPE, 1_700_000_000
        archive.addfile(folder)
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
        for name, target, kind in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            archive.addfile(info)
    return buf.getvalue()


# --- RAR 5 ---------------------------------------------------------------------------------------

RAR5_SIGNATURE = b"Rar!\x1a\x07\x01\x00"


def vint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _rar5_header(kind: int, body: bytes, extra: bytes = b"", data_size: int | None = None) -> bytes:
    flags = (0x01 if extra else 0) | (0x02 if data_size is not None else 0)
    fields = vint(kind) + vint(flags) + (vint(len(extra)) if extra else b"")
    fields += (vint(data_size) if data_size is not None else b"") + body + extra
    raw = vint(len(fields)) + fields
    return struct.pack("<I", zlib.crc32(raw)) + raw


def _record(kind: int, data: bytes) -> bytes:
    inner = vint(kind) + data
    return vint(len(inner)) + inner


@dataclass
class RarMember:
    name: str
    data: bytes = b""
    method: int = 0  # 0 stored (readable without a backend), 3 "normal" compression
    encrypted: bool = False
    symlink_to: str | None = None
    directory: bool = False
    mtime: int = 1_700_000_000
    size: int | None = None  # declared unpacked size; default len(data)


def rar5(members: list[RarMember], header_encrypted: bool = False, comment: str | None = None) -> bytes:
    """A RAR 5 archive; compressed or encrypted members carry ``data`` as their (fake) packed bytes."""
    out = RAR5_SIGNATURE
    if header_encrypted:  # archive encryption header: AES-256, KDF 2^15, salt; the rest would be ciphertext
        return out + _rar5_header(4, vint(0) + vint(0) + bytes([15]) + bytes(16)) + bytes(64)
    out += _rar5_header(1, vint(0))
    if comment is not None:
        text = comment.encode()
        out += _rar5_header(3, _file_body("CMT", text, 0, 0, 0), data_size=len(text)) + text
    for m in members:
        extra = b""
        if m.encrypted:
            extra += _record(1, vint(0) + vint(0) + bytes([15]) + bytes(16) + bytes(16))
        if m.symlink_to is not None:
            target = m.symlink_to.encode()
            extra += _record(5, vint(1) + vint(0) + vint(len(target)) + target)
        mode = 0o40755 if m.directory else 0o120777 if m.symlink_to is not None else 0o100644
        body = _file_body(m.name, m.data, m.method, mode, m.mtime, m.size, m.directory)
        out += _rar5_header(2, body, extra, data_size=len(m.data)) + m.data
    return out + _rar5_header(5, vint(0))


def _file_body(name: str, data: bytes, method: int, mode: int, mtime: int, size: int | None = None,
               directory: bool = False) -> bytes:
    flags = (0x1 if directory else 0) | (0x2 if mtime else 0) | 0x4
    body = vint(flags) + vint(len(data) if size is None else size) + vint(mode)
    body += (struct.pack("<I", mtime) if mtime else b"") + struct.pack("<I", zlib.crc32(data))
    return body + vint(method << 7) + vint(1) + vint(len(name.encode())) + name.encode()
