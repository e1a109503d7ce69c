#!/usr/bin/env python3
"""Marking accuracy of docscan on a labelled corpus: precision, recall and F1 per level.

    python benchmarks/accuracy.py [--corpus DIR] [--labels FILE] [--report FILE] [--python PY]

Runs ``python cli.py scan CORPUS --format jsonl --output TMP --quiet`` from the repository
root (or reads an existing JSON Lines report given with --report), joins each record's
``marking.level`` with the expected level in the labels file by file name, and prints:

* precision / recall / F1 per level and overall (micro) plus exact-match accuracy;
  a file is correct when the predicted level equals the expected one (both may be
  none); a wrong level counts as a false positive of the predicted level and a false
  negative of the expected one;
* false positives per hard-negative kind, law texts first (target 0);
* one line per format, and the list of misclassified files.

The labels file is tab-separated with a header: file, format, expected_level (empty = no
marking), where, hard_negative_kind, note (corpus/labelled/labels.tsv). The last line is
``accuracy: f1=... precision=... recall=... exact=... law_fp=N``. Exit status is 0 whatever
the figures (this reports, it does not gate); 2 on a usage error or when no report was
produced at all.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ("绝密", "机密", "秘密", "核心商密", "普通商密", "工作秘密", "内部")
NONE = "—"


@dataclass(frozen=True, slots=True)
class Label:
    file: str
    format: str
    expected: str | None
    where: str
    kind: str
    note: str

    @property
    def ocr(self) -> bool:
        """Labelled as read by OCR: ``ocr`` opens the where column (or the note)."""
        return self.where.split(":", 1)[0].strip() == "ocr" or self.note.split(";", 1)[0].strip() == "ocr"


@dataclass(frozen=True, slots=True)
class Prediction:
    level: str | None
    status: str
    text: str = ""  # the marking's text and location, for the misclassified list
    location: str = ""


@dataclass(frozen=True, slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


def load_labels(path: Path) -> dict[str, Label]:
    """Labels keyed by file path relative to the corpus. Raises ValueError on a malformed file.

    Columns are found by header name: file, format, expected_level (empty or 无 = no marking),
    and optionally where, hard_negative_kind, note.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t") if lines else []
    if not {"file", "expected_level"} <= set(header):
        raise ValueError(f"{path}: the header must name the columns file and expected_level")
    labels: dict[str, Label] = {}
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        cell = dict(zip(header, line.split("\t"), strict=False))
        level = cell.get("expected_level", "").strip()
        level = "" if level in ("无", "-", "none") else level
        if level and level not in LEVELS:
            raise ValueError(f"{path}:{n}: unknown level {level!r}")
        name = cell["file"]
        fmt_ = cell.get("format") or name.rsplit(".", 1)[-1]
        labels[name] = Label(name, fmt_, level or None, cell.get("where", ""),
                             cell.get("hard_negative_kind") or "none", cell.get("note", ""))
    return labels


def run_scan(corpus: Path, python: str, out: Path) -> float:
    """Run the scanner over ``corpus`` writing JSONL to ``out``; returns wall seconds."""
    cmd = [python, "cli.py", "scan", str(corpus), "--format", "jsonl", "--output", str(out), "--quiet",
           "--no-model"]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    if proc.returncode not in (0, 1):
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        print(f"accuracy: scanner exited {proc.returncode}: {' '.join(cmd)}\n{tail}", file=sys.stderr)
    return wall


def record_key(path: str, corpus: Path) -> str:
    """The record's path relative to the corpus (posix), or its base name when it lies elsewhere."""
    outer, sep, inner = path.partition("!/")
    p = Path(outer)
    try:
        rel = p.resolve().relative_to(corpus.resolve()).as_posix()
    except ValueError:
        rel = p.name
    return rel + sep + inner


def load_predictions(report: Path, corpus: Path) -> dict[str, Prediction]:
    predictions: dict[str, Prediction] = {}
    for n, line in enumerate(report.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            key = record_key(rec["path"], corpus)
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            print(f"accuracy: {report}:{n}: not a record ({exc})", file=sys.stderr)
            continue
        marking = rec.get("marking") or {}
        loc = marking.get("location") or {}
        where = " ".join(f"{k}={v}" for k, v in loc.items())
        if key in predictions:
            print(f"accuracy: duplicate record for {key}; keeping the first", file=sys.stderr)
            continue
        predictions[key] = Prediction(marking.get("level"), str(rec.get("status")),
                                      marking.get("text", ""), where)
    return predictions


def counts_for(pairs: list[tuple[Label, Prediction]], level: str) -> Counts:
    c = Counts()
    for label, pred in pairs:
        exp, got = label.expected, pred.level
        c = c.add(Counts(int(exp == got == level), int(got == level != exp), int(exp == level != got)))
    return c


def total(pairs: list[tuple[Label, Prediction]]) -> Counts:
    c = Counts()
    for label, pred in pairs:
        exp, got = label.expected, pred.level
        c = c.add(Counts(int(exp is not None and exp == got), int(got is not None and got != exp),
                         int(exp is not None and exp != got)))
    return c


def fmt(x: float | None) -> str:
    return "    -" if x is None else f"{x:5.3f}"


def pad(text: str, width: int) -> str:
    """Left-justify by display width (CJK characters take two columns)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def row(name: str, c: Counts, extra: str = "") -> str:
    return (f"{pad(name, 10)} {c.tp:4d} {c.fp:4d} {c.fn:4d}  {fmt(c.precision)}  {fmt(c.recall)}  {fmt(c.f1)}"
            + (f"  {extra}" if extra else ""))


HEAD = f"{pad('', 10)}   TP   FP   FN   prec   recall  F1   "


def print_tables(pairs: list[tuple[Label, Prediction]]) -> Counts:
    print(HEAD.replace(" " * 10, "level     ", 1) + "  support")
    for level in LEVELS:
        support = sum(1 for lb, _ in pairs if lb.expected == level)
        print(row(level, counts_for(pairs, level), str(support)))
    overall = total(pairs)
    f1s = [f for f in (counts_for(pairs, lv).f1 for lv in LEVELS) if f is not None]
    macro = sum(f1s) / len(f1s) if f1s else None
    marked = sum(1 for lb, _ in pairs if lb.expected)
    print(row("overall", overall, f"{marked} (micro; macro F1 {fmt(macro)}; target F1 >= 0.97)"))
    detection = Counter((lb.expected is not None, p.level is not None) for lb, p in pairs)
    det = Counts(detection[(True, True)], detection[(False, True)], detection[(True, False)])
    print(row("any-mark", det, "marked vs unmarked, level ignored"))
    print()
    print(HEAD.replace(" " * 10, "format    ", 1) + "  exact")
    for name in sorted({lb.format for lb, _ in pairs if not lb.ocr}, key=format_order):
        print(format_row(name, [(lb, p) for lb, p in pairs if lb.format == name and not lb.ocr]))
    ocr = [(lb, p) for lb, p in pairs if lb.ocr]
    if ocr:
        print(format_row("ocr", ocr))
        for name in sorted({lb.format for lb, _ in ocr}, key=format_order):
            print(format_row(f"ocr:{name}", [(lb, p) for lb, p in ocr if lb.format == name]))
    return overall


FORMAT_ORDER = ("docx", "pdf", "xlsx", "txt", "pptx", "ofd", "html", "rtf", "doc", "xls", "ppt", "wps",
                "eml", "msg", "zip", "7z", "tar", "image")


def format_order(name: str) -> tuple[int, str]:
    """The first four formats first, then the later ones, containers, images; unknown ones last."""
    return (FORMAT_ORDER.index(name) if name in FORMAT_ORDER else len(FORMAT_ORDER), name)


def format_row(name: str, sub: list[tuple[Label, Prediction]]) -> str:
    exact = sum(1 for lb, p in sub if lb.expected == p.level)
    broken = sum(1 for _, p in sub if p.status != "ok")
    return row(name, total(sub), f"{exact}/{len(sub)}" + (f"  ({broken} not ok)" if broken else ""))


def print_negatives(pairs: list[tuple[Label, Prediction]]) -> int:
    """False positives per hard-negative kind; returns the count on law texts."""
    kinds = sorted({lb.kind for lb, _ in pairs if lb.expected is None}, key=lambda k: (k != "law", k))
    parts = []
    for kind in kinds:
        sub = [p for lb, p in pairs if lb.expected is None and lb.kind == kind]
        parts.append(f"{kind} {sum(1 for p in sub if p.level)}/{len(sub)}")
    law_fp = sum(1 for lb, p in pairs if lb.kind == "law" and p.level)
    print()
    print(f"law-text false positives: {law_fp} (target 0)")
    print("false positives on unmarked files by kind: " + ", ".join(parts))
    return law_fp


def print_misclassified(pairs: list[tuple[Label, Prediction]]) -> None:
    wrong = [(lb, p) for lb, p in pairs if lb.expected != p.level]
    print()
    print(f"misclassified: {len(wrong)}")
    for lb, p in wrong:
        got = p.level or (NONE if p.status == "ok" else f"{NONE} [{p.status}]")
        seen = f" «{p.text}» @ {p.location}" if p.level else ""
        print(f"  {lb.file}\t{lb.format}\texpected {lb.expected or NONE} ({lb.where or lb.kind})"
              f"\tgot {got}{seen}")


def evaluate(labels: dict[str, Label], predictions: dict[str, Prediction]) -> None:
    missing = [k for k in labels if k not in predictions]
    unlabelled = [k for k in predictions if k not in labels]
    pairs = [(lb, predictions.get(k, Prediction(None, "missing"))) for k, lb in sorted(labels.items())]
    print(f"files: labelled={len(labels)} reported={len(predictions)} missing={len(missing)} "
          f"unlabelled={len(unlabelled)}")
    for k in missing[:20]:
        print(f"  missing from report: {k}")
    statuses = Counter(p.status for _, p in pairs if p.status != "ok")
    if statuses:
        print("labelled files without an ok record: "
              + ", ".join(f"{status} {n}" for status, n in statuses.most_common()))
    print()
    overall = print_tables(pairs)
    law_fp = print_negatives(pairs)
    print_misclassified(pairs)
    exact = sum(1 for lb, p in pairs if lb.expected == p.level) / len(pairs) if pairs else 0.0
    ocr = total([(lb, p) for lb, p in pairs if lb.ocr])
    print(f"\naccuracy: f1={fmt(overall.f1).strip()} precision={fmt(overall.precision).strip()} "
          f"recall={fmt(overall.recall).strip()} exact={exact:.3f} law_fp={law_fp} "
          f"ocr_f1={fmt(ocr.f1).strip()}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "labelled")
    ap.add_argument("--labels", type=Path, help="default: CORPUS/labels.tsv")
    ap.add_argument("--report", type=Path, help="an existing JSONL report of CORPUS (skips the scan)")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs cli.py")
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    try:
        labels = load_labels(args.labels or corpus / "labels.tsv")
    except (OSError, ValueError) as exc:
        print(f"accuracy: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="docscan-accuracy-") as tmp:
        report = args.report or Path(tmp) / "report.jsonl"
        if args.report is None:
            print(f"scan: {run_scan(corpus, args.python, report):.1f} s wall for {corpus}")
        if not report.is_file():
            print(f"accuracy: no report at {report}", file=sys.stderr)
            return 2
        evaluate(labels, load_predictions(report, corpus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
