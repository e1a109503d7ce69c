#!/usr/bin/env python3
"""Archive stress figures: how docscan copes with zip bombs and huge or deep archives.

    python benchmarks/archives.py [--cases a,b,c,d,e] [--timeout S] [--copies N] [--many N] [--keep DIR]

Builds each case in a temporary folder of its own, then runs

    python cli.py scan DIR --format jsonl --output OUT --quiet --no-model

from the repository root and prints, per case: build time and archive size, scan wall time,
peak RSS of the scanner's process tree (summed over the process and its workers, sampled from
/proc every 0.1 s) and of its largest single process (wait4's ru_maxrss), the number of
records, records per status, markings found, and the records that did not come out ``ok``
(grouped by status and message, which should name the limit that stopped them).

Cases:
  a  zip bomb: one member of 5 GB of zeros (deflate ratio ~1000, 5 MB on disk)
  b  42.zip-style nested bomb: zips of ``--copies`` (default 4) copies of the level below,
     6 levels deep, the innermost holding 16 MB of zeros each (4 TB when fully expanded)
  c  10,000 members of small text files (every 1000th opens with 秘密★1年)
  d  100,000 tiny members (``--many``; names only, 1 byte each)
  e  20 zips nested in each other, a marked text file innermost

It prints figures and never gates: exit status 0 whatever they are (2 on a usage error).
A case that exceeds ``--timeout`` seconds (default 900) is killed and reported as such.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
ZEROS = bytes(MB)


# ---------------------------------------------------------------------------- builders

def zip_bomb(folder: Path, _: argparse.Namespace) -> None:
    """One member of 5 GB of zeros, streamed into the zip (ZIP64), never held in memory."""
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("zeros.bin", "w", force_zip64=True) as member:
            for _ in range(5 * 1024):
                member.write(ZEROS)


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def nested_bomb(folder: Path, args: argparse.Namespace) -> None:
    """42.zip's shape: each level holds ``copies`` copies of the level below, 6 levels."""
    blob = _zip([(f"zeros{i}.bin", bytes(16 * MB)) for i in range(args.copies)])
    for level in range(2, 7):
        blob = _zip([(f"level{level - 1}-{i}.zip", blob) for i in range(args.copies)])
    (folder / "nested-bomb.zip").write_bytes(blob)


def many_text(folder: Path, _: argparse.Namespace) -> None:
    with zipfile.ZipFile(folder / "10000-texts.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(10_000):
            head = "秘密★1年\n" if i % 1000 == 0 else ""
            body = f"{head}第{i + 1}号工作记录\n各部门按计划推进工作，请于月底前报送进展情况。\n"
            zf.writestr(f"records/{i // 100:03d}/记录{i + 1:05d}.txt", body)


def many_tiny(folder: Path, args: argparse.Namespace) -> None:
    with zipfile.ZipFile(folder / f"{args.many}-members.zip", "w", zipfile.ZIP_STORED) as zf:
        for i in range(args.many):
            zf.writestr(f"m/{i // 1000:03d}/{i:06d}", b"x")


def deep_nesting(folder: Path, _: argparse.Namespace) -> None:
    blob = _zip([("innermost.txt", "秘密★1年\n关于开展年度检查的通知\n".encode())])
    for level in range(20, 1, -1):
        blob = _zip([(f"level{level}.zip", blob)])
    (folder / "deep-20.zip").write_bytes(blob)


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    build: Callable[[Path, argparse.Namespace], None]


CASES = (Case("a", "zip bomb 5 GB", zip_bomb), Case("b", "nested bomb 6 levels", nested_bomb),
         Case("c", "10,000 text members", many_text), Case("d", "many tiny members", many_tiny),
         Case("e", "20 nested zips", deep_nesting))


# ---------------------------------------------------------------------------- measuring

class TreeRss(threading.Thread):
    """Samples the summed RSS of a process and all its descendants (Linux /proc)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.halt = threading.Event()

    def sample(self) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    stat = fh.read()
                fields = stat[stat.rindex(b")") + 2:].split()
                ppid, pages = int(fields[1]), int(fields[21])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
            rss[int(name)] = pages * PAGE
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo.extend(children.get(pid, ()))
        return total

    def run(self) -> None:
        while not self.halt.is_set():
            self.peak = max(self.peak, self.sample())
            self.halt.wait(self.interval)


@dataclass(frozen=True)
class Run:
    wall: float
    returncode: int | None  # None: killed at the timeout
    tree_mb: float
    largest_mb: float
    stderr: str


def run_scan(folder: Path, out: Path, python: str, timeout: float) -> Run:
    cmd = [python, "cli.py", "scan", str(folder), "--format", "jsonl", "--output", str(out), "--quiet",
           "--no-model"]
    with tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)
        sampler = TreeRss(proc.pid)
        sampler.start()
        killer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        killer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        timed_out = not killer.is_alive()
        killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it, not Popen
        sampler.halt.set()
        sampler.join()
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
    return Run(wall, None if timed_out else proc.returncode, sampler.peak / MB, usage.ru_maxrss / 1024,
               "\n".join(tail))


def read_records(out: Path) -> list[dict]:
    if not out.is_file():
        return []
    records = []
    with out.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a report cut short by a kill
    return records


def size_text(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1024:.1f} KB"


def report(case: Case, build_s: float, archive: int, run: Run, records: list[dict]) -> None:
    statuses = Counter(str(r.get("status")) for r in records)
    marked = sum(1 for r in records if r.get("marking"))
    state = "killed at timeout" if run.returncode is None else f"exit {run.returncode}"
    print(f"({case.key}) {case.title}: built in {build_s:.1f} s, {size_text(archive)} on disk")
    print(f"    scan {run.wall:.1f} s wall ({state}), peak RSS tree {run.tree_mb:.0f} MB, "
          f"largest process {run.largest_mb:.0f} MB, {len(records)} records "
          f"({', '.join(f'{k} {v}' for k, v in statuses.most_common())}), {marked} marked")
    groups = Counter((str(r.get("status")), str(r.get("error"))) for r in records if r.get("status") != "ok")
    examples = {}
    for r in records:
        if r.get("status") != "ok":
            examples.setdefault((str(r.get("status")), str(r.get("error"))), r.get("path", ""))
    for (status, error), n in groups.most_common(8):
        path = examples[(status, error)]
        short = path if len(path) < 90 else "…" + path[-89:]
        print(f"    {status} x{n}: {error}\n        e.g. {short}")
    if len(groups) > 8:
        print(f"    ... {len(groups) - 8} more status/message groups")
    if run.returncode not in (0, 1) and run.stderr:
        print("    scanner stderr (tail):\n      " + run.stderr.replace("\n", "\n      "))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="a,b,c,d,e", help="comma-separated case letters (default: all)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per scan before it is killed")
    ap.add_argument("--copies", type=int, default=4, help="copies per level of the nested bomb (b)")
    ap.add_argument("--many", type=int, default=100_000, help="members of the tiny-member zip (d)")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs cli.py")
    ap.add_argument("--keep", type=Path, help="build the cases in DIR and keep them (default: a temp folder)")
    args = ap.parse_args(argv)
    chosen = [c for c in CASES if c.key in args.cases.split(",")]
    if not chosen or not os.path.isdir("/proc"):
        print("archives: no such case, or no /proc to sample memory from", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="docscan-archives-") as tmp:
        base = args.keep or Path(tmp)
        for case in chosen:
            folder = base / f"case-{case.key}"
            folder.mkdir(parents=True, exist_ok=True)
            t0 = time.monotonic()
            case.build(folder, args)
            build_s = time.monotonic() - t0
            archive = sum(p.stat().st_size for p in folder.iterdir())
            out = base / f"case-{case.key}.jsonl"
            run = run_scan(folder, out, args.python, args.timeout)
            report(case, build_s, archive, run, read_records(out))
            if args.keep is None:
                for p in folder.iterdir():
                    p.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
