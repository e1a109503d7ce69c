"""Watch mode: scan files as they appear or change under watched folders, until told to stop.

Threads: watchdog's observer threads report file events to ``_Handler``, which notes each
path with the time of its last event (``_Debouncer``); a housekeeping thread hands a path on
once it has been quiet for ``settle`` seconds AND its size and mtime agree across two looks
(a file still being written is never scanned half-way), and re-watches a folder that was
deleted and re-created; the caller's thread dispatches settled paths to a persistent process
pool (unbounded queue, bounded in-flight window, duplicates coalesced) and calls ``emit``
with every record, so ``emit`` is never called concurrently.

When ``stop`` is set, files in flight are ABANDONED, as are queued and unsettled ones: their
workers are killed, no record is emitted for them after ``watch`` returns, and
``WatchStats.abandoned`` counts them (a later ``scan --db`` picks them up). A file that
vanishes before it is scanned (a temporary file, moved away) gets no record.
"""

from __future__ import annotations

import fnmatch
import heapq
import itertools
import logging
import os
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass

from pebble import ProcessPool
from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from markings.detect import detect
from markings.rule import load_rules
from scanner.options import ScanOptions
from scanner.records import FileEntry, FileRecord, Location, TextBlock
from scanner.scan import scan_file, suspect
from scanner.walk import SPECIAL, printable
from scanner.workers import IN_FLIGHT_PER_WORKER, _outcome, scan_in_worker
from scanner.workers import pool as pool_for

TEMP_PATTERNS = ("~$*", ".~lock*", "*.tmp", "*.swp", ".*.swx")  # office owner files, editor swap files
SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")  # an ignored database path covers these too
WANTED = {EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_CLOSED, EVENT_TYPE_MOVED}
TICK = 0.25  # housekeeping period: root checks; the longest a settled file waits for its look
CLOCK_MARGIN = 2.0  # seconds of slack when comparing file times with our clock (coarse FAT/SMB times)
WATCHDOG_LOG = logging.getLogger("watchdog.observers")
REMEMBERED = 100_000  # files whose last-scanned (size, mtime, inode) is kept to skip unchanged ones


@dataclass(frozen=True, slots=True)
class WatchStats:
    events: int  # file events that named a file to scan (after the filters)
    ignored: int  # file events dropped by the filters (temp/lock files, outputs, --exclude)
    scanned: int  # files whose scan finished and whose records were emitted
    records: int  # records emitted (a container also yields one per member)
    queue_high_water: int  # most settled files waiting for a worker at once
    abandoned: int  # files noticed but not scanned when stop was set
    rewatched: int  # times a watched folder vanished and was watched again when it reappeared
    overflows: int  # times events were lost (kernel queue overflow) and changed files were looked at again
    unchanged: int  # settled files not scanned, as they were when last scanned (size, mtime, inode)


@dataclass(slots=True)
class _Counters:
    events: int = 0
    ignored: int = 0
    scanned: int = 0
    records: int = 0
    rewatched: int = 0
    overflows: int = 0
    unchanged: int = 0


@dataclass(slots=True)
class _Root:
    given: str  # as on the command line: records name files under it the same way
    absolute: str
    watch: ObservedWatch | None = None
    ident: tuple[int, int] | None = None  # (device, inode) of the folder being watched


class _Paths:
    """Which event paths are scanned, and how records name them."""

    def __init__(self, roots: Sequence[_Root], ignore: Collection[str], excludes: tuple[str, ...]) -> None:
        self.roots = roots
        self.ignore = {os.path.abspath(p) + side for p in ignore for side in ("", *SQLITE_SIDE_FILES)}
        self.excludes = excludes

    def _relative(self, path: str) -> tuple[_Root, str] | None:
        for root in self.roots:
            rel = os.path.relpath(path, root.absolute)
            if rel not in (os.curdir, os.pardir) and not rel.startswith(os.pardir + os.sep):
                return root, rel
        return None

    def display(self, path: str) -> str | None:
        """``path`` as the user named its root, or None when it is under no watched folder."""
        found = self._relative(path)
        return os.path.join(found[0].given, found[1]) if found else None

    def wanted(self, path: str) -> bool:
        """False for paths outside the roots, ignored outputs, temp/lock files and --exclude matches
        (a pattern matches a file's or a folder's name below the root, or the whole path)."""
        found = self._relative(path)
        if found is None or path in self.ignore:
            return False
        if any(fnmatch.fnmatch(os.path.basename(path), pat) for pat in TEMP_PATTERNS):
            return False
        names = [os.path.join(found[0].given, found[1]), *found[1].split(os.sep)]
        return not any(fnmatch.fnmatch(name, pat) for pat in self.excludes for name in names)

    def entry(self, path: str) -> FileEntry | None:
        """The entry to scan, or None when the file is gone or is a folder now."""
        shown = self.display(path) or path
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return FileEntry(path, printable(shown), skip=f"cannot be read: {exc.strerror}")
        if stat.S_ISDIR(st.st_mode):
            return None
        skip = "symbolic link, not followed" if stat.S_ISLNK(st.st_mode) else next(
            (f"special file ({what}), not opened" for test, what in SPECIAL if test(st.st_mode)), None)
        return FileEntry(path, printable(shown), st.st_size, st.st_mtime, st.st_ino, st.st_dev, skip)


class _Ready:
    """Settled paths waiting for a worker (unbounded, coalesced) and finished scans; wakes the dispatcher."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self.done: deque[Future] = deque()
        self.high_water = 0

    def put(self, path: str) -> None:
        with self.cond:
            if path not in self._queued:
                self._queued.add(path)
                self._queue.append(path)
                self.high_water = max(self.high_water, len(self._queue))
                self.cond.notify()

    def take(self) -> str | None:
        with self.cond:
            if not self._queue:
                return None
            path = self._queue.popleft()
            self._queued.discard(path)
            return path

    def finished(self, future: Future) -> None:
        with self.cond:
            self.done.append(future)
            self.cond.notify()

    def wait(self, room: bool, timeout: float) -> None:
        with self.cond:
            self.cond.wait_for(lambda: self.done or (room and self._queue), timeout)

    def __len__(self) -> int:
        return len(self._queue)


class _Debouncer:
    """Paths with recent events; a path is ready after ``settle`` quiet seconds and two equal looks."""

    def __init__(self, settle: float, ready: _Ready) -> None:
        self.settle, self.gap, self.ready = settle, max(0.05, settle / 2), ready
        self._lock = threading.Lock()
        self._state: dict[str, tuple[int, tuple[int, int] | None]] = {}  # path -> (event seq, last look)
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()

    def touch(self, path: str) -> None:
        with self._lock:
            seq = next(self._seq)
            self._state[path] = (seq, None)
            heapq.heappush(self._heap, (time.monotonic() + self.settle, seq, path))

    def next_due(self) -> float:
        with self._lock:
            return self._heap[0][0] if self._heap else float("inf")

    def look_at_due(self) -> None:
        """Take a look at every path whose time has come; stable ones go to the ready queue."""
        now = time.monotonic()
        with self._lock:
            due = []
            while self._heap and self._heap[0][0] <= now:
                _, seq, path = heapq.heappop(self._heap)
                if self._state.get(path, (None,))[0] == seq:
                    due.append((path, seq))
        for path, seq in due:
            self._look(path, seq, _signature(path))

    def _look(self, path: str, seq: int, sig: tuple[int, int] | None) -> None:
        with self._lock:
            current = self._state.get(path)
            if current is None or current[0] != seq:
                return  # a newer event came in while we looked: its own timer runs
            if sig is not None and sig != current[1]:  # first look, or it changed: look again soon
                self._state[path] = (seq, sig)
                heapq.heappush(self._heap, (time.monotonic() + self.gap, seq, path))
                return
            del self._state[path]
        if sig is not None:
            self.ready.put(path)

    def __len__(self) -> int:
        return len(self._state)


def _signature(path: str) -> tuple[int, int] | None:
    """(size, mtime) of a file; None when it is gone or is a folder now (nothing to scan)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return (0, 0)  # cannot stat it: let the scan record why
    return None if stat.S_ISDIR(st.st_mode) else (st.st_size, st.st_mtime_ns)


class _Handler(FileSystemEventHandler):
    def __init__(self, paths: _Paths, debouncer: _Debouncer, counters: _Counters) -> None:
        self.paths, self.debouncer, self.counters = paths, debouncer, counters

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in WANTED:
            return  # opened/closed-without-write events include our own workers' reads
        path = os.fsdecode(event.dest_path if event.event_type == EVENT_TYPE_MOVED else event.src_path)
        if self.paths.wanted(path):
            self.counters.events += 1
            self.debouncer.touch(path)
        else:
            self.counters.ignored += 1


class _Roots:
    """Keeps a recursive watch on every root. A root deleted (or renamed away) and re-created is
    watched again, and the files already in it are looked at, since their events came too early.
    After lost events (the kernel's event queue overflowed), every file changed since the previous
    such recovery is looked at again: none is lost; those already scanned are skipped as unchanged."""

    def __init__(self, roots: Sequence[_Root], observer: BaseObserver, handler: _Handler) -> None:
        self.roots, self.observer, self.handler = roots, observer, handler
        self.overflowed = threading.Event()
        self.since = time.time()

    def start(self) -> None:
        for root in self.roots:
            ident = _ident(root.absolute)
            if ident is None:
                raise NotADirectoryError(f"not a folder: {root.given}")
            self._schedule(root, ident)

    def check(self) -> None:
        """Re-watch each root whose folder vanished or was replaced; recover from lost events."""
        alive = {e.watch for e in list(self.observer.emitters) if e.is_alive()}
        for root in self.roots:
            ident = _ident(root.absolute)
            if root.watch is not None and (ident != root.ident or root.watch not in alive):
                self.observer.unschedule(root.watch)
                root.watch = None
            if root.watch is None and ident is not None:
                self._schedule(root, ident)
                self.handler.counters.rewatched += 1
                self._touch_changed(root.absolute, since=0.0)
        if self.overflowed.is_set():
            self.overflowed.clear()
            self.handler.counters.overflows += 1
            started = time.time()
            for root in self.roots:
                self._touch_changed(root.absolute, self.since - CLOCK_MARGIN)
            self.since = started

    def _schedule(self, root: _Root, ident: tuple[int, int]) -> None:
        root.watch = self.observer.schedule(self.handler, root.absolute, recursive=True)
        root.ident = ident

    def _touch_changed(self, top: str, since: float) -> None:
        """Hand every wanted file under ``top`` changed (or created, or moved) at or after ``since``
        to the debouncer."""
        stack = [top]
        while stack:
            try:
                with os.scandir(stack.pop()) as it:
                    items = list(it)
            except OSError:
                continue  # gone again, or unreadable: its files have no events either
            for item in items:
                if item.is_dir(follow_symlinks=False):
                    stack.append(item.path)
                elif self.handler.paths.wanted(item.path) and _changed_at(item) >= since:
                    self.handler.debouncer.touch(item.path)


class _OverflowAlarm(logging.Handler):
    """watchdog says so in a log record (and nowhere else) when the kernel dropped events."""

    def __init__(self, alarm: threading.Event) -> None:
        super().__init__(logging.WARNING)
        self.alarm = alarm

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.alarm.set()


def _changed_at(item: os.DirEntry) -> float:
    try:
        st = item.stat(follow_symlinks=False)
    except OSError:
        return 0.0
    return max(st.st_mtime, st.st_ctime)  # ctime: a copy keeping its old mtime, a rename


def _ident(folder: str) -> tuple[int, int] | None:
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def _housekeeping(debouncer: _Debouncer, roots: _Roots, quit_: threading.Event) -> None:
    while not quit_.is_set():
        debouncer.look_at_due()
        roots.check()
        quit_.wait(max(0.0, min(TICK, debouncer.next_due() - time.monotonic())))


class _Dispatcher:
    """Feeds settled paths to the pool (bounded window) and emits finished records, in one thread."""

    def __init__(self, pool: ProcessPool, options: ScanOptions, ready: _Ready, paths: _Paths,
                 emit: Callable[[FileRecord], None], counters: _Counters) -> None:
        self.pool, self.options, self.ready, self.paths = pool, options, ready, paths
        self.emit, self.counters = emit, counters
        self.window = max(1, options.jobs) * IN_FLIGHT_PER_WORKER
        self.in_flight: dict[Future, FileEntry] = {}
        self.again: set[str] = set()  # became ready again while in flight: scan once more after
        self.last: dict[str, tuple[int, float, int]] = {}  # (size, mtime, inode) at the latest scans

    def step(self) -> None:
        self._fill()
        self.ready.wait(len(self.in_flight) < self.window, TICK)
        while self.ready.done:
            future = self.ready.done.popleft()
            entry = self.in_flight.pop(future)
            self._emit(_outcome(future, entry, self.options))
            if entry.fspath in self.again:
                self.again.discard(entry.fspath)
                self.ready.put(entry.fspath)

    def _fill(self) -> None:
        busy = {e.fspath for e in self.in_flight.values()}
        while len(self.in_flight) < self.window and (path := self.ready.take()) is not None:
            if path in busy:
                self.again.add(path)
                continue
            entry = self.paths.entry(path)
            if entry is None or not self._changed(entry):
                continue
            if entry.skip:  # nothing to open: no need for a worker
                self._emit(scan_file(entry, self.options))
                continue
            future = self.pool.schedule(scan_in_worker, (entry, self.options), timeout=self.options.timeout)
            self.in_flight[future] = entry
            busy.add(path)
            future.add_done_callback(self.ready.finished)

    def _changed(self, entry: FileEntry) -> bool:
        """False for a file as it was when last scanned (events seen twice, recovery after lost events)."""
        seen = (entry.size, entry.mtime, entry.inode)
        if entry.mtime == int(entry.mtime) and time.time() - entry.mtime < CLOCK_MARGIN:
            self.last.pop(entry.fspath, None)  # whole-second times: a rewrite in the same second looks alike
            return True
        if self.last.pop(entry.fspath, None) == seen:
            self.last[entry.fspath] = seen
            self.counters.unchanged += 1
            return False
        self.last[entry.fspath] = seen
        if len(self.last) > REMEMBERED:
            del self.last[next(iter(self.last))]  # the oldest: memory stays bounded
        return True

    def _emit(self, records: list[FileRecord]) -> None:
        for record in records:
            self.emit(record)
        self.counters.scanned += 1
        self.counters.records += len(records)

    def pending(self) -> int:
        return len(self.in_flight) + len(self.ready)


def warm(options: ScanOptions) -> int:
    """Load the rules, the tokenizer and the model in a worker, so the first file is not the slow one."""
    text = "秘密★1年 关于落实工作秘密管理的通知"
    detect([TextBlock(text, Location(part="body"))], load_rules(options.rules_dir, options.rule_packs))
    suspect(text, options)
    return os.getpid()


def watch(paths: Sequence[str], options: ScanOptions, emit: Callable[[FileRecord], None],
          stop: threading.Event, settle: float = 0.5, on_ready: Callable[[], None] | None = None,
          ignore: Collection[str] = (), poll: float | None = None) -> WatchStats:
    """Scan files created, modified or moved into ``paths`` (folders, watched recursively) until ``stop``.

    ``emit`` gets every record, in this thread. ``ignore`` holds files never scanned (the report, the
    database; SQLite side files are covered). ``on_ready`` is called once the watches are in place and
    the workers are warm: changes from then on are seen. ``poll`` (seconds) compares folder snapshots
    instead of asking the kernel: for network mounts, whose changes made by other machines raise no
    events here. Raises NotADirectoryError when a path is not a folder. Returns the counts; files
    not finished when ``stop`` is set are abandoned (see the module docstring).
    """
    roots = [_Root(p, os.path.abspath(p)) for p in paths]
    counters, ready = _Counters(), _Ready()
    debouncer = _Debouncer(settle, ready)
    where = _Paths(roots, ignore, options.excludes)
    observer = PollingObserver(timeout=poll) if poll else Observer()
    supervisor = _Roots(roots, observer, _Handler(where, debouncer, counters))
    supervisor.start()
    alarm = _OverflowAlarm(supervisor.overflowed)
    WATCHDOG_LOG.addHandler(alarm)
    quit_ = threading.Event()
    keeper = threading.Thread(target=_housekeeping, args=(debouncer, supervisor, quit_), daemon=True)
    try:
        with pool_for(options) as pool:
            dispatcher = _Dispatcher(pool, options, ready, where, emit, counters)
            try:
                wait([pool.schedule(warm, (options,)) for _ in range(max(1, options.jobs))], options.timeout)
                observer.start()
                keeper.start()
                if on_ready is not None:
                    on_ready()
                while not stop.is_set():
                    dispatcher.step()
            finally:
                quit_.set()
                pool.stop()  # kills the workers: in-flight files are abandoned
    finally:
        observer.stop()
        for thread in (keeper, observer):
            if thread.is_alive():
                thread.join()
        WATCHDOG_LOG.removeHandler(alarm)
    return WatchStats(counters.events, counters.ignored, counters.scanned, counters.records, ready.high_water,
                      dispatcher.pending() + len(debouncer), counters.rewatched, counters.overflows,
                      counters.unchanged)
