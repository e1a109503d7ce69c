"""docscan 命令行 (command line): parse arguments, run the scanner, return the exit status.

    docscan scan PATH [PATH ...] --format jsonl --output FILE
    python cli.py scan ...        (the same, from a checkout)

Exit status: 0 nothing flagged, 1 something marked or suspected, 2 usage error or the scan could not run.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from scanner import __version__
from scanner.errors import ModelError, RuleError
from scanner.options import MB, ScanOptions

SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": MB, "MB": MB, "G": 1024 * MB, "GB": 1024 * MB}


def parse_size(text: str) -> int:
    """'200MB', '1.5G', '4096' -> bytes. Raises argparse.ArgumentTypeError."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*", text.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"无法识别的大小: {text!r}（示例: 200MB、1.5G、4096）")
    return int(float(m.group(1)) * SIZE_UNITS[m.group(2)])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docscan",
        description="docscan：文件密级标志检查工具（保密检查）。查找带有密级标志的文件，区分真实标志与正文提及。",
        epilog="退出码: 0 未发现标密或疑似文件; 1 发现标密或疑似文件; 2 用法错误或无法扫描。",
    )
    parser.add_argument("--version", action="version", version=f"docscan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    scan = sub.add_parser("scan", help="扫描文件和文件夹 (scan files and folders)",
                          description="扫描文件和文件夹，输出 JSON Lines 检查报告（每个文件一行）。")
    scan.add_argument("paths", nargs="+", metavar="PATH", help="要检查的文件或文件夹")
    scan.add_argument("--format", choices=["jsonl"], default="jsonl", help="报告格式（默认 jsonl）")
    scan.add_argument("--output", "-o", default="-", metavar="FILE",
                      help="报告文件（默认 - 即标准输出）；文件仅所有者可读写 (0600)")
    scan.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                      help="排除匹配的文件或文件夹，可重复，例如 --exclude '*.iso'")
    scan.add_argument("--max-size", type=parse_size, default=200 * MB, metavar="SIZE",
                      help="超过此大小的文件只记录不解析（默认 200MB）")
    scan.add_argument("--jobs", "-j", type=int, default=max(1, os.cpu_count() or 1), metavar="N",
                      help="并行进程数（默认每个 CPU 核心一个）")
    scan.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                      help="单个文件的处理时限，超时记为错误并继续（默认 60 秒）")
    scan.add_argument("--no-ocr", action="store_true",
                      help="不对图片和无文字层的 PDF 页面做离线文字识别 (OCR)")
    scan.add_argument("--rules", metavar="DIR", default=None,
                      help="使用 DIR 中的标志规则（TOML）代替内置规则；规则有误时退出码为 2")
    scan.add_argument("--model", metavar="DIR", default=None,
                      help="使用 DIR 中训练的内容分类模型（默认使用随附模型 models/trained/）")
    scan.add_argument("--no-model", action="store_true", help="不做内容分类（不填写 suspected）")
    scan.add_argument("--quiet", "-q", action="store_true", help="不显示进度和汇总")
    _add_train(sub)
    _add_evaluate(sub)
    return parser


def _label_dir(text: str) -> tuple[str, str]:
    label, sep, path = text.partition("=")
    if not sep or label not in ("涉密", "内部", "公开") or not path:
        raise argparse.ArgumentTypeError(f"应为 涉密=DIR、内部=DIR 或 公开=DIR: {text!r}")
    return label, path


def _add_train(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="用本单位文件训练内容分类模型 (train the content classifier)",
                           description="用各类文件（任何可扫描的格式）训练内容分类模型；标志会先被屏蔽，模型学习内容而非标志。")
    train.add_argument("--class", dest="classes", action="append", type=_label_dir, default=[],
                       metavar="LABEL=DIR", help="某类文件所在文件夹，LABEL 为 涉密、内部 或 公开；可重复")
    train.add_argument("--from-report", metavar="REPORT.jsonl",
                       help="以扫描报告中带标志的文件为正例（绝密/机密/秘密→涉密，工作秘密/内部/商密→内部）")
    train.add_argument("--out", required=True, metavar="MODEL_DIR", help="模型输出文件夹")
    train.add_argument("--max-fpr", type=float, default=0.03, metavar="RATE",
                       help="阈值使公开文件的误报率不超过此值（交叉验证，默认 0.03）")


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("evaluate", help="评估内容分类模型 (evaluate a model)",
                        description="在留出的评估文件上给出各类别的精确率、召回率和混淆矩阵。")
    ev.add_argument("--model", metavar="MODEL_DIR", default=None, help="模型文件夹（默认随附模型）")
    ev.add_argument("--class", dest="classes", action="append", type=_label_dir, default=[],
                    metavar="LABEL=DIR", help="评估文件所在文件夹；默认使用 corpus/eval/ 下的留出集")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors by exiting
        return int(exc.code or 0)
    if args.command == "scan":
        return _scan(args)
    if args.command in ("train", "evaluate"):
        from models.commands import evaluate_command, train_command

        return train_command(args) if args.command == "train" else evaluate_command(args)
    parser.print_help(sys.stderr)
    return 2


def _scan(args: argparse.Namespace) -> int:
    from markings.rule import load_rules
    from scanner.report.jsonl import JsonlWriter
    from scanner.run import scan_paths

    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:
        print(f"docscan: 路径不存在 (no such path): {', '.join(map(_safe, missing))}", file=sys.stderr)
        return 2
    if args.jobs < 1 or args.timeout <= 0:
        print("docscan: --jobs 须 >= 1，--timeout 须 > 0", file=sys.stderr)
        return 2
    try:
        load_rules(args.rules)
    except RuleError as exc:
        print(f"docscan: 规则文件错误 (rule error): {exc}", file=sys.stderr)
        return 2
    model = os.path.abspath(args.model) if args.model else None
    if not args.no_model:
        from models.classify import shipped_or

        try:
            shipped_or(model)
        except ModelError as exc:
            print(f"docscan: 模型无法使用 (model error): {exc}", file=sys.stderr)
            return 2
    options = ScanOptions(jobs=args.jobs, timeout=args.timeout, max_size=args.max_size,
                          excludes=tuple(args.exclude), quiet=args.quiet, ocr=not args.no_ocr,
                          rules_dir=os.path.abspath(args.rules) if args.rules else None,
                          classify=not args.no_model, model=model)
    try:
        with JsonlWriter(args.output) as writer:
            tally = scan_paths(args.paths, options, [writer.write])
    except OSError as exc:
        print(f"docscan: 无法写入报告 (cannot write report): {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("docscan: 已中断，报告中保留已完成的记录 (interrupted)", file=sys.stderr)
        return 2
    if not args.quiet:
        print(tally.summary(), file=sys.stderr)
    return tally.exit_status


def _safe(text: str) -> str:
    """A path made safe to print on a terminal: control characters and bad bytes escaped."""
    raw = os.fsencode(text).decode("utf-8", errors="backslashreplace")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in raw)


if __name__ == "__main__":
    sys.exit(main())
