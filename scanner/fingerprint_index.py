"""The fingerprint registry: tables in the results store's SQLite file (--db FILE), no text in them.

``fp_documents`` names each registered document (path, sha256, level, marking, size, how many
fingerprints, when added); ``fp_hashes`` is the inverted index, one row per (hash, document), so a
lookup costs one index seek per fingerprint of the suspect document whatever the registry's size.
``fp_meta`` records the fingerprint scheme (K, W, hash) the registry was built with: a registry
built with another scheme is refused rather than silently never matching.

Readers open the file read-only once per process (WAL: they never wait for a writer). Writers keep
every transaction short (the results store's connection waits at most 5 s for the lock).
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


from scanner.errors import DocscanError

K = 12  # characters per hashed substring (chosen by measurement: benchmarks/fingerprint.py docstring)
W = 5  # winnowing window: a shared run of W + K - 1 = 16 normalised characters always yields a match
SCHEME = f"poly64-splitmix/nfkc-alnum/k{K}/w{W}"
SCHEMA = """
CREATE TABLE IF NOT EXISTS fp_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fp_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    sha256 TEXT,
    level TEXT,
    marking TEXT,
    size INTEGER NOT NULL,
    fingerprints INTEGER NOT NULL,
    added TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fp_documents_sha256 ON fp_documents (sha256);
CREATE TABLE IF NOT EXISTS fp_hashes (
    hash INTEGER NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (hash, doc)
) WITHOUT ROWID;
"""
CHUNK = 900  # hashes per IN (...) query
CACHE_KB = 65_536  # page cache of a connection: the index's upper levels and hot pages stay in memory
MMAP_BYTES = 1 << 30  # readers map the file: an index seek reads no page through a system call
INSERT_CHUNK = 50_000  # index rows per write transaction, so no transaction holds the lock for long


class RegistryError(DocscanError):
    """The registry cannot be used (another fingerprint scheme, not a SQLite file)."""


@dataclass(frozen=True, slots=True)
class Source:
    """A registered document, as the registry names it (never its text)."""

    id: int | None  # None while it waits in the pending folder
    path: str
    sha256: str | None
    level: str | None
    marking: str | None
    size: int
    fingerprints: int
    added: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "sha256": self.sha256, "level": self.level,
                "marking": self.marking}


@dataclass(frozen=True, slots=True, eq=False)
class Registration:
    """What registering one document stores: who it is and its distinct fingerprints."""

    path: str
    sha256: str | None
    level: str | None
    marking: str | None
    size: int
    hashes: np.ndarray  # distinct int64 fingerprints


_COLUMNS = "id, path, sha256, level, marking, size, fingerprints, added"
_READERS: dict[str, sqlite3.Connection] = {}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def open_writer(db: str, wait: float) -> sqlite3.Connection:
    """A connection that may write ``db`` (created owner-only when absent), tables ensured.

    Transactions are explicit (``BEGIN IMMEDIATE``); ``wait`` seconds is the longest it waits for the
    lock. Raises sqlite3.OperationalError when the lock cannot be had, RegistryError on another scheme.
    """
    if not os.path.exists(db):
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT, 0o600))
    conn = sqlite3.connect(db, timeout=wait, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA cache_size=-{CACHE_KB}")
        if not _has_tables(conn):
            conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA} INSERT OR IGNORE INTO fp_meta VALUES ('scheme', "
                               f"'{SCHEME}'); COMMIT;")
        _check_scheme(conn)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
        raise
    return conn


def reader(db: str) -> sqlite3.Connection | None:
    """The process's read-only connection to ``db``; None while it holds no registry (absent, empty)."""
    conn = _READERS.get(db)
    if conn is not None:
        return conn
    if not os.path.isfile(db):
        return None
    conn = sqlite3.connect(f"file:{urllib.parse.quote(os.path.abspath(db))}?mode=ro", uri=True,
                           check_same_thread=False)
    try:
        conn.execute(f"PRAGMA cache_size=-{CACHE_KB}")
        conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        if not _has_tables(conn):
            conn.close()
            return None
        _check_scheme(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise RegistryError(f"不是可用的指纹库 (not a usable fingerprint registry): {db}: {exc}") from exc
    _READERS[db] = conn
    return conn


def forget_reader(db: str) -> None:
    """Close the cached reader of ``db`` (after the file was removed or replaced)."""
    conn = _READERS.pop(db, None)
    if conn is not None:
        conn.close()


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """The error says another connection holds the lock (as opposed to a broken or read-only file)."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('fp_hashes', 'fp_documents', "
                       "'fp_meta')").fetchone()
    return row[0] == 3


def _check_scheme(conn: sqlite3.Connection) -> None:
    row = conn.execute("SELECT value FROM fp_meta WHERE key = 'scheme'").fetchone()
    if row is not None and row[0] != SCHEME:
        raise RegistryError(f"指纹库使用另一种指纹算法 (registry built with {row[0]}, this docscan uses {SCHEME})")


def register(conn: sqlite3.Connection, reg: Registration) -> tuple[int, bool]:
    """Store ``reg`` unless a document with the same sha256 is registered; returns (id, newly added).

    The document row counts as a match source only once all its index rows are in (its fingerprint
    count is set last): a reader never matches against half a document. Raises
    sqlite3.OperationalError when the lock stays busy.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        existing = _same_content(conn, reg)
        if existing is not None:
            if reg.level is not None:
                conn.execute("UPDATE fp_documents SET level = ?, marking = ? WHERE id = ? AND level IS NULL",
                             (reg.level, reg.marking, existing))
            conn.execute("COMMIT")
            return existing, False
        cur = conn.execute("INSERT INTO fp_documents (path, sha256, level, marking, size, fingerprints, added) "
                           "VALUES (?, ?, ?, ?, ?, 0, ?)",
                           (reg.path, reg.sha256, reg.level, reg.marking, reg.size, now()))
        doc = int(cur.lastrowid or 0)
        values = reg.hashes.tolist()
        for start in range(0, len(values), INSERT_CHUNK):
            if start:
                conn.execute("COMMIT")
                conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR IGNORE INTO fp_hashes VALUES (?, ?)",
                             ((h, doc) for h in values[start:start + INSERT_CHUNK]))
        conn.execute("UPDATE fp_documents SET fingerprints = ? WHERE id = ?", (len(values), doc))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return doc, True


def _same_content(conn: sqlite3.Connection, reg: Registration) -> int | None:
    if reg.sha256 is None:
        return None
    row = conn.execute("SELECT id FROM fp_documents WHERE sha256 = ? AND fingerprints > 0 ORDER BY id LIMIT 1",
                       (reg.sha256,)).fetchone()
    return None if row is None else int(row[0])


def hits(conn: sqlite3.Connection, hashes: list[int]) -> list[tuple[int, int]]:
    """Every (hash, document id) of the index whose hash is among ``hashes`` (each given once)."""
    found: list[tuple[int, int]] = []
    for start in range(0, len(hashes), CHUNK):
        chunk = hashes[start:start + CHUNK]
        marks = ",".join("?" * len(chunk))
        found += conn.execute(f"SELECT hash, doc FROM fp_hashes WHERE hash IN ({marks})", chunk).fetchall()
    return found


def sources(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Source]:
    """The registered documents with these ids (complete ones only)."""
    values = list(ids)
    found: dict[int, Source] = {}
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {_COLUMNS} FROM fp_documents WHERE id IN ({marks}) AND fingerprints > 0",
                                chunk):
            found[row[0]] = Source(*row)
    return found


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM fp_documents").fetchone()[0])


def list_sources(conn: sqlite3.Connection) -> list[Source]:
    return [Source(*row) for row in conn.execute(f"SELECT {_COLUMNS} FROM fp_documents ORDER BY id")]


def find(conn: sqlite3.Connection, path: str, sha256: str | None) -> Source | None:
    """The registered document with this path and content (or, without sha256, the latest with this path)."""
    if sha256 is not None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM fp_documents WHERE sha256 = ? ORDER BY path = ? DESC, id "
                           "LIMIT 1", (sha256, path)).fetchone()
    else:
        row = conn.execute(f"SELECT {_COLUMNS} FROM fp_documents WHERE path = ? ORDER BY id DESC LIMIT 1",
                           (path,)).fetchone()
    return None if row is None else Source(*row)


def remove(conn: sqlite3.Connection, key: str) -> list[Source]:
    """Remove the document with id ``key``, or every document registered under path ``key``; returns them."""
    column = "id" if key.isdigit() else "path"
    gone = [Source(*row) for row in conn.execute(f"SELECT {_COLUMNS} FROM fp_documents WHERE {column} = ?", (key,))]
    if not gone:
        return []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for source in gone:
            conn.execute("DELETE FROM fp_documents WHERE id = ?", (source.id,))
            conn.execute("DELETE FROM fp_hashes WHERE doc = ?", (source.id,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return gone


def version(db: str) -> str:
    """What changes whenever documents are registered or removed ("" without a registry): for the key of an
    incremental scan, so files are looked up again once the registry changed."""
    conn = reader(db)
    if conn is None:
        return ""
    count, top = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM fp_documents").fetchone()
    return f"{count}:{top}"
