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
from scanner.errors import RuleError
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
    scan.add_argument("--quiet", "-q", action="store_true", help="不显示进度和汇总")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors by exiting
        return int(exc.code or 0)
    if args.command != "scan":
        parser.print_help(sys.stderr)
        return 2
    return _scan(args)


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
    options = ScanOptions(jobs=args.jobs, timeout=args.timeout, max_size=args.max_size,
                          excludes=tuple(args.exclude), quiet=args.quiet, ocr=not args.no_ocr,
                          rules_dir=os.path.abspath(args.rules) if args.rules else None)
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
