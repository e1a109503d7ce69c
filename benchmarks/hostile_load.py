#!/usr/bin/env python3
"""Hostile load: a large generated tree with hostile files mixed in, scanned by the real CLI.

    python benchmarks/hostile_load.py [--files 50000] [--hostile 0.01] [--scale full|small]
                                      [--jobs N] [--timeout S] [--keep DIR]

Builds, in a temporary folder (or ``--keep DIR``):

* the hostile corpus of tests/hostile/corpus.py at ``--scale`` (full: a 1,000,000-row spreadsheet,
  a 200 MB one-line text file, a zip of 100,001 members, a 1 GB zip bomb, 20 bit-flipped copies of
  each document format, XML bombs and external entities, encrypted files of every format, FIFOs,
  devices, sockets, symlink loops, unreadable files and folders, hostile names, a 1,000-folder
  deep tree and a path past PATH_MAX);
* copies of its small hostile files until they are ``--hostile`` of ``--files`` (default 1%);
* ordinary files for the rest: unique Chinese text files, and DOCX/XLSX/PDF/HTML documents (one in
  200 marked 秘密★1年).

Then runs ``python cli.py scan TREE --format jsonl --output OUT --quiet --jobs N`` as root without
CAP_DAC_OVERRIDE (mode-000 files are unreadable to it, as to any user), sampling every 0.1 s the RSS
summed over the scanner's process tree and each process's VmPeak, and prints: build and scan time,
throughput (files/s), peak RSS of the tree, the largest worker VmPeak (what the --max-memory cap must
leave room for), records against entries (they must be equal: one record per file), records per
status, and one row per hostile case: expected outcome, outcome, reason. It never gates (exit 0;
2 on a usage error).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile import corpus, seeds  # noqa: E402 - after the repository root is importable
from tests.hostile.scanrun import Listener, entries, expected_paths, unprivileged  # noqa: E402

MB = 1024 * 1024
WORDS = ("关于 做好 年度 工作 通知 会议 安排 材料 报送 检查 单位 部门 负责 落实 要求 情况 总结 计划 项目 "
         "经费 管理 制度 培训 考核 安全 设备 维护 统计 数据 质量").split()


# ------------------------------------------------------------------------------------ building

def ordinary(folder: Path, count: int, rng: random.Random) -> None:
    """``count`` ordinary files in folders of 500: unique texts and copies of the seed documents."""
    s = seeds.seeds()
    kinds = [("txt", None)] * 14 + [("docx", s["a.docx"]), ("xlsx", s["a.xlsx"]), ("pdf", s["a.pdf"]),
                                    ("html", s["a.html"]), ("pptx", s["a.pptx"]), ("ofd", s["a.ofd"])]
    for i in range(count):
        sub = folder / f"d{i // 500:03d}"
        if i % 500 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        ext, blob = kinds[i % len(kinds)]
        if blob is None:
            lines = ["".join(rng.choices(WORDS, k=rng.randrange(8, 30))) for _ in range(rng.randrange(3, 40))]
            if i % 200 == 0:
                lines.insert(0, seeds.MARK)
            blob = ("\n".join(lines) + "\n").encode()
        (sub / f"文件{i:06d}.{ext}").write_bytes(blob)


def replicate(hostile: Path, folder: Path, cases: list[corpus.Case], count: int) -> int:
    """Copy the corpus's small regular hostile files round-robin until ``count`` copies exist."""
    small = [c.path for c in cases if _small_regular(os.path.join(os.fsencode(hostile), c.path))]
    folder.mkdir()
    for i in range(count):
        src = os.path.join(os.fsencode(hostile), small[i % len(small)])
        dst = os.path.join(os.fsencode(folder), f"{i:05d}-".encode() + os.path.basename(src))
        shutil.copyfile(src, dst)
    return count


def _small_regular(path: bytes) -> bool:
    try:
        st = os.lstat(path)
    except OSError:  # beyond PATH_MAX
        return False
    return (st.st_mode & 0o170000) == 0o100000 and 0 < st.st_size < 4 * MB and st.st_mode & 0o777


def build(root: Path, args: argparse.Namespace) -> tuple[list[corpus.Case], Listener]:
    scale = corpus.Scale.full() if args.scale == "full" else corpus.Scale.small()
    listener = Listener()
    secret = root.parent / "secret.txt"
    secret.write_text("绝密★长期 XXE-SECRET", encoding="utf-8")
    (root / "hostile").mkdir(parents=True)
    cases = corpus.build(root / "hostile", scale, secret.as_uri(), listener.url)
    copies = max(0, int(args.files * args.hostile) - len(cases))
    replicate(root / "hostile", root / "hostile-copies", cases, copies)
    ordinary(root / "ordinary", max(0, args.files - len(cases) - copies), random.Random(1))
    return cases, listener


# ------------------------------------------------------------------------------------ measuring

class TreeSampler(threading.Thread):
    """Samples the RSS summed over a process and its descendants, and each one's VmPeak (Linux /proc)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_rss, self.peak_vm, self.stop = pid, 0, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            rss = 0
            for pid in [self.pid, *_descendants(self.pid)]:
                status = _status(pid)
                rss += status.get("VmRSS", 0)
                if pid != self.pid:
                    self.peak_vm = max(self.peak_vm, status.get("VmPeak", 0))
            self.peak_rss = max(self.peak_rss, rss)


def _status(pid: int) -> dict[str, int]:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            return {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in fh)
                    if v.strip().endswith("kB")}
    except OSError:
        return {}


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    stat = fh.read()
                children.setdefault(int(stat[stat.rindex(b")") + 2:].split()[1]), []).append(int(name))
            except (OSError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def scan(root: Path, out: Path, args: argparse.Namespace) -> tuple[float, int, TreeSampler]:
    cmd = [sys.executable, "cli.py", "scan", str(root), "--format", "jsonl", "--output", str(out), "--quiet",
           "--jobs", str(args.jobs), "--timeout", str(args.timeout)]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, preexec_fn=unprivileged)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    code = proc.wait()
    sampler.stop.set()
    sampler.join()
    return time.monotonic() - started, code, sampler


# ------------------------------------------------------------------------------------ reporting

def outcome_table(root: Path, cases: list[corpus.Case], records: dict[str, dict]) -> list[str]:
    """One row per kind of case (cases described alike, such as the bit-flipped copies of one format,
    folded together): how many, the status expected, the statuses they got, a reason seen."""
    from scanner.walk import printable

    rows: dict[str, list] = {}
    for case in cases:
        path = printable(os.fsdecode(os.path.join(os.fsencode(root), case.path)))
        rec = records.get(path) or {"status": "NO RECORD", "error": None}
        fine = rec["status"] in case.status and (not case.reason or case.reason in (rec["error"] or ""))
        members = sum(1 for p in records if p.startswith(path + "!/"))
        row = rows.setdefault(case.what, [0, case.status, Counter(), "", 0, 0])
        row[0] += 1
        row[2][rec["status"]] += 1
        row[3] = row[3] or (rec["error"] or "")[:80].replace("|", "/")
        row[4] += members
        row[5] += not fine
    lines = ["| case | files | expected | outcome | members | unexpected | a reason given |",
             "|---|---|---|---|---|---|---|"]
    for what, (count, expected, got, reason, members, bad) in rows.items():
        outcome = ", ".join(f"{k} {v}" for k, v in sorted(got.items()))
        lines.append(f"| {what} | {count} | {'/'.join(sorted(expected))} | {outcome} | {members or ''} | "
                     f"{bad or ''} | {reason} |")
    return lines


def report(root: Path, cases: list[corpus.Case], out: Path, wall: float, code: int, sampler: TreeSampler,
           build_s: float, connections: int) -> None:
    records = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        records[rec["path"]] = rec
    top = [r for p, r in records.items() if "!/" not in p]
    want = expected_paths(os.fsencode(root), entries(os.fsencode(root)))
    print(f"build {build_s:.1f} s; scan {wall:.1f} s, exit status {code}")
    print(f"throughput {len(top) / wall:.1f} files/s ({len(records) / wall:.1f} records/s, members included)")
    print(f"peak RSS of the process tree {sampler.peak_rss / MB:.0f} MB; largest worker VmPeak "
          f"{sampler.peak_vm / MB:.0f} MB")
    print(f"records {len(top)} for {len(want)} entries: {'EQUAL' if len(top) == len(want) else 'DIFFERENT'}"
          f" ({len(records)} with members); loopback connections {connections}")
    print("by status: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r['status'] for r in top).items())))
    print()
    print("\n".join(outcome_table(root / "hostile", cases, records)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=50_000, help="entries in the tree (default 50000)")
    parser.add_argument("--hostile", type=float, default=0.01, help="share of hostile files (default 0.01)")
    parser.add_argument("--scale", choices=("full", "small"), default="full", help="size of the large cases")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=60.0, help="per-file deadline (default 60 s)")
    parser.add_argument("--keep", metavar="DIR", help="build (and leave) the tree in DIR")
    args = parser.parse_args(argv)
    if args.files < 1 or not 0 <= args.hostile <= 1:
        parser.print_usage(sys.stderr)
        return 2
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="docscan-load-"))
    base.mkdir(parents=True, exist_ok=True)
    root, out = base / "tree", base / "scan.jsonl"
    try:
        started = time.monotonic()
        cases, listener = build(root, args)
        build_s = time.monotonic() - started
        wall, code, sampler = scan(root, out, args)
        report(root, cases, out, wall, code, sampler, build_s, listener.close())
    finally:
        if not args.keep:
            corpus.unlock(root / "hostile")
            subprocess.run(["rm", "-rf", "--", str(base)], check=False)  # rmtree recurses: 1,000 levels
    return 0


if __name__ == "__main__":
    sys.exit(main())
