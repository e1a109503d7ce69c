"""Outlook messages (.msg, .oft): MAPI properties read straight from the OLE2 compound file.

Same output as eml.py: headers Subject/From/To/Cc/Bcc/Date as ``Location(part="header", name=...)``,
sensitivity labels from the transport headers' ``msip_labels`` as part "properties", body lines
``Location(part="body", line=N)`` and every attachment as a ``Member``.

Not extract-msg: it is GPL-3.0 (this project is proprietary) and pulls in 19 packages (oletools,
pcodedmp, easygui, cryptography ...) for what is a few property streams. The layout ([MS-OXMSG]):
strings in ``__substg1.0_<id><type>`` streams, type 001F UTF-16LE or 001E 8-bit in the message's
code page (PR_MESSAGE_CODEPAGE 0x3FFD, else PR_INTERNET_CPID 0x3FDE; GBK for Chinese Outlook);
fixed-size values in ``__properties_version1.0``; attachments in ``__attach_version1.0_#XXXXXXXX``
storages (0x3707 long file name, 0x3701 data). The body is PR_BODY (0x1000), else PR_HTML (0x1013)
as visible text, else PR_RTF_COMPRESSED (0x1009) decompressed ([MS-OXRTFCP]) and read by rtf.py.

An attached Outlook message (attach method 5, an OLE storage, not a byte stream) becomes a
Member ``<name>.eml``: its headers, body and attachments re-written as a MIME message, which the
scanner then reads with eml.py. Embedded OLE objects (method 6) and attachments by reference are
SKIPPED Members that say so. S/MIME-encrypted and rights-protected (IRM) messages raise
EncryptedFile after their headers.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import io
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import BinaryIO

import olefile

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors import eml, rtf
from scanner.extractors.html import visible_text
from scanner.options import ScanOptions
from scanner.records import Location, Member, Status, TextBlock
from scanner.sniff import Probe

FORMAT = "msg"

PROPS = "__properties_version1.0"
ATTACH = "__attach_version1.0_#"
EMBEDDED = "__substg1.0_3701000D"
HEADER_SIZES = {"message": 32, "embedded": 24, "attachment": 8}  # bytes before the 16-byte entries
FIELDS = (("subject", 0x0037), ("from", 0x0C1A), ("to", 0x0E04), ("cc", 0x0E03), ("bcc", 0x0E02))
SENDER_ADDRESSES = (0x5D01, 0x0C1F, 0x0065)  # SMTP address, sender address, sent-representing address
CODEPAGES = (0x3FFD0003, 0x3FDE0003)
DATES = (0x00390040, 0x0E060040)  # client submit time, delivery time
ATTACH_METHOD, METHOD_EMBEDDED = 0x37050003, 5
BOUNDARY = "----=_docscan_part_boundary"  # "-" and "_" never occur in base64 bodies
OLE_ERRORS = (OSError, ValueError, EOFError, IndexError, TypeError, struct.error)
_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
RTF_PREBUF = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern "
              b"\\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0"
              b"\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")


def sniff(probe: Probe) -> bool:
    return any(n.startswith(("__substg1.0_", PROPS)) for n in probe.ole_names)


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock | Member]:
    """Yield header blocks, body lines and attachment Members.

    Raises CorruptFile (unreadable compound file), EncryptedFile (after the headers) and
    TooLarge (after max_members attachments).
    """
    try:
        ole = olefile.OleFileIO(data)
    except OLE_ERRORS as exc:
        raise CorruptFile(f"not a readable Outlook message: {exc}") from exc
    with ole:
        message = _Message(ole, "", "message")
        yield from _headers(message)
        if message.encrypted():
            raise EncryptedFile("encrypted or rights-protected Outlook message; only its headers were read")
        chars = options.max_text_chars
        for line, text in enumerate(message.body(options), start=1):
            if text.strip() and chars >= 0:
                chars -= len(text)
                yield TextBlock(text.strip(), Location(part="body", line=line))
        yield from _members(message, eml.Members(options), options)


class _Message:
    """One message storage (the file's root or an attached message) and its property values."""

    def __init__(self, ole: olefile.OleFileIO, prefix: str, kind: str) -> None:
        self.ole, self.prefix = ole, prefix
        self.fixed = self._fixed(HEADER_SIZES[kind])
        cp = next((self.int(t) for t in CODEPAGES if t in self.fixed), None)
        self.codec = rtf.codec_for(cp) if cp else None

    def _fixed(self, header: int) -> dict[int, bytes]:
        blob = self.read(PROPS) or b""
        return {struct.unpack_from("<I", blob, off)[0]: blob[off + 8:off + 16]
                for off in range(header, len(blob) - 15, 16)}

    def read(self, name: str) -> bytes | None:
        path = self.prefix + name
        try:
            if self.ole.get_type(path) != olefile.STGTY_STREAM:
                return None
            with self.ole.openstream(path) as fh:
                return fh.read()
        except OLE_ERRORS as exc:
            raise CorruptFile(f"stream {path} cannot be read: {exc}") from exc

    def int(self, tag: int) -> int | None:
        value = self.fixed.get(tag)
        return struct.unpack_from("<i", value)[0] if value else None

    def string(self, prop: int) -> str | None:
        blob = self.read(f"__substg1.0_{prop:04X}001F")
        if blob is not None:
            return blob.decode("utf-16-le", errors="replace").split("\x00", 1)[0]
        blob = self.read(f"__substg1.0_{prop:04X}001E")
        if blob is not None:
            return eml.decode_bytes(blob.split(b"\x00", 1)[0], self.codec)
        return None

    def binary(self, prop: int) -> bytes | None:
        return self.read(f"__substg1.0_{prop:04X}0102")

    def header(self, name: str, prop: int) -> str | None:
        value = self.string(prop)
        if name == "from":
            value = value or self.string(0x0042)
            address = next((a for a in map(self.string, SENDER_ADDRESSES) if a and "@" in a), None)
            if address and address not in (value or ""):
                value = f"{value} <{address}>" if value else address
        return " ".join(value.split()) if value else None

    def date(self) -> str | None:
        value = next((self.fixed[t] for t in DATES if t in self.fixed), None)
        if not value:
            return None
        ticks = struct.unpack_from("<Q", value)[0]
        try:
            return email.utils.format_datetime(_EPOCH + timedelta(microseconds=ticks // 10))
        except OverflowError:
            return None

    def encrypted(self) -> bool:
        kind = (self.string(0x001A) or "").lower()
        if kind.startswith("ipm.note.smime") and "multipartsigned" not in kind:
            return True
        names = (self.attachment_name(a) for a in self.attachments())
        return "rpmsg" in kind or any(n.lower() == "message.rpmsg" for n in names)

    def body(self, options: ScanOptions) -> list[str]:
        """The body's lines: plain text, else the HTML's visible text, else the RTF's paragraphs."""
        text = self.string(0x1000)
        if text is not None:
            return text.splitlines()
        markup = self.binary(0x1013)
        if markup is not None:
            return list(visible_text(eml.decode_bytes(markup, self.codec, guess=True)))
        markup_text = self.string(0x1013)
        if markup_text is not None:
            return list(visible_text(markup_text))
        packed = self.binary(0x1009)
        lines: list[str] = []
        if packed is not None:
            try:  # a damaged RTF body keeps what was read; the attachments still follow
                for block in rtf.extract(io.BytesIO(decompress_rtf(packed)), options):
                    if block.location.part in ("body", "table"):
                        lines.append(block.text)
            except CorruptFile:
                pass
        return lines

    def attachments(self) -> list[str]:
        """Prefixes ("…/__attach_version1.0_#00000000/") of this message's attachment storages."""
        depth = self.prefix.count("/")
        found = {"/".join(p[:depth + 1]) for p in self.ole.listdir(streams=True, storages=True)
                 if len(p) > depth and p[depth].startswith(ATTACH)
                 and "/".join(p[:depth]).lower() + ("/" if depth else "") == self.prefix.lower()}
        return [f"{p}/" for p in sorted(found)]

    def stored_size(self) -> int:
        """Bytes of all streams in this message's storage (what re-writing it would read)."""
        depth = self.prefix.count("/")
        return sum(self.ole.get_size("/".join(p)) for p in self.ole.listdir(streams=True, storages=False)
                   if "/".join(p[:depth]).lower() + "/" == self.prefix.lower())

    def attachment_name(self, prefix: str) -> str:
        part = _Message(self.ole, prefix, "attachment")
        return next((v for v in map(part.string, (0x3707, 0x3704, 0x3001)) if v), "")


def _headers(message: _Message) -> Iterator[TextBlock]:
    for name, prop in FIELDS:
        value = message.header(name, prop)
        if value:
            yield TextBlock(value, Location(part="header", name=name))
    date = message.date()
    if date:
        yield TextBlock(date, Location(part="header", name="date"))
    transport = message.string(0x007D)
    if transport:
        parsed = email.message_from_string(transport, policy=email.policy.compat32)
        for value in parsed.get_all("msip_labels") or ():
            yield from eml.labels(eml.decode_header(str(value)))


def _members(message: _Message, budget: eml.Members, options: ScanOptions) -> Iterator[Member]:
    for index, prefix in enumerate(message.attachments(), start=1):
        part = _Message(message.ole, prefix, "attachment")
        name = eml.safe_name(message.attachment_name(prefix) or f"attachment{index}")
        stream = prefix + "__substg1.0_37010102"
        if message.ole.exists(stream):
            size = message.ole.get_size(stream)
            reason = budget.admit(size)
            if reason is None:
                yield Member(budget.unique(name), part.binary(0x3701) or b"", None)
            else:
                yield Member(budget.unique(name), None, None, Status.SKIPPED, reason, size=size)
        elif message.ole.exists(prefix + EMBEDDED) and part.int(ATTACH_METHOD) == METHOD_EMBEDDED:
            inner = _Message(message.ole, prefix + EMBEDDED + "/", "embedded")
            size = inner.stored_size()
            reason, name = budget.admit(size), budget.unique(_eml_name(name, inner))
            if reason is None:
                yield Member(name, as_eml(inner, options, 1), None)
            else:
                yield Member(name, None, None, Status.SKIPPED, reason, size=size)
        else:
            budget.admit(0)
            why = "an embedded OLE object" if message.ole.exists(prefix + EMBEDDED) else "no attached data"
            reason = f"attachment holds {why}; not extracted"
            yield Member(budget.unique(name), None, None, Status.SKIPPED, reason)


def _eml_name(name: str, inner: _Message) -> str:
    stem = name[:-4] if name.lower().endswith(".msg") else name
    return f"{stem or eml.safe_name(inner.string(0x0037) or 'message')}.eml"


def as_eml(message: _Message, options: ScanOptions, depth: int) -> bytes:
    """An attached Outlook message re-written as a MIME message (headers, body, attachments)."""
    mime = MIMEMultipart(boundary=BOUNDARY)  # fixed, so the same message gives the same bytes (sha256)
    labels = []
    for block in _headers(message):
        if block.location.part == "header":
            mime[(block.location.name or "x-field").title()] = _encoded(block.text)
        else:
            labels.append(f"{block.location.name}={block.text}")
    if labels:
        mime["msip_labels"] = _encoded("; ".join(labels))
    mime.attach(MIMEText("\n".join(message.body(options)), "plain", "utf-8"))
    for prefix in message.attachments():
        part = _Message(message.ole, prefix, "attachment")
        name = message.attachment_name(prefix) or "attachment"
        if part.int(ATTACH_METHOD) == METHOD_EMBEDDED and depth < options.max_depth:
            if message.ole.exists(prefix + EMBEDDED):
                inner = _Message(message.ole, prefix + EMBEDDED + "/", "embedded")
                data, name = as_eml(inner, options, depth + 1), _eml_name(name, inner)
            else:
                continue
        else:
            data = part.binary(0x3701)
        if data is not None:
            item = MIMEApplication(data)
            item.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
            mime.attach(item)
    return mime.as_bytes()


def _encoded(text: str) -> str:
    return email.header.Header(text, "utf-8").encode()


def decompress_rtf(blob: bytes) -> bytes:
    """PR_RTF_COMPRESSED ([MS-OXRTFCP]): LZFu-compressed or stored ("MELA") RTF. Raises CorruptFile."""
    if len(blob) < 16:
        raise CorruptFile("compressed RTF body is shorter than its header")
    size, raw_size, magic = struct.unpack_from("<III", blob)
    if magic == 0x414C454D:  # "MELA": stored uncompressed
        return blob[16:16 + raw_size]
    if magic != 0x75465A4C:  # "LZFu"
        raise CorruptFile(f"unknown compressed RTF format {magic:#x}")
    window = bytearray(4096)
    window[:len(RTF_PREBUF)] = RTF_PREBUF
    write, pos, end, out = len(RTF_PREBUF), 16, min(len(blob), size + 4), bytearray()
    while pos < end:
        control, pos = blob[pos], pos + 1
        for bit in range(8):
            if pos >= end or (control >> bit & 1 and pos + 1 >= end):
                break
            if control >> bit & 1:
                ref, pos = blob[pos] << 8 | blob[pos + 1], pos + 2
                offset = ref >> 4
                if offset == write:  # the end marker
                    return bytes(out)
                for i in range((ref & 0xF) + 2):  # byte by byte: a run may overlap what it writes
                    byte = window[(offset + i) & 0xFFF]
                    out.append(byte)
                    window[write], write = byte, (write + 1) & 0xFFF
            else:
                out.append(blob[pos])
                window[write], write, pos = blob[pos], (write + 1) & 0xFFF, pos + 1
    return bytes(out)
