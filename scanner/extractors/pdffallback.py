"""pdfminer (through pdfplumber) as the PDF extractor's second reader: pages PDFium read only in part,
and whole files PDFium cannot open.

Not an extractor itself (it has no FORMAT). pdfplumber is imported on first use; its wrapped
pdfminer exceptions are unwrapped to say "encrypted" when that is what happened.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors.layout import Seg
from scanner.extractors.pdftext import clean


class PdfminerPages:
    """pdfplumber's view of the same bytes, opened on first use, for pages PDFium read in part."""

    def __init__(self, blob: bytes) -> None:
        self._blob = blob
        self._pdf: Any = None
        self._failed = False

    def segments(self, index: int) -> tuple[list[Seg], float] | None:
        """Page ``index`` as pdfminer reads it; None when it cannot."""
        if self._failed:
            return None
        try:
            if self._pdf is None:
                import pdfplumber

                self._pdf = pdfplumber.open(io.BytesIO(self._blob))
            return plumber_segments(self._pdf.pages[index])
        except pdfminer_errors():
            self._failed = self._pdf is None
            return None

    def close(self) -> None:
        if self._pdf is not None:
            close_quietly(self._pdf)


def close_quietly(pdf: Any) -> None:
    """Close a pdfplumber document. Its close() walks the pages again, so on a damaged file it
    raises the error the read already reported (and would hide that report)."""
    try:
        pdf.close()
    except pdfminer_errors():
        pass


def plumber_segments(page: Any) -> tuple[list[Seg], float]:
    """A pdfplumber page's text lines (top measured from the page top) and its height."""
    lines = page.extract_text_lines(return_chars=False)
    segments = [Seg(clean(line["text"]), line["x0"], line["top"], line["x1"], line["bottom"])
                for line in lines if line["text"].strip()]
    page.close()
    return segments, float(page.height)


@functools.cache
def pdfminer_errors() -> tuple[type[BaseException], ...]:
    """What pdfminer raises on damaged input: its own types, pdfplumber's wrapper, builtins."""
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    return (PdfminerException, MalformedPDFException, PSException, ValueError, KeyError, TypeError,
            IndexError, AttributeError, AssertionError, EOFError, OSError)


def pdfminer_error(exc: BaseException, reason: str) -> EncryptedFile | CorruptFile:
    """pdfplumber wraps pdfminer's exceptions; an encryption error inside means 'encrypted'."""
    from pdfminer.pdfdocument import PDFEncryptionError

    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    if isinstance(inner, PDFEncryptionError):
        return EncryptedFile("password-protected PDF")
    detail = " ".join(f"{type(inner).__name__}: {inner}".split())[:200]
    return CorruptFile(f"unreadable PDF ({reason}; pdfminer: {detail})")
