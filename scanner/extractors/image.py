"""Images (JPEG, PNG, TIFF, BMP, GIF, WebP): metadata, then the text OCR reads off the pixels.

Properties come from the EXIF tags a Windows user or a scanner fills in (ImageDescription,
Artist, Copyright, the UTF-16 XPTitle/XPSubject/XPKeywords/XPComment/XPAuthor tags, the Exif
UserComment), from PNG text chunks and from JPEG/GIF comments. Pixels are decoded only for
OCR: each TIFF frame is a page, other formats have one page (an animation's first frame).
A frame is turned upright by its EXIF Orientation before OCR, so bands are the page's.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from scanner import ocr
from scanner.errors import CorruptFile, TooLarge
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

if TYPE_CHECKING:
    from PIL.Image import Image

FORMAT = "image"

MAX_PIXELS = 180_000_000  # a frame larger than this is not decoded (Pillow's own bomb limit)
MAX_VALUE = 4096  # characters kept of one metadata value
EXIF_IFD = 0x8769
USER_COMMENT = 0x9286
ASCII_TAGS = {0x010E: "ImageDescription", 0x013B: "Artist", 0x8298: "Copyright", 0x010D: "DocumentName"}
XP_TAGS = {0x9C9B: "XPTitle", 0x9C9F: "XPSubject", 0x9C9E: "XPKeywords", 0x9C9C: "XPComment",
           0x9C9D: "XPAuthor"}
PNG_TEXT_KEYS = ("Title", "Subject", "Description", "Comment", "Author", "Keywords", "Copyright")
BMP_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a")


def sniff(probe: Probe) -> bool:
    """True for the magic bytes of JPEG, PNG, TIFF, GIF, WebP, or a BMP with a sane header."""
    head = probe.head
    if head.startswith(_SIGNATURES):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return _plausible_bmp(head, probe.size)


def _plausible_bmp(head: bytes, size: int) -> bool:
    """"BM", reserved words zero, the pixel offset inside the file, a known DIB header size."""
    if len(head) < 26 or head[:2] != b"BM":
        return False
    _, reserved, offset, dib = struct.unpack_from("<IIII", head, 2)
    return reserved == 0 and 14 + dib <= offset < max(size, 1) and dib in BMP_DIB_SIZES


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield metadata ("properties"), then, when ``options.ocr``, OCR lines ("body", name "ocr").

    Raises CorruptFile when Pillow cannot read the header or decode an OCRed frame, TooLarge for
    a frame over MAX_PIXELS pixels.
    """
    budget = ocr.Budget(options)
    image = _open(data.read())
    with image:
        yield from _properties(image)
        frames = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1
        for index in range(frames):
            if not budget.take():
                return
            yield from ocr.page_blocks(_frame(image, index), index + 1)


def _open(blob: bytes) -> Image:
    from PIL import Image as PILImage

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            return PILImage.open(io.BytesIO(blob))
    except PILImage.DecompressionBombError as exc:
        raise TooLarge(f"image over {MAX_PIXELS} pixels") from exc
    except _image_errors() as exc:
        raise CorruptFile(f"unreadable image ({_detail(exc)})") from exc


def _frame(image: Image, index: int) -> Image:
    """Frame ``index`` decoded (a JPEG at a reduced scale when it is far larger than OCR needs),
    turned upright as its EXIF Orientation says (a phone photo of a page is often stored sideways)."""
    from PIL import ImageOps

    try:
        image.seek(index)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise TooLarge(f"image frame of {width}x{height} pixels is over the limit ({MAX_PIXELS})")
        if image.format == "JPEG":
            image.draft("RGB", (ocr.MAX_SIDE, ocr.MAX_SIDE))
        image.load()
        return ImageOps.exif_transpose(image)
    except _image_errors() as exc:
        raise CorruptFile(f"unreadable image data ({_detail(exc)})") from exc


def _image_errors() -> tuple[type[BaseException], ...]:
    """What Pillow raises on a damaged file (truncated data, a broken chunk, a bad header)."""
    from PIL import UnidentifiedImageError

    return (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError,
            IndexError, KeyError, TypeError, ZeroDivisionError)


def _detail(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


def _properties(image: Image) -> Iterator[TextBlock]:
    """EXIF text tags, PNG text chunks and the comment, in that order, each once."""
    seen: set[str] = set()
    for name, value in [*_exif_values(image), *_info_values(image.info)]:
        text = " ".join(value.replace("\x00", " ").split())[:MAX_VALUE]
        if text and name not in seen:
            seen.add(name)
            yield TextBlock(text, Location(part="properties", name=name))


def _exif_values(image: Image) -> list[tuple[str, str]]:
    """(tag name, text) of the EXIF tags that carry text; nothing when the EXIF is unreadable."""
    try:
        exif = image.getexif()
        values = [(name, _ascii(exif[tag])) for tag, name in ASCII_TAGS.items() if tag in exif]
        values += [(name, _utf16le(exif[tag])) for tag, name in XP_TAGS.items() if tag in exif]
        comment = exif.get_ifd(EXIF_IFD).get(USER_COMMENT) if EXIF_IFD in exif else None
    except _image_errors():
        return []
    if comment is not None:
        values.append(("UserComment", _user_comment(comment, exif.endian or "<")))
    return values


def _info_values(info: dict[str, Any]) -> list[tuple[str, str]]:
    """PNG tEXt/iTXt/zTXt chunks read before the pixels, and a JPEG or GIF comment."""
    values = [(key, str(info[key])) for key in PNG_TEXT_KEYS if isinstance(info.get(key), str)]
    comment = info.get("comment")
    if isinstance(comment, bytes):
        values.append(("Comment", _decode(comment)))
    elif isinstance(comment, str):
        values.append(("Comment", comment))
    return values


def _ascii(value: Any) -> str:
    """An EXIF ASCII tag: Pillow gives Latin-1 text; the bytes are often UTF-8 or GBK."""
    if isinstance(value, bytes):
        return _decode(value)
    if isinstance(value, str):
        try:
            return _decode(value.encode("latin-1"))
        except UnicodeEncodeError:
            return value
    return ""


def _utf16le(value: Any) -> str:
    """A Windows XP* tag: UTF-16LE bytes (Pillow may give a tuple of byte values)."""
    raw = bytes(value) if isinstance(value, (bytes, tuple, list)) else b""
    return raw[:len(raw) // 2 * 2].decode("utf-16-le", errors="replace").rstrip("\x00")


def _user_comment(value: Any, endian: str) -> str:
    """The Exif UserComment: an 8-byte character code, then the text (UNICODE in file order)."""
    raw = value if isinstance(value, bytes) else str(value).encode("latin-1", errors="replace")
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return body.decode("utf-16", errors="replace")
        codec = "utf-16-le" if endian == "<" else "utf-16-be"
        return body[:len(body) // 2 * 2].decode(codec, errors="replace")
    if code.startswith(b"JIS"):
        return body.decode("shift_jis", errors="replace")
    return _decode(body if len(raw) >= 8 else raw)


def _decode(raw: bytes) -> str:
    raw = raw.rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")
