"""Registrations that could not wait for the database lock: files in ``<db>.fp-pending/``.

A worker registers a marked document while the main process may hold the results store's write
transaction open, and the main process waits for that worker: waiting for the lock could deadlock
the scan. So a worker waits briefly (``WRITE_WAIT``); if the lock stays busy the registration goes
into a pending file (hashes only, owner-only), which lookups read like the registry itself and which
the next writer that gets the lock merges in. Nothing is lost and nobody waits on a cycle.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from typing import TYPE_CHECKING

from scanner import fingerprint_index as index
from scanner.fingerprint_index import Registration, Source

if TYPE_CHECKING:
    import numpy as np

WRITE_WAIT = 1.0  # seconds a worker waits for the lock before it spools
MERGE_BUDGET = 0.5  # seconds a worker spends merging pending files after its own registration
SUFFIX = ".fpq"
log = logging.getLogger(__name__)
_WRITERS: dict[tuple[str, float], sqlite3.Connection] = {}
_PENDING: dict[str, tuple[tuple[str, ...], list[tuple[Source, np.ndarray]]]] = {}


def folder(db: str) -> str:
    return db + ".fp-pending"


def writer(db: str, wait: float) -> sqlite3.Connection:
    """This process's write connection to ``db`` waiting at most ``wait`` s for the lock (cached)."""
    key = (db, wait)
    conn = _WRITERS.get(key)
    if conn is None or not os.path.exists(db):
        conn = _WRITERS[key] = index.open_writer(db, wait)
    return conn


def store(db: str, reg: Registration) -> None:
    """Register ``reg`` in ``db``, or spool it when the lock stays busy. Raises OSError, RegistryError.

    The registry must exist (the process that started the scan created it): a worker on another machine
    (a cluster scan) must not create an empty database of the same name there.
    """
    if not os.path.isfile(db):
        raise FileNotFoundError(f"no registry at {db} on this machine")
    try:
        conn = writer(db, WRITE_WAIT)
        index.register(conn, reg)
    except sqlite3.OperationalError as exc:
        if not index.is_busy(exc):
            raise
        log.info("registry %s busy (%s): registration of %s kept pending", db, exc, reg.path)
        spool(db, reg)
        return
    merge(db, conn, MERGE_BUDGET)


def spool(db: str, reg: Registration) -> str:
    """Write ``reg`` into the pending folder (atomically); returns the file. Raises OSError."""
    where = folder(db)
    os.makedirs(where, mode=0o700, exist_ok=True)
    head = {"path": reg.path, "sha256": reg.sha256, "level": reg.level, "marking": reg.marking,
            "size": reg.size, "added": index.now()}
    name = os.path.join(where, f"{time.time_ns():020d}-{os.getpid()}{SUFFIX}")
    tmp = name + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(json.dumps(head, ensure_ascii=False).encode() + b"\n")
        fh.write(reg.hashes.astype("<i8").tobytes())
    os.replace(tmp, name)
    return name


def _files(db: str) -> tuple[str, ...]:
    try:
        names = os.listdir(folder(db))
    except (FileNotFoundError, NotADirectoryError):
        return ()
    return tuple(sorted(os.path.join(folder(db), n) for n in names if n.endswith(SUFFIX)))


def _read(path: str) -> Registration | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:  # merged meanwhile by another process
        return None
    head, _, body = data.partition(b"\n")
    meta = json.loads(head)
    import numpy as np  # imported where hashes are read, not by a command that only lists the registry

    hashes = np.frombuffer(body[:len(body) // 8 * 8], dtype="<i8").astype(np.int64)
    return Registration(meta["path"], meta["sha256"], meta["level"], meta["marking"], meta["size"], hashes)


def pending(db: str) -> list[tuple[Source, np.ndarray]]:
    """The registrations waiting in the pending folder, as sources with their hashes (cached by listing)."""
    files = _files(db)
    cached = _PENDING.get(db)
    if cached is not None and cached[0] == files:
        return cached[1]
    found = []
    for path in files:
        reg = _read(path)
        if reg is not None:
            found.append((Source(None, reg.path, reg.sha256, reg.level, reg.marking, reg.size, len(reg.hashes), ""),
                          reg.hashes.copy()))
            found[-1][1].sort()
    _PENDING[db] = (files, found)
    return found


def merge(db: str, conn: sqlite3.Connection, budget: float | None = None) -> int:
    """Move pending registrations into the registry (for at most ``budget`` seconds); returns how many.

    Registering is idempotent by sha256, so a file merged twice by two processes is stored once.
    Stops quietly when the lock is busy. Raises OSError.
    """
    deadline = None if budget is None else time.monotonic() + budget
    merged = 0
    for path in _files(db):
        if deadline is not None and time.monotonic() > deadline:
            break
        reg = _read(path)
        if reg is None:
            continue
        try:
            index.register(conn, reg)
        except sqlite3.OperationalError as exc:
            if index.is_busy(exc):
                break
            raise
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        merged += 1
    return merged


def flush(db: str, wait: float = 30.0) -> int:
    """Merge every pending registration of ``db`` (after a scan, once the results store is closed).

    Returns how many were merged; 0 without a pending folder. Raises OSError, sqlite3.Error, RegistryError.
    """
    if not _files(db):
        return 0
    return merge(db, writer(db, wait))
