#!/usr/bin/env python3
"""Content classifier figures: held-out accuracy, training time on 2,000 documents, prediction cost.

    python benchmarks/classifier.py [--model models/trained] [--skip-train-timing]

1. Held-out evaluation of the model on corpus/eval/ (written by a different writer than the
   training set) and corpus/public-eval/ (public texts of other issuers and genres than the
   training laws): precision/recall/F1 per label, sensitive (涉密 or 内部) vs 公开, the
   false-positive rate on public text, the confusion matrix.
2. Training time on 2,000 documents (the training corpus, cycled and cut into documents of
   varied length until there are 2,000), on this machine's cores.
3. Average prediction time per document over the held-out set (model loaded once).
Prints figures; exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from models.classify import SHIPPED, Classifier  # noqa: E402
from models.commands import report  # noqa: E402
from models.corpus import Doc, from_folders  # noqa: E402
from models.train import train  # noqa: E402
from scanner.options import ScanOptions  # noqa: E402

CORPUS = os.path.join(ROOT, "corpus")
EVAL = [("涉密", "eval/涉密"), ("内部", "eval/内部"), ("公开", "eval/公开"), ("公开", "public-eval")]
TRAIN = [("涉密", "train/涉密"), ("内部", "train/内部"), ("公开", "train/公开"), ("公开", "public-train")]


def load(spec: list[tuple[str, str]]) -> list[Doc]:
    folders = [(label, os.path.join(CORPUS, path)) for label, path in spec if os.path.isdir(os.path.join(CORPUS, path))]
    return from_folders(folders, ScanOptions(ocr=False, classify=False))


def two_thousand(docs: list[Doc]) -> list[Doc]:
    """2,000 documents cut from the training texts (lengths 300-3,000 characters)."""
    out, i = [], 0
    while len(out) < 2000:
        d = docs[i % len(docs)]
        start = (i // len(docs)) * 700 % max(1, len(d.text))
        size = 300 + (i * 137) % 2700
        piece = (d.text[start:] + d.text)[:size]
        out.append(Doc(piece, d.label, f"{d.source}#{i}"))
        i += 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(SHIPPED))
    ap.add_argument("--skip-train-timing", action="store_true")
    args = ap.parse_args()
    clf = Classifier.load(args.model)
    held_out = load(EVAL)
    print(report(clf, held_out))
    started = time.perf_counter()
    for d in held_out:
        clf.predict(d.text)
    per_doc = (time.perf_counter() - started) / max(1, len(held_out)) * 1000
    print(f"\nprediction: {per_doc:.1f} ms per document on average over {len(held_out)} documents (one core)")
    if not args.skip_train_timing:
        docs = two_thousand(load(TRAIN))
        started = time.perf_counter()
        train(docs)
        print(f"training: {time.perf_counter() - started:.1f} s for {len(docs)} documents "
              f"(4-fold calibration + final fit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
