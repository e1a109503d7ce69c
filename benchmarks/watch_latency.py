"""Watch mode latency: time from a file's last write to its record, and a burst that must lose nothing.

    python benchmarks/watch_latency.py                      # 200 files, one every 0.05 s
    python benchmarks/watch_latency.py --files 500 --interval 0.02 --jobs 2 --no-model
    python benchmarks/watch_latency.py --burst 50000        # also: N tiny files as fast as a process can

Files alternate between a marked TXT and a marked DOCX (built in code, synthetic). Latency is measured
from the moment the writer closed a file to the moment ``watch`` emitted its record. The burst is
written by a separate process (no GIL shared with the watcher), which can overflow the kernel's
inotify event queue (16,384 events by default); the figure to check is ``missing=0``.
Prints figures; exit status 0 whatever they are.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import docx  # noqa: E402

from scanner.options import ScanOptions  # noqa: E402
from scanner.records import FileRecord  # noqa: E402
from scanner.watch import WatchStats, watch  # noqa: E402

MARKED = "秘密★1年\n关于开展年度保密检查工作的通知\n各单位：现将有关事项通知如下。\n"
WRITER = """import os, sys
folder, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    fd = os.open(os.path.join(folder, "b%06d.txt" % i), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, ("第%d号通知\\n" % i).encode())
    os.close(fd)
"""


class Watcher:
    """``watch`` in a background thread; records the monotonic time each record arrived."""

    def __init__(self, folder: str, options: ScanOptions, settle: float) -> None:
        self.arrived: dict[str, float] = {}
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.stats: WatchStats | None = None
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(folder, options, settle, ready.set))
        started = time.monotonic()
        self.thread.start()
        if not ready.wait(300):
            raise SystemExit("watch never became ready")
        self.startup = time.monotonic() - started

    def _run(self, folder: str, options: ScanOptions, settle: float, on_ready) -> None:  # noqa: ANN001
        self.stats = watch([folder], options, self._emit, self.stop, settle=settle, on_ready=on_ready)

    def _emit(self, record: FileRecord) -> None:
        with self.cond:
            self.arrived.setdefault(record.path, time.monotonic())
            self.cond.notify_all()

    def wait_for(self, paths: set[str], timeout: float) -> None:
        with self.cond:
            self.cond.wait_for(lambda: paths <= self.arrived.keys(), timeout)

    def close(self) -> WatchStats:
        self.stop.set()
        self.thread.join()
        assert self.stats is not None
        return self.stats


def docx_bytes(i: int) -> bytes:
    doc = docx.Document()
    for text in ("机密★10年", f"关于第{i}批检查事项的通知", "各单位：现将有关事项通知如下。" * 20):
        doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def steady(watcher: Watcher, folder: str, files: int, interval: float) -> dict[str, float]:
    """Write ``files`` files at one per ``interval`` seconds; return path -> time of its last write."""
    written: dict[str, float] = {}
    start = time.monotonic()
    for i in range(files):
        path = os.path.join(folder, f"f{i:04d}.docx" if i % 2 else f"f{i:04d}.txt")
        data = docx_bytes(i) if i % 2 else (MARKED * 5).encode()
        with open(path, "wb") as fh:
            fh.write(data)
        written[path] = time.monotonic()
        time.sleep(max(0.0, start + (i + 1) * interval - time.monotonic()))
    watcher.wait_for(set(written), timeout=120)
    return written


def report_latency(watcher: Watcher, written: dict[str, float]) -> None:
    lat = sorted(watcher.arrived[p] - t for p, t in written.items() if p in watcher.arrived)
    missing = len(written) - len(lat)
    if not lat:
        print(f"latency: no records, missing={missing}")
        return
    p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
    print(f"latency: files={len(written)} median={statistics.median(lat):.3f}s p95={p95:.3f}s "
          f"min={lat[0]:.3f}s max={lat[-1]:.3f}s missing={missing}")


def burst(watcher: Watcher, folder: str, count: int) -> None:
    """``count`` tiny files written by another process as fast as it can; every one must get a record."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", WRITER, folder, str(count)], check=True)
    wrote = time.monotonic() - started
    names = {os.path.join(folder, f"b{i:06d}.txt") for i in range(count)}
    watcher.wait_for(names, timeout=max(120.0, count / 50))
    done = max((watcher.arrived[p] for p in names if p in watcher.arrived), default=started) - started
    missing = len(names - watcher.arrived.keys())
    print(f"burst: files={count} written_in={wrote:.1f}s last_record_after={done:.1f}s "
          f"rate={count / max(done, 1e-9):.0f}/s missing={missing}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--interval", type=float, default=0.05, help="seconds between two files")
    ap.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1))
    ap.add_argument("--settle", type=float, default=0.5)
    ap.add_argument("--no-model", action="store_true", help="no content classifier (as scan --no-model)")
    ap.add_argument("--burst", type=int, default=0, metavar="N", help="then N tiny files at once")
    args = ap.parse_args(argv)
    options = ScanOptions(jobs=args.jobs, classify=not args.no_model)
    with tempfile.TemporaryDirectory(prefix="watch-bench-") as folder:
        watcher = Watcher(folder, options, args.settle)
        print(f"ready after {watcher.startup:.1f}s (jobs={args.jobs}, settle={args.settle}s, "
              f"classifier={'off' if args.no_model else 'on'})")
        try:
            report_latency(watcher, steady(watcher, folder, args.files, args.interval))
            if args.burst:
                burst(watcher, folder, args.burst)
        finally:
            stats = watcher.close()
        print(f"stats: {stats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
