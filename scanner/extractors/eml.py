"""E-mail messages (.eml, and single-file web pages .mht, which are MIME too): headers, body, attachments.

Yields the headers Subject/From/To/Cc/Bcc/Date as ``Location(part="header", name="subject")`` ...,
Microsoft sensitivity labels from the ``msip_labels`` header as part "properties" (named as DOCX
names its custom properties), the body's lines as ``Location(part="body", line=N)``, and every
attachment as a ``Member`` the scanner scans as a file of its own (``mail.eml!/附件.docx``).

Header text is decoded here rather than by the email package, which turns raw 8-bit GBK bytes
into U+FFFD: encoded words (RFC 2047, adjacent words of one charset joined before decoding, so a
GBK character split between two words survives), RFC 2231 file names, raw UTF-8 or GBK bytes.
GB2312 labels decode as GB18030 (its superset); nothing here raises on bad bytes.

Body: the text/plain leaf of each multipart/alternative (else its HTML, as visible text), and any
other inline text part without a file name, numbered on. Every other leaf is a member: named
attachments, inline images, ``message/rfc822`` parts (as ``<subject>.eml``). Limits from ScanOptions:
a member over max_member_size, or past max_total_size, is a SKIPPED Member naming the limit;
past max_members, TooLarge is raised after the first max_members.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.message
import email.policy
import mimetypes
import posixpath
import re
import urllib.parse
from collections.abc import Iterator
from typing import BinaryIO

from scanner.errors import EncryptedFile, TooLarge
from scanner.extractors.html import codec_name, visible_text
from scanner.extractors.txt import detect_encoding
from scanner.options import ScanOptions
from scanner.records import Location, Member, Status, TextBlock
from scanner.sniff import Probe

FORMAT = "eml"

HEADERS = ("subject", "from", "to", "cc", "bcc", "date")
KNOWN_FIELDS = frozenset({
    b"from", b"to", b"cc", b"subject", b"date", b"received", b"return-path", b"message-id",
    b"mime-version", b"content-type", b"delivered-to", b"reply-to", b"sender", b"x-mailer",
    b"in-reply-to", b"references", b"thread-topic", b"thread-index", b"x-originating-ip"})
MAX_NESTING = 64  # multipart levels followed; deeper parts are left out
_FIELD = re.compile(rb"([!-9;-~]{1,76})[ \t]*:")
_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_SURROGATES = re.compile("[\udc80-\udcff]")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


def sniff(probe: Probe) -> bool:
    """True when the file opens with an RFC 822 header block (two or more common mail fields).

    Every line up to the first empty one must be a header field or its continuation, so text that
    merely mentions "From:" is not mail; an mbox "From " separator line may come first.
    """
    head = probe.head
    if b"\x00" in head:
        return False
    lines = head.split(b"\n")[:-1]  # the last piece may be cut by the head's end
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]  # an mbox separator line
    fields = known = 0
    for line in lines:
        line = line.rstrip(b"\r")
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if not fields:
                return False
            continue
        match = _FIELD.match(line)
        if match is None:
            return False
        fields += 1
        name = match.group(1)
        # mail software writes "From:", "Message-ID:"; lower-case "from:"/"to:" keys are YAML or INI
        known += name[:1].isupper() and name.lower() in KNOWN_FIELDS
    return known >= 2


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock | Member]:
    """Yield header blocks, body lines and attachment Members.

    Raises EncryptedFile (after the headers) for an S/MIME- or PGP-encrypted body, TooLarge
    after max_members attachments.
    """
    msg = email.message_from_binary_file(data, policy=email.policy.compat32)
    yield from headers(msg)
    if _encrypted(msg):
        raise EncryptedFile("encrypted mail body (S/MIME or PGP); only its headers were read")
    budget = Members(options)
    line, chars = 0, options.max_text_chars
    for part, alternative in _leaves(msg, False, 0):
        if _is_body(part):
            if alternative or chars < 0:
                continue
            for text in body_text(part):
                line += 1
                if text.strip():
                    chars -= len(text)
                    yield TextBlock(text.strip(), Location(part="body", line=line))
        else:
            yield budget.member(_member_name(part, budget.count + 1), _payload(part))


def headers(msg: email.message.Message) -> Iterator[TextBlock]:
    """The decoded header fields HEADERS, then sensitivity labels, of one message."""
    raw: dict[str, list[str]] = {}
    for key, value in msg.raw_items():
        raw.setdefault(key.lower(), []).append(value)
    for name in HEADERS:
        for value in raw.get(name, ()):
            text = decode_header(value)
            if text:
                yield TextBlock(text, Location(part="header", name=name))
    for value in raw.get("msip_labels", ()):
        yield from labels(decode_header(value))


def labels(value: str) -> Iterator[TextBlock]:
    """``MSIP_Label_<id>_Name=机密; ...`` pairs as properties blocks named by their keys."""
    for pair in value.split(";"):
        key, _, text = pair.partition("=")
        if key.strip() and text.strip():
            yield TextBlock(text.strip(), Location(part="properties", name=key.strip()))


def decode_header(raw: str) -> str:
    """A header value as text: unfolded, raw 8-bit bytes and encoded words decoded. Never raises."""
    text = _unescape(" ".join(raw.split()) if "\n" in raw else raw.strip())
    pieces: list[tuple[str | None, bytes | str]] = []
    pos = 0
    for m in _WORD.finditer(text):
        between = text[pos:m.start()]
        if between and not (between.isspace() and pieces and pieces[-1][0] is not None):
            pieces.append((None, between))
        charset, blob = m.group(1).lower(), _word_bytes(m.group(2), m.group(3))
        if pieces and pieces[-1][0] == charset:
            pieces[-1] = (charset, pieces[-1][1] + blob)  # type: ignore[operator]
        else:
            pieces.append((charset, blob))
        pos = m.end()
    pieces.append((None, text[pos:]))
    out = (decode_bytes(p, c) if isinstance(p, bytes) else p for c, p in pieces)
    return " ".join("".join(out).split())


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "bB":
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return text.encode("ascii", "replace")
    return binascii.a2b_qp(text.replace("_", " ").encode("ascii", "replace"), header=True)


def decode_bytes(blob: bytes, charset: str | None, guess: bool = False) -> str:
    """Text of ``blob`` in its declared charset; a wrong or missing one is UTF-8, else GB18030.

    ``guess``: for long texts (bodies) let the encoding detector choose instead of GB18030;
    short header bytes are too few to guess from.
    """
    codec = codec_name(charset) if charset else None
    if codec is not None:
        try:
            return blob.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError:
        codec = (detect_encoding(blob[:65536]) if guess else None) or "gb18030"
        return blob.decode(codec, errors="replace")


def _unescape(text: str) -> str:
    """Raw 8-bit header bytes (kept by the parser as surrogate escapes) decoded as UTF-8 or GBK."""
    if not _SURROGATES.search(text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"), None)


def _encrypted(msg: email.message.Message) -> bool:
    ctype = msg.get_content_type()
    if ctype == "multipart/encrypted":
        return True
    if ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        return str(msg.get_param("smime-type") or "enveloped-data").lower() != "signed-data"
    return False


def _leaves(part: email.message.Message, alternative: bool,
            depth: int) -> Iterator[tuple[email.message.Message, bool]]:
    """(leaf part, True when it is a text alternative not chosen as the body), in order."""
    ctype = part.get_content_type()
    if ctype == "message/rfc822" or not part.is_multipart():
        yield part, alternative
        return
    subs = part.get_payload()
    if depth >= MAX_NESTING or not isinstance(subs, list):
        return
    chosen = _preferred(subs) if ctype == "multipart/alternative" else None
    for i, sub in enumerate(subs):
        yield from _leaves(sub, alternative or (chosen is not None and i != chosen), depth + 1)


def _preferred(subs: list[email.message.Message]) -> int:
    types = [s.get_content_type() for s in subs]
    for wanted in ("text/plain", "text/html", "multipart/related"):
        if wanted in types:
            return types.index(wanted)
    return len(subs) - 1


def _is_body(part: email.message.Message) -> bool:
    return (part.get_content_type() in ("text/plain", "text/html") and filename(part) is None
            and part.get_content_disposition() != "attachment")


def body_text(part: email.message.Message) -> list[str]:
    """The lines of a text/plain part, or the visible lines of a text/html part."""
    blob = part.get_payload(decode=True)
    if not isinstance(blob, bytes):
        return []
    text = decode_bytes(blob, part.get_content_charset(), guess=True)
    if part.get_content_type() == "text/html":
        return list(visible_text(text))
    return text.splitlines()


def filename(part: email.message.Message) -> str | None:
    """The decoded file name of a part (RFC 2231, RFC 2047 or raw GBK/UTF-8 bytes), or None."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        raw = next((v for k, v in part.raw_items() if k.lower() == header), None)
        if raw is None:
            continue
        probe = email.message.Message()
        probe[header] = _unescape(" ".join(raw.split()))
        value = probe.get_param(param, header=header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, bytes as Latin-1 characters)
            value = decode_bytes(bytes(value[2] or "", "raw-unicode-escape"), value[0])
        if value:
            return decode_header(str(value))
    return None


def _member_name(part: email.message.Message, index: int) -> str:
    name = filename(part)
    ctype = part.get_content_type()
    if not name and ctype == "message/rfc822":
        inner = part.get_payload()
        raw = inner[0].raw_items() if isinstance(inner, list) and inner else ()
        subject = next((v for k, v in raw if k.lower() == "subject"), None)
        name = f"{decode_header(subject) if subject else 'message'}.eml"
    if not name:
        location = part.get("content-location")
        name = posixpath.basename(urllib.parse.urlsplit(str(location)).path) if location else ""
    if not name:
        name = f"part{index}{mimetypes.guess_extension(ctype) or '.bin'}"
    return safe_name(name) or f"part{index}"


def safe_name(name: str) -> str:
    """A file name that cannot pose as a path: control characters and slashes become "_"."""
    return _UNSAFE.sub("_", name).strip()


def _payload(part: email.message.Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            return inner[0].as_bytes(policy=email.policy.compat32.clone(max_line_length=0))
        return b""
    blob = part.get_payload(decode=True)
    return blob if isinstance(blob, bytes) else b""


class Members:
    """Counts a container's members against the ScanOptions limits and keeps their names unique."""

    def __init__(self, options: ScanOptions) -> None:
        self.options = options
        self.count = 0
        self.total = 0
        self.names: set[str] = set()

    def admit(self, size: int) -> str | None:
        """None when a member of ``size`` bytes may be read, else why it is skipped.

        Raises TooLarge when max_members members were already admitted.
        """
        limit = self.options.max_members
        if self.count >= limit:
            raise TooLarge(f"message has more than {limit} attachments; the first {limit} were scanned")
        self.count += 1
        if size > self.options.max_member_size:
            return f"attachment exceeds the {self.options.max_member_size}-byte per-member limit"
        if self.total + size > self.options.max_total_size:
            return f"attachments exceed the {self.options.max_total_size}-byte total limit"
        self.total += size
        return None

    def unique(self, name: str) -> str:
        stem, ext = posixpath.splitext(name)
        candidate, n = name, 1
        while candidate in self.names:
            n += 1
            candidate = f"{stem} ({n}){ext}"
        self.names.add(candidate)
        return candidate

    def member(self, name: str, data: bytes) -> Member:
        reason = self.admit(len(data))
        name = self.unique(name)
        if reason is not None:
            return Member(name, None, None, Status.SKIPPED, reason, size=len(data))
        return Member(name, data, None)
