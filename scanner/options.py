"""ScanOptions: every setting of a scan, passed explicitly from the CLI down."""

from __future__ import annotations

import os
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ScanOptions:
    jobs: int = max(1, os.cpu_count() or 1)
    timeout: float = 60.0  # seconds per file, then the worker is killed
    max_size: int = 200 * MB  # larger files get a `skipped` record
    excludes: tuple[str, ...] = ()  # glob patterns matched against names and paths
    quiet: bool = False
    max_text_chars: int = 50_000_000  # text taken from one file before it is cut short
    max_cells: int = 5_000_000  # spreadsheet cells read from one workbook
    max_findings: int = 200  # mention findings kept per file; markings are always kept
    # Containers (archives, mail, embedded files): limits a decompression bomb cannot pass.
    max_depth: int = 5  # containers inside containers
    max_members: int = 100_000  # members of one container
    max_member_size: int = 200 * MB  # uncompressed bytes of one member
    max_total_size: int = 2048 * MB  # uncompressed bytes of all members of one container
    max_ratio: int = 200  # uncompressed / compressed size of one member
    # OCR of images and of PDF pages without a text layer.
    ocr: bool = True
    ocr_max_pages: int = 20  # pages (or images) of one file that are OCRed
    rules_dir: str | None = None  # marking rules folder; None = the built-in markings/rules/
    cluster: str | None = None  # a Dask scheduler address (tcp:// or tls://); None = the local process pool
    classify: bool = True  # fill `suspected` with the content classifier
    model: str | None = None  # a trained model folder; None = the shipped models/trained/
    max_memory: int = 4096 * MB  # address space of one worker; exceeding it is that file's error
    # Extra detectors (scanner/detectors.py), each off unless asked for.
    pii: bool = False  # personal information (sensitive_info findings)
    redact_pii: bool = True  # personal numbers appear masked in every report
    keywords: tuple[str, ...] = ()  # keyword list files (关键词检查)
    fingerprints: str | None = None  # a store holding registered fingerprints of marked documents
    rule_packs: tuple[str, ...] = ()  # optional marking regimes, e.g. ("tw", "en")
    fingerprint_marked: bool = False  # register the fingerprints of every marked file the scan finds
    fingerprint_all: bool = False  # register every document read, marked or not (docscan fingerprint add)
    fingerprint_level: str | None = None  # the level of a registered document that carries no marking
