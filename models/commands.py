"""`docscan train` and `docscan evaluate`: corpus in, model or figures out (text for people on stderr/stdout)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from models import store
from models.classify import SHIPPED, Classifier
from models.corpus import LABELS, Doc, from_folders, from_report
from models.train import evaluation, predict_labels, train
from scanner.errors import ModelError
from scanner.options import ScanOptions

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
# The held-out set: another writer's documents, and public texts of other issuers and genres than training's.
EVAL_SPEC = (("涉密", "eval/涉密"), ("内部", "eval/内部"), ("公开", "eval/公开"), ("公开", "public-eval"))


def train_command(args: argparse.Namespace) -> int:
    problems: list[str] = []
    options = ScanOptions(ocr=False, classify=False)
    docs = from_folders(args.classes, options, problems)
    if args.from_report:
        docs += from_report(args.from_report, options, problems)
    for problem in problems:
        print(f"docscan: 跳过 (skipped): {problem}", file=sys.stderr)
    counts = Counter(d.label for d in docs)
    print(f"docscan: 训练文件 {len(docs)} 个: {dict(counts)}", file=sys.stderr)
    try:
        data = train(docs, max_fpr=args.max_fpr)
    except ValueError as exc:
        print(f"docscan: 无法训练 (cannot train): {exc}", file=sys.stderr)
        return 2
    card = store.save(data, args.out)
    cv = card["cross_validated"]
    print(f"docscan: 模型已写入 {args.out}；交叉验证 敏感(涉密或内部) F1={cv['sensitive']['f1']:.3f}，"
          f"公开误报率={cv['public_false_positive_rate']:.3f}，阈值={card['threshold']:.3f}", file=sys.stderr)
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    try:
        classifier = Classifier.load(args.model or SHIPPED)
    except ModelError as exc:
        print(f"docscan: 模型无法使用 (model error): {exc}", file=sys.stderr)
        return 2
    spec = args.classes or [(label, str(CORPUS / path)) for label, path in EVAL_SPEC if (CORPUS / path).is_dir()]
    if not spec:
        print("docscan: 没有评估文件：请用 --class LABEL=DIR 指定", file=sys.stderr)
        return 2
    docs = from_folders(spec, ScanOptions(ocr=False, classify=False))
    print(report(classifier, docs))
    if args.record:
        record_held_out(Path(args.model or SHIPPED), classifier, docs, spec)
    return 0


def record_held_out(folder: Path, classifier: Classifier, docs: list[Doc], spec: list[tuple[str, str]]) -> None:
    """Write the held-out figures into the model card (the card is not among the hashed files)."""
    import json

    probs = classifier.probabilities([d.text for d in docs])
    figures = evaluation([d.label for d in docs], predict_labels(probs, classifier.classes,
                                                                   classifier.data.threshold))
    card_path = folder / store.CARD
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["held_out"] = {"documents": len(docs), "folders": [f"{label}={path}" for label, path in spec],
                        "figures": figures}
    card_path.write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")


def report(classifier: Classifier, docs: list[Doc]) -> str:
    """Per-label precision/recall/F1, sensitive vs public, and a confusion matrix, as text."""
    probs = classifier.probabilities([d.text for d in docs])
    predicted = predict_labels(probs, classifier.classes, classifier.data.threshold)
    truth = [d.label for d in docs]
    figures = evaluation(truth, predicted)
    lines = [f"评估文件 {len(docs)} 个；阈值 {classifier.data.threshold:.3f}", "",
             f"{'label':8} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>7}"]
    for label in [*LABELS, "sensitive"]:
        if label in figures:
            f = figures[label]
            lines.append(f"{label:8} {f['precision']:9.3f} {f['recall']:7.3f} {f['f1']:6.3f} {f['support']:7d}")
    lines += [f"公开误报率 (public false-positive rate): {figures['public_false_positive_rate']:.3f}",
              f"accuracy: {figures['accuracy']:.3f}", "", "confusion (rows = truth, columns = predicted):",
              " " * 8 + "".join(f"{label:>8}" for label in LABELS)]
    for t in LABELS:
        row = [sum(1 for a, b in zip(truth, predicted, strict=True) if a == t and b == p) for p in LABELS]
        lines.append(f"{t:8}" + "".join(f"{n:8d}" for n in row))
    s = figures["sensitive"]
    lines.append(f"\nevaluate: sensitive_f1={s['f1']:.3f} precision={s['precision']:.3f} recall={s['recall']:.3f} "
                 f"public_fpr={figures['public_false_positive_rate']:.3f} n={len(docs)}")
    return "\n".join(lines)
