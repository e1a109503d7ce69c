"""Labelled documents for training and evaluation: folders per label, or a scan report."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.options import ScanOptions
from scanner.text import read_text
from scanner.walk import walk

# Marking levels -> the classifier's label families (a 商密 is not a state secret).
FAMILY = {"绝密": "涉密", "机密": "涉密", "秘密": "涉密",
          "核心商密": "内部", "普通商密": "内部", "工作秘密": "内部", "内部": "内部"}
LABELS = ("涉密", "内部", "公开")


@dataclass(frozen=True, slots=True)
class Doc:
    text: str
    label: str
    source: str  # the path it was read from


def from_folders(spec: Iterable[tuple[str, str]], options: ScanOptions,
                 problems: list[str] | None = None) -> list[Doc]:
    """Documents under each (label, path); unreadable files are listed in ``problems``."""
    docs = []
    for label, top in spec:
        for entry in walk([top]):
            if entry.skip:
                continue
            doc = _read(entry.fspath, label, options, problems)
            if doc:
                docs.append(doc)
    return docs


def from_report(report: str, options: ScanOptions, problems: list[str] | None = None) -> list[Doc]:
    """Files a scan found marked, labelled by their level's family (the marks are masked later)."""
    docs = []
    with open(report, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            level = (rec.get("marking") or {}).get("level")
            if rec.get("status") != "ok" or level not in FAMILY:
                continue
            if "!/" in rec["path"]:
                if problems is not None:
                    problems.append(f"{rec['path']}: archive members are not re-read for training")
                continue
            doc = _read(rec["path"], FAMILY[level], options, problems)
            if doc:
                docs.append(doc)
    return docs


def manifest_hash(docs: Iterable[Doc]) -> str:
    """sha256 over (source, label, text hash) of every document, in a stable order."""
    h = hashlib.sha256()
    for line in sorted(f"{d.source}\t{d.label}\t{hashlib.sha256(d.text.encode()).hexdigest()}" for d in docs):
        h.update(line.encode() + b"\n")
    return h.hexdigest()


def _read(path: str, label: str, options: ScanOptions, problems: list[str] | None) -> Doc | None:
    try:
        text = read_text(path, options)
    except Exception as exc:  # the per-file boundary of training: a bad file is listed, never fatal
        if problems is not None:
            problems.append(f"{os.fsencode(path).decode('utf-8', 'backslashreplace')}: {exc}")
        return None
    return Doc(text, label, path) if text.strip() else None
