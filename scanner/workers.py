"""Per-file work in worker processes, with a deadline per file.

A file whose parser is stuck (even inside C code) has its worker killed and
replaced; the file gets ``status: error, error: "timeout after N s"``. A worker
that dies (a crash in a native parser) costs only the file it was reading.
At most a few files per worker are in flight, so memory stays flat however
many files the walk yields.
"""

from __future__ import annotations

import heapq
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, TimeoutError, wait

from pebble import ProcessExpired, ProcessPool

from scanner.options import ScanOptions
from scanner.records import FileEntry, FileRecord
from scanner.scan import failed_record, scan_file

IN_FLIGHT_PER_WORKER = 4
LOOKAHEAD = 10_000  # entries read ahead of dispatch so the largest go first; bounds memory


def _context() -> multiprocessing.context.BaseContext:
    """forkserver: workers never inherit the parent's threads (progress display) or locks."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["scanner.scan"])
    return ctx


Emit = Callable[[FileEntry, list[FileRecord]], None]


def run(entries: Iterable[FileEntry], options: ScanOptions, emit: Emit) -> None:
    """Scan every entry in worker processes; as each completes, pass it and its records (the file's own,
    then its members') to ``emit``, in this thread."""
    window = max(1, options.jobs) * IN_FLIGHT_PER_WORKER
    source = largest_first(entries, LOOKAHEAD)
    pending: dict = {}
    with ProcessPool(max_workers=max(1, options.jobs), context=_context()) as pool:
        try:
            while True:
                for entry in source:
                    if entry.skip:  # nothing to open: no need for a worker
                        emit(entry, scan_file(entry, options))
                        continue
                    pending[pool.schedule(scan_file, (entry, options), timeout=options.timeout)] = entry
                    if len(pending) >= window:
                        break
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    entry = pending.pop(future)
                    emit(entry, _outcome(future, entry, options))
        except BaseException:
            pool.stop()
            raise


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
    except Exception as exc:  # the pool itself failed for this task (e.g. a result that cannot be sent back)
        reason = f"worker failure: {type(exc).__name__}: {exc}"
    return [failed_record(entry, reason, options)]
