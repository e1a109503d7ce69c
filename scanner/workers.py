"""Per-file work in worker processes, with a deadline per file.

A file whose parser is stuck (even inside C code) has its worker killed and
replaced; the file gets ``status: error, error: "timeout after N s"``. A worker
that dies (a crash in a native parser) costs only the file it was reading.
At most a few files per worker are in flight, so memory stays flat however
many files the walk yields.

Each worker's address space is capped at ``options.max_memory`` (RLIMIT_AS): a file
that makes a parser allocate more fails with MemoryError (that file's ``error`` record,
"out of memory while reading this file") or, when a native library aborts instead, the
worker dies and only that file is lost. Native thread pools (OpenBLAS, OpenMP) are held
to one thread per worker: their per-thread stacks and heaps reserve address space in
proportion to the machine's core count, which would otherwise eat the cap on large
machines (and the scan already runs one worker per core). What workers log reaches
stderr one line each with control characters escaped (a hostile file name or document
cannot drive the terminal).
"""

from __future__ import annotations

import ctypes
import gc
import heapq
import itertools
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, TimeoutError, wait
from types import ModuleType

from pebble import ProcessExpired, ProcessPool

from scanner.options import ScanOptions
from scanner.records import FileEntry, FileRecord

try:
    import resource
except ImportError:  # not a POSIX system: no memory cap
    resource = None  # type: ignore[assignment]

IN_FLIGHT_PER_WORKER = 4
LOOKAHEAD = 10_000  # entries read ahead of dispatch so the largest go first; bounds memory
# Read by the native libraries when they load (numpy's and OpenCV's OpenBLAS, OpenMP, MKL, numexpr),
# which happens in the worker after init_worker has run: the forkserver preloads none of them.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
OUT_OF_MEMORY = "out of memory while reading this file"
_CONTROLS = [*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROL_ESCAPES = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _CONTROLS}


def _context() -> multiprocessing.context.BaseContext:
    """forkserver: workers never inherit the parent's threads (progress display) or locks."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["scanner.scan"])
    return ctx


def init_worker(max_memory: int) -> None:
    """Run first in every worker process: one native thread per library, the address-space cap
    (``max_memory`` bytes; 0 or less: none; the hard limit is never raised), and logging that cannot
    put control characters from a file on the user's terminal."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    _safe_logging()
    if max_memory > 0 and resource is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = max_memory if hard == resource.RLIM_INFINITY else min(max_memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def printable_text(text: str) -> str:
    """``text`` with control characters (C0, C1, bidirectional overrides) as visible escapes such as
    \\x1b, so a file name or a document's bytes cannot drive the terminal that shows a message."""
    return text.translate(_CONTROL_ESCAPES)


class SafeFormatter(logging.Formatter):
    """A log line with every control character escaped: one line, no terminal escape sequences."""

    def format(self, record: logging.LogRecord) -> str:
        return printable_text(super().format(record))


def _safe_logging() -> None:
    """Worker log records (and warnings) go to stderr through SafeFormatter; the complaints pdfminer
    logs about each damaged PDF are dropped (the file's record already says what was wrong)."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter("docscan worker: %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    logging.captureWarnings(True)


def pool(options: ScanOptions) -> ProcessPool:
    """The worker pool of a scan: ``options.jobs`` forkserver workers, each set up by init_worker."""
    return ProcessPool(max_workers=max(1, options.jobs), context=_context(), initializer=init_worker,
                       initargs=(options.max_memory,))


def scan_in_worker(entry: FileEntry, options: ScanOptions) -> list[FileRecord]:
    """scan_file in a worker; after a file that ran out of memory, the memory it left behind is handed
    back (collected, and the C heap trimmed) so the files after it get the whole cap again."""
    try:
        records = _scan().scan_file(entry, options)
    except MemoryError:
        _release_memory()
        raise
    if any(r.error == OUT_OF_MEMORY for r in records):
        _release_memory()
    return records


def _release_memory() -> None:
    gc.collect()
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim  # glibc: free pages at the top of the heap go back to the system
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS, Windows): collection only
        return
    trim(0)


Emit = Callable[[FileEntry, list[FileRecord]], None]


def run(entries: Iterable[FileEntry], options: ScanOptions, emit: Emit) -> None:
    """Scan every entry in worker processes; as each completes, pass it and its records (the file's own,
    then its members') to ``emit``, in this thread. The workers start with the first file to read: a
    rescan that reuses every record never starts them."""
    source = largest_first(entries, LOOKAHEAD)
    for entry in source:
        if entry.skip:  # nothing to open: no need for a worker
            emit(entry, _scan().scan_file(entry, options))
            continue
        _in_workers(itertools.chain([entry], source), options, emit)
        return


def _in_workers(source: Iterator[FileEntry], options: ScanOptions, emit: Emit) -> None:
    window = max(1, options.jobs) * IN_FLIGHT_PER_WORKER
    pending: dict = {}
    with pool(options) as workers:
        try:
            while True:
                for entry in source:
                    if entry.skip:
                        emit(entry, _scan().scan_file(entry, options))
                        continue
                    future = workers.schedule(scan_in_worker, (entry, options), timeout=options.timeout)
                    pending[future] = entry
                    if len(pending) >= window:
                        break
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    entry = pending.pop(future)
                    emit(entry, _outcome(future, entry, options))
        except BaseException:
            workers.stop()
            raise


def _scan() -> ModuleType:
    """scanner.scan, imported on first use: the parsers load in the workers (the forkserver preloads
    them), and a rescan that reads nothing never imports them here."""
    from scanner import scan

    return scan


def largest_first(entries: Iterable[FileEntry], lookahead: int) -> Iterator[FileEntry]:
    """The entries, the largest of the next ``lookahead`` first.

    A huge file started last would leave every other core idle while it finishes; started
    first, it runs while the small files share the remaining cores. With fewer files than
    the lookahead this is a plain sort by size.
    """
    heap: list[tuple[int, int, FileEntry]] = []
    counter = itertools.count()
    for entry in entries:
        heapq.heappush(heap, (-entry.size, next(counter), entry))
        if len(heap) > lookahead:
            yield heapq.heappop(heap)[2]
    while heap:
        yield heapq.heappop(heap)[2]


def _outcome(future, entry: FileEntry, options: ScanOptions) -> list[FileRecord]:
    try:
        return future.result()
    except TimeoutError:
        reason = f"timeout after {options.timeout:g} s"
    except ProcessExpired as exc:
        reason = f"worker process died while reading this file (exit code {exc.exitcode})"
    except MemoryError:  # raised in the worker outside scan_file's boundary
        reason = OUT_OF_MEMORY
    except Exception as exc:  # the pool itself failed for this task (e.g. a result that cannot be sent back)
        reason = f"worker failure: {type(exc).__name__}: {exc}"
    return [_scan().failed_record(entry, reason, options)]
