"""read_text(path, options): the text of a document in any format the scanner reads.

For training and evaluating the classifier on an organisation's own documents. Members
of containers are not followed; the file name and document properties are left out.
"""

from __future__ import annotations

import os

from scanner import evidence
from scanner.extractors import EXTRACTORS
from scanner.options import ScanOptions
from scanner.records import TextBlock
from scanner.sniff import probe

NOT_CONTENT = frozenset({"filename", "properties", "sheetname"})


def read_text(fspath: str, options: ScanOptions, limit: int = 200_000) -> str:
    """Up to ``limit`` characters of the document's text, "" when no extractor reads it.

    Raises OSError and the extractors' errors (EncryptedFile, CorruptFile, ...).
    """
    with evidence.open_readonly(fspath) as fh:
        pr = probe(fh, evidence.fstat(fh).st_size, os.path.basename(fspath))
        extractor = next((x for x in EXTRACTORS if x.sniff(pr)), None)
        if extractor is None:
            return ""
        parts: list[str] = []
        size = 0
        for item in extractor.extract(fh, options):
            if isinstance(item, TextBlock) and item.location.part not in NOT_CONTENT:
                parts.append(item.text)
                size += len(item.text) + 1
                if size >= limit:
                    break
        return "\n".join(parts)[:limit]
