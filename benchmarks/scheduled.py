#!/usr/bin/env python3
"""Scheduled-check figures: full scan vs unchanged incremental rescan, and walk memory.

    python benchmarks/scheduled.py [--files 10000] [--walk-files 200000] [--keep DIR]

1. Builds a tree of --files small documents (TXT in UTF-8/GB18030, DOCX, a few marked),
   scans it with `cli.py scan --db`, then rescans it unchanged with `--incremental`, and
   prints both wall times and their ratio (target: the rescan takes <= 5% of the full scan).
2. Builds --walk-files empty-ish files and measures the peak RSS of a process that walks
   them through the dispatch stage (walk + largest-first lookahead), for two tree sizes,
   to show memory is flat in the file count (target < 300 MB).
Prints figures; exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def build_tree(root: str, n: int) -> None:
    import docx

    os.makedirs(root, exist_ok=True)
    template = os.path.join(root, "_template.docx")
    d = docx.Document()
    d.add_paragraph("关于做好年度重点工作的通知")
    d.add_paragraph("根据工作安排，现将有关事项通知如下，请各单位认真抓好落实。" * 5)
    d.save(template)
    blob = open(template, "rb").read()
    os.remove(template)
    for i in range(n):
        folder = os.path.join(root, f"处室{i % 20:02d}", f"{2019 + i % 6}")
        os.makedirs(folder, exist_ok=True)
        if i % 3 == 0:
            with open(os.path.join(folder, f"通知{i:06d}.docx"), "wb") as fh:
                fh.write(blob)
        else:
            text = ("秘密★1年\n" if i % 50 == 0 else "") + f"第{i}份工作材料。" * 20 + "\n"
            with open(os.path.join(folder, f"材料{i:06d}.txt"), "wb") as fh:
                fh.write(text.encode("gb18030" if i % 2 else "utf-8"))


def timed_scan(tree: str, out: str, db: str, *extra: str) -> float:
    cmd = [sys.executable, "cli.py", "scan", tree, "--output", out, "--db", db, "--quiet", *extra]
    started = time.monotonic()
    code = subprocess.run(cmd, cwd=ROOT).returncode
    if code not in (0, 1):
        sys.exit(f"scan failed with exit status {code}")
    return time.monotonic() - started


WALKER = """
import resource, sys
sys.path.insert(0, {root!r})
from scanner.walk import walk
from scanner.workers import LOOKAHEAD, largest_first
n = sum(1 for _ in largest_first(walk([{tree!r}]), LOOKAHEAD))
print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def walk_memory(tree: str) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", WALKER.format(root=ROOT, tree=tree)], capture_output=True,
                         text=True, check=True).stdout.split()
    return int(out[0]), int(out[1])


def tiny_tree(root: str, n: int) -> None:
    for i in range(n):
        folder = os.path.join(root, f"d{i // 1000:04d}")
        if i % 1000 == 0:
            os.makedirs(folder, exist_ok=True)
        open(os.path.join(folder, f"f{i:07d}.txt"), "wb").close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--walk-files", type=int, default=200_000)
    ap.add_argument("--keep", help="build the trees here and keep them")
    args = ap.parse_args()
    base = args.keep or tempfile.mkdtemp(prefix="docscan-sched-")
    try:
        tree, work = os.path.join(base, "tree"), os.path.join(base, "work")
        os.makedirs(work, exist_ok=True)
        if not os.path.isdir(tree):
            build_tree(tree, args.files)
        db = os.path.join(work, "results.db")
        full = timed_scan(tree, os.path.join(work, "full.jsonl"), db)
        again = timed_scan(tree, os.path.join(work, "again.jsonl"), db, "--incremental")
        print(f"full scan: {full:.1f} s for {args.files} files ({args.files / full:.0f} files/s)")
        print(f"unchanged incremental rescan: {again:.1f} s = {100 * again / full:.1f}% of the full scan")
        small, large = os.path.join(base, "walk-small"), os.path.join(base, "walk-large")
        if not os.path.isdir(large):
            tiny_tree(small, args.walk_files // 10)
            tiny_tree(large, args.walk_files)
        for name, path in (("walk", small), ("walk", large)):
            n, rss = walk_memory(path)
            print(f"{name}: {n} files, peak RSS {rss} MB")
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        print(f"largest child process over the run: {kids} MB")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
