"""Scale-out of one scan over a Dask distributed cluster (``docscan scan PATH --cluster ADDRESS``).

The client walks, dispatches one task per file (largest first, a bounded window in flight, so
memory stays flat over millions of files) and passes each file's records to ``emit`` as it
completes, exactly as ``scanner.workers.run`` does with its local process pool.
Workers mount the share at the same path as the client, so a ``FileEntry`` means the same file
everywhere.

Dask cannot kill a running task, and its worker processes are daemonic (they may not start
multiprocessing children), so on the worker each file is scanned by a long-lived parser child
started with ``subprocess``: a file that outlives ``options.timeout`` has its child killed and
gets ``timeout after N s``; a parser that crashes costs only its file. When a Dask worker process
dies, Dask reruns its tasks on other workers (``distributed.scheduler.allowed-failures``, 3 by
default); a file whose tasks killed that many workers (KilledWorker) gets an error record built
here on the client, which sees the same share.

``distributed`` is an optional dependency (``pip install 'docscan[cluster]'``); it is imported only
when a scan uses a cluster, and its absence is a ClusterError with the install line.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any

from scanner.errors import DocscanError
from scanner.options import ScanOptions
from scanner.records import FileEntry, FileRecord
from scanner.scan import failed_record, scan_file
from scanner.workers import IN_FLIGHT_PER_WORKER, LOOKAHEAD, Emit, init_worker, largest_first

if TYPE_CHECKING:
    from distributed import Client, Future

CONNECT_TIMEOUT = 30.0  # seconds to reach the scheduler, and again for a first worker to join
WINDOW_REFRESH = 10.0  # seconds between looks at the cluster's thread count
CHILD_START_TIMEOUT = 120.0  # seconds for a parser child to import and load rules (not a file's time)
INSTALL_HINT = "pip install 'docscan[cluster]'"
WARM_UP_TEXT = "秘密★1年\n关于做好年度保密工作的通知\n根据工作安排，涉及工作秘密的事项请按规定办理。\n"
_HEADER = 8  # bytes of the big-endian length before each pickled frame on the child's pipes
_RECORDS, _SETUP_FAILED = "records", "setup-failed"


class ClusterError(DocscanError):
    """The cluster cannot be used: ``distributed`` is missing, the scheduler cannot be reached, no
    worker joined, a worker cannot scan at all, or the scheduler was lost mid-scan. Stops the run (exit 2)."""


def run(entries: Iterable[FileEntry], options: ScanOptions, emit: Emit, address: str,
        window: int | None = None, connect_timeout: float = CONNECT_TIMEOUT) -> None:
    """Scan every entry on the cluster at ``address``; as each completes, pass it and its records (the
    file's own, then its members') to ``emit``, in this thread: the contract of ``workers.run``.

    ``window`` bounds the files in flight (default: 4 per worker thread, looked up again every
    10 s). Raises ClusterError when the cluster cannot be used; exceptions from ``emit`` propagate.
    """
    distributed = _import_distributed()
    client = _connect(distributed, address, connect_timeout)
    with client:
        _dispatch(client, distributed, entries, options, emit, _Window(client, window))


def _import_distributed() -> ModuleType:
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError(f"--cluster 需要安装可选依赖 distributed (--cluster needs the optional dependency "
                           f"'distributed'): {INSTALL_HINT}") from exc
    return distributed


def _connect(distributed: ModuleType, address: str, timeout: float) -> Client:
    """A client of the scheduler at ``address`` with at least one worker. Raises ClusterError."""
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False, direct_to_workers=False)
    except (OSError, ValueError, TypeError, distributed.TimeoutError) as exc:
        failure = _one_line(exc)
    else:
        failure = None
    if failure is not None and address.startswith("tls://"):
        failure += " (tls:// needs the CA file and the client's certificate and key in the Dask config)"
    if failure is not None:
        # The half-built Client closes itself when collected; collected at interpreter exit, after its
        # event loop has stopped, that close hangs for twice the timeout. Collect it now.
        gc.collect()
        raise ClusterError(f"无法连接集群 (cannot reach the cluster at {address}): {failure}")
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, distributed.TimeoutError) as exc:
        client.close()
        raise ClusterError(f"集群没有可用的 worker (no worker joined the cluster at {address} "
                           f"within {timeout:g} s)") from exc
    return client


class _Window:
    """How many files may be in flight: fixed, or 4 per worker thread (workers may join late)."""

    def __init__(self, client: Client, fixed: int | None) -> None:
        self.client = client
        self.fixed = fixed
        self.size = IN_FLIGHT_PER_WORKER
        self.next_look = 0.0

    def __call__(self) -> int:
        if self.fixed:
            return max(1, self.fixed)
        now = time.monotonic()
        if now >= self.next_look:
            threads = sum(self.client.nthreads().values())
            self.size = max(1, threads) * IN_FLIGHT_PER_WORKER
            self.next_look = now + WINDOW_REFRESH
        return self.size


def _dispatch(client: Client, distributed: ModuleType, entries: Iterable[FileEntry], options: ScanOptions,
              emit: Emit, window: _Window) -> None:
    source = largest_first(entries, LOOKAHEAD)
    pending: dict[Future, FileEntry] = {}
    done = distributed.as_completed(with_results=True, raise_errors=False, loop=client.loop)

    def refill() -> None:
        for entry in source:
            if entry.skip:  # nothing to open: no need for a worker
                emit(entry, scan_file(entry, options))
                continue
            future = client.submit(scan_isolated, entry, options, pure=False)
            pending[future] = entry
            done.add(future)
            if len(pending) >= window():
                return

    refill()
    for future, result in done:  # refill() runs before each next(): the loop ends when nothing is pending
        entry = pending.pop(future)
        records = _outcome(distributed, future, result, entry, options)
        del future, result  # released: the scheduler forgets the task
        emit(entry, records)
        refill()


def _outcome(distributed: ModuleType, future: Future, result: Any, entry: FileEntry,
             options: ScanOptions) -> list[FileRecord]:
    """The records a task returned, or the record of a file whose task failed. Raises ClusterError
    when the work was cancelled (the scheduler was lost) or a worker cannot scan at all."""
    if future.status == "finished":
        return result
    if future.status == "cancelled":
        raise ClusterError(f"集群中断 (lost the cluster mid-scan): {_one_line(result) or 'work cancelled'}")
    exc = future.exception()
    if isinstance(exc, WorkerSetupError):
        raise ClusterError(f"集群 worker 无法扫描 (a cluster worker cannot scan): {exc}") from exc
    if isinstance(exc, distributed.KilledWorker):
        last = getattr(exc.last_worker, "address", exc.last_worker)
        reason = f"cluster worker died while reading this file (last on {last})"
    elif isinstance(exc, OSError):  # CommClosedError and friends: the result never came back
        reason = f"lost contact with the cluster worker reading this file: {_one_line(exc)}"
    else:
        reason = f"cluster task failed: {type(exc).__name__}: {_one_line(exc)}"
    return [failed_record(entry, reason, options)]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


# --- on the worker --------------------------------------------------------------------------------


class WorkerSetupError(DocscanError):
    """A worker cannot scan at all: no parser child starts there, or its rules or model folder
    (the same path as on the client) cannot be loaded. Stops the scan (exit 2) via ClusterError."""


def scan_isolated(entry: FileEntry, options: ScanOptions) -> list[FileRecord]:
    """Runs on a Dask worker: ``scan_file`` in a parser child process, under ``options.timeout``.

    Returns the file's records; a timeout or a dead child gives its error record instead.
    Raises WorkerSetupError when this worker cannot scan at all.
    """
    child = _idle.take(options)
    try:
        kind, payload = child.ask((entry, options), options.timeout)
    except _Stuck:
        child.kill()
        return [failed_record(entry, f"timeout after {options.timeout:g} s", options)]
    except _Died as died:
        child.kill()
        reason = f"worker process died while reading this file (exit code {died.exitcode})"
        return [failed_record(entry, reason, options)]
    _idle.give_back(child)
    if kind == _SETUP_FAILED:
        raise WorkerSetupError(payload)
    return payload


class _Stuck(Exception):
    """The child did not answer in time."""


class _Died(Exception):
    def __init__(self, exitcode: int | None) -> None:
        super().__init__(exitcode)
        self.exitcode = exitcode


class _Child:
    """A parser process of this worker: it reads pickled requests on stdin and answers each with a
    pickled ``(kind, payload)`` on stdout, both framed by an 8-byte length."""

    def __init__(self, options: ScanOptions) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.proc = subprocess.Popen([sys.executable, "-c", "from scanner.cluster import serve; serve()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.replies: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=_read_frames, args=(self.proc.stdout, self.replies.put), daemon=True).start()
        try:
            kind, payload = self.ask(options, CHILD_START_TIMEOUT)
        except (_Stuck, _Died) as exc:
            self.kill()
            raise WorkerSetupError(f"no parser child starts on this worker ({exc!r}); see its log") from exc
        if kind == _SETUP_FAILED:
            self.kill()
            raise WorkerSetupError(payload)

    def ask(self, request: object, timeout: float) -> tuple[str, Any]:
        """The child's answer. Raises _Stuck after ``timeout`` s, _Died if the child exits."""
        try:
            _write_frame(self.proc.stdin, pickle.dumps(request))
        except OSError as exc:  # a broken pipe: the child is gone
            raise _Died(self.proc.poll()) from exc
        try:
            reply = self.replies.get(timeout=timeout)
        except queue.Empty as exc:
            raise _Stuck() from exc
        if reply is None:
            raise _Died(self.proc.wait())
        return pickle.loads(reply)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


class _Idle:
    """Started children waiting for a file; one per worker thread that has scanned."""

    def __init__(self) -> None:
        self.children: list[_Child] = []
        self.lock = threading.Lock()

    def take(self, options: ScanOptions) -> _Child:
        with self.lock:
            if self.children:
                return self.children.pop()
        return _Child(options)

    def give_back(self, child: _Child) -> None:
        with self.lock:
            self.children.append(child)


_idle = _Idle()


def _write_frame(pipe: IO[bytes] | None, payload: bytes) -> None:
    assert pipe is not None
    pipe.write(len(payload).to_bytes(_HEADER, "big") + payload)
    pipe.flush()


def _read_frames(pipe: IO[bytes] | None, put: Callable[[bytes | None], None]) -> None:
    """Pass each frame read from ``pipe`` to ``put``, then None at the end of the stream."""
    assert pipe is not None
    try:
        while len(header := pipe.read(_HEADER)) == _HEADER:
            size = int.from_bytes(header, "big")
            payload = pipe.read(size)
            if len(payload) != size:
                break
            put(payload)
    except (OSError, ValueError):  # the pipe was closed under us: the child was killed
        pass
    put(None)


# --- in the parser child --------------------------------------------------------------------------


def serve() -> None:
    """The parser child's loop: options and a warm-up, then one file's records per request.

    Ends the process when its parent (the Dask worker) closes the pipe, even mid-parse.
    """
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints to stdout must not corrupt the reply stream
    requests: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=_read_frames, args=(sys.stdin.buffer, _exit_at_end(requests)),
                     daemon=True).start()
    options: ScanOptions = pickle.loads(requests.get())
    init_worker(options.max_memory)  # the same memory cap and thread limits as a local worker
    _write_frame(replies, pickle.dumps(_answer(_warm_up, options)))
    while True:
        entry, options = pickle.loads(requests.get())
        _write_frame(replies, pickle.dumps(_answer(scan_file, entry, options)))


def _answer(work: Callable[..., list[FileRecord]], *args: Any) -> tuple[str, Any]:
    """``(_RECORDS, records)``, or ``(_SETUP_FAILED, why)`` when the rules or the model cannot load."""
    try:
        return _RECORDS, work(*args)
    except DocscanError as exc:  # scan_file turns every error of the file itself into its record
        return _SETUP_FAILED, f"{type(exc).__name__}: {_one_line(exc)}"


def _exit_at_end(requests: queue.Queue[bytes]) -> Callable[[bytes | None], None]:
    def put(frame: bytes | None) -> None:
        if frame is None:  # the worker is gone or let us go: nobody will read what we parse
            os._exit(0)
        requests.put(frame)

    return put


def _warm_up(options: ScanOptions) -> list[FileRecord]:
    """Scan one small marked text file, so rules, tokenizer and model are loaded before the first
    real file's deadline starts. Raises RuleError / ModelError when they cannot load here."""
    with tempfile.TemporaryDirectory(prefix="docscan-warm-up-") as folder:
        path = os.path.join(folder, "warm-up.txt")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(WARM_UP_TEXT)
        st = os.stat(path)
        return scan_file(FileEntry(path, path, st.st_size, st.st_mtime), options)
