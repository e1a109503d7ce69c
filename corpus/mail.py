"""E-mail messages (.eml) written by hand, as Chinese mail clients send them: deterministic bytes.

Headers: Subject as an RFC 2047 encoded word (UTF-8 or GBK, base64), From/To with encoded display
names, a fixed Date and Message-ID. Body: text/plain base64 in UTF-8 or GBK (optionally with an
HTML alternative). Attachments: base64 parts named both ways clients do it, RFC 2231
(``filename*=UTF-8''...``) or an encoded word in ``name=`` (Foxmail, Outlook in China).
Boundaries are fixed strings, so a rerun gives the same bytes.
"""

from __future__ import annotations

import base64
import urllib.parse
from dataclasses import dataclass
from html import escape

MIME_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
              "pdf": "application/pdf", "txt": "text/plain", "zip": "application/zip",
              "ofd": "application/ofd", "doc": "application/msword"}
DATE = "Mon, 01 Jan 2024 09:30:00 +0800"


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    rfc2231: bool = True  # filename*=UTF-8''... ; else name="=?GBK?B?...?="


@dataclass(frozen=True)
class Mail:
    subject: str
    sender: tuple[str, str]  # display name, address
    to: tuple[tuple[str, str], ...]
    body: tuple[str, ...]  # lines
    attachments: tuple[Attachment, ...] = ()
    charset: str = "utf-8"  # body and header charset: utf-8 or gbk
    html: bool = False  # multipart/alternative with an HTML copy of the body
    msgid: str = "0001"


def encoded_word(text: str, charset: str) -> str:
    if text.isascii():
        return text
    label = "GBK" if charset == "gbk" else "UTF-8"
    return f"=?{label}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def _address(name: str, addr: str, charset: str) -> str:
    return f"{encoded_word(name, charset)} <{addr}>"


def _b64(blob: bytes) -> str:
    text = base64.b64encode(blob).decode()
    return "\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def _text_part(mail: Mail) -> list[str]:
    label = "GBK" if mail.charset == "gbk" else "UTF-8"
    plain = "\r\n".join(mail.body) + "\r\n"
    part = [f'Content-Type: text/plain; charset="{label}"', "Content-Transfer-Encoding: base64", "",
            _b64(plain.encode(mail.charset))]
    if not mail.html:
        return part
    html = "<html><body>" + "".join(f"<div>{escape(x) or '<br>'}</div>" for x in mail.body) + "</body></html>"
    inner = f"----=_Alt_{mail.msgid}"
    return [f'Content-Type: multipart/alternative; boundary="{inner}"', "", f"--{inner}", *part,
            f"--{inner}", f'Content-Type: text/html; charset="{label}"', "Content-Transfer-Encoding: base64", "",
            _b64(html.encode(mail.charset)), f"--{inner}--"]


def _attachment_part(att: Attachment) -> list[str]:
    ext = att.name.rsplit(".", 1)[-1].lower()
    ctype = MIME_TYPES.get(ext, "application/octet-stream")
    if att.rfc2231:
        quoted = urllib.parse.quote(att.name.encode("utf-8"), safe="")
        head = [f"Content-Type: {ctype}", f"Content-Disposition: attachment; filename*=UTF-8''{quoted}"]
    else:
        word = encoded_word(att.name, "gbk")
        head = [f'Content-Type: {ctype}; name="{word}"', f'Content-Disposition: attachment; filename="{word}"']
    return head + ["Content-Transfer-Encoding: base64", "", _b64(att.data)]


def eml_bytes(mail: Mail) -> bytes:
    """The message as bytes (CRLF line ends)."""
    cs = mail.charset
    head = [f"From: {_address(*mail.sender, cs)}",
            "To: " + ", ".join(_address(n, a, cs) for n, a in mail.to),
            f"Subject: {encoded_word(mail.subject, cs)}", f"Date: {DATE}",
            f"Message-ID: <{mail.msgid}.docscan@mail.example.cn>", "MIME-Version: 1.0", "X-Mailer: Foxmail 7.2"]
    if not mail.attachments:
        lines = head + _text_part(mail)
    else:
        outer = f"----=_Mixed_{mail.msgid}"
        lines = head + [f'Content-Type: multipart/mixed; boundary="{outer}"', "",
                        "This is a multi-part message in MIME format.", "", f"--{outer}", *_text_part(mail)]
        for att in mail.attachments:
            lines += [f"--{outer}", *_attachment_part(att)]
        lines.append(f"--{outer}--")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
