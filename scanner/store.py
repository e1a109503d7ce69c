"""The results store (--db FILE): scan runs and their records in SQLite (WAL), owner-only.

Records are kept as the contract's JSON lines, plus what is needed to query, compare and
rescan: path, status, level, flagged, sha256, and for files on disk their identity (size,
mtime, inode, device), which lets an incremental scan reuse the record of a file that has
not changed. Writes are committed every few hundred files, always at a file's boundary
(a container and its members go in together), so an interrupted run can be resumed
without reading again what it finished.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any

from scanner.records import FileEntry, is_flagged

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    finished TEXT,
    state TEXT NOT NULL DEFAULT 'running',
    key TEXT NOT NULL DEFAULT '',
    info TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    path TEXT NOT NULL,
    top INTEGER NOT NULL,
    identity TEXT,
    status TEXT NOT NULL,
    level TEXT,
    flagged INTEGER NOT NULL,
    sha256 TEXT,
    json TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
);
"""
BATCH = 100  # records read (not reused) per commit at most ...
COMMIT_SECONDS = 0.5  # ... and at least this often, so little is read again after a crash


_COLUMNS = "path, top, identity, status, level, flagged, sha256, json"


class Stored(dict):
    """A record read back from the store: the contract's dict, plus its stored row and JSON line,
    so that reusing it (an unchanged file, a resumed run) costs no serialisation."""

    __slots__ = ("line", "row")

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Stored:
        rec = cls(json.loads(row[-1]))
        rec.row, rec.line = tuple(row), row[-1]
        return rec

    def mark_unchanged(self, since: int) -> None:
        """Say the file is unchanged since run ``since`` (kept when an earlier run already said so)."""
        if "unchanged_since" in self:
            return
        self["unchanged_since"] = since
        self.line = self.line[:-1] + f',"unchanged_since":{since}}}'  # == json.dumps of the updated dict


def identity(entry: FileEntry) -> str:
    """What must be unchanged for a file's record to be reused: size, mtime, inode, device."""
    return f"{entry.size}:{entry.mtime!r}:{entry.inode}:{entry.device}"


class Store:
    def __init__(self, path: str) -> None:
        if not os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.pending, self.committed = 0, time.monotonic()

    # ---- runs ----
    def begin_run(self, info: dict[str, Any], key: str = "") -> int:
        cur = self.db.execute("INSERT INTO runs (started, key, info) VALUES (?, ?, ?)",
                              (info.get("started", ""), key, json.dumps(info, ensure_ascii=False)))
        self.db.commit()
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, info: dict[str, Any]) -> None:
        self.db.execute("UPDATE runs SET finished = ?, state = 'completed', info = ? WHERE id = ?",
                        (info.get("finished"), json.dumps(info, ensure_ascii=False), run_id))
        self.db.commit()

    def runs(self, completed_only: bool = False) -> list[tuple[int, str, str | None]]:
        where = " WHERE state = 'completed'" if completed_only else ""
        return list(self.db.execute(f"SELECT id, started, finished FROM runs{where} ORDER BY id"))

    def last_completed(self, key: str) -> int | None:
        """The latest completed run made with the same rules, model and paths (``key``)."""
        row = self.db.execute("SELECT max(id) FROM runs WHERE state = 'completed' AND key = ?", (key,)).fetchone()
        return row[0]

    def interrupted(self, key: str) -> int | None:
        """The latest run with this ``key`` that never finished, if it is the latest run of that key."""
        row = self.db.execute("SELECT id, state FROM runs WHERE key = ? ORDER BY id DESC LIMIT 1", (key,)).fetchone()
        return row[0] if row and row[1] == "running" else None

    def run_info(self, run_id: int) -> dict[str, Any]:
        row = self.db.execute("SELECT info FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"no run {run_id} in {self.path}")
        return json.loads(row[0])

    # ---- records ----
    def add_entry(self, run_id: int, entry: FileEntry, records: Sequence[dict[str, Any]]) -> None:
        """Store one walked file's records (its own, then its members'); commits at file boundaries.

        Records read back from the store (``Stored``) are written as they were, not serialised again.
        """
        rows = []
        fresh = 0  # records read this run; reused ones are cheap to redo and commit on the clock only
        for rec in records:
            if isinstance(rec, Stored):
                rows.append((run_id, *rec.row[:-1], rec.line))
                continue
            fresh += 1
            top = rec["path"] == entry.path
            level = (rec.get("marking") or {}).get("level")
            rows.append((run_id, rec["path"], int(top), identity(entry) if top and not entry.skip else None,
                         rec["status"], level, int(is_flagged(rec)), rec.get("sha256"),
                         json.dumps(rec, ensure_ascii=False, separators=(",", ":"))))
        self.db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.pending += fresh
        if self.pending >= BATCH or time.monotonic() - self.committed > COMMIT_SECONDS:
            self.db.commit()
            self.pending, self.committed = 0, time.monotonic()

    def records(self, run_id: int) -> Iterator[dict[str, Any]]:
        for (blob,) in self.db.execute("SELECT json FROM records WHERE run_id = ? ORDER BY path", (run_id,)):
            yield json.loads(blob)

    def entry_records(self, run_id: int, entry: FileEntry, same_identity: bool) -> list[Stored] | None:
        """The stored records of ``entry`` (then its members') in ``run_id``, in one query; None when there
        are none, or when ``same_identity`` is asked and the file changed since."""
        # One range over the primary key: the file itself, then anything named "path!/..." (its members);
        # other names that sort in between (a sibling "path!!x") are dropped below.
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM records WHERE run_id = ? AND path >= ? AND path < ? "
                               "ORDER BY rowid", (run_id, entry.path, entry.path + "!0")).fetchall()
        own = next((row for row in rows if row[0] == entry.path and row[1] == 1), None)
        if own is None:
            return None
        inside = entry.path + "!/"
        rows = [own] + [row for row in rows if row[0].startswith(inside)]
        if same_identity and (entry.skip or rows[0][2] != identity(entry)):
            return None
        return [Stored.from_row(row) for row in rows]

    def folder_records(self, run_id: int, folder: str) -> dict[str, list[Stored]]:
        """The stored records of the files directly in ``folder`` (each with its members), by path, in one
        query: a rescan asks once per folder instead of once per file. ``folder`` is "/"-separated."""
        prefix = folder + "/"
        start = len(prefix) + 1
        # rows of this folder: no "/" after the prefix, or the first one opens a member path ("name!/...")
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM records WHERE run_id = ? AND path >= ? AND path < ? AND "
            "(instr(substr(path, ?), '/') = 0 OR instr(substr(path, ?), '!/') + 1 = instr(substr(path, ?), '/')) "
            "ORDER BY rowid", (run_id, prefix, folder + "0", start, start, start)).fetchall()
        found: dict[str, list[Stored]] = {}
        for row in rows:
            if row[1] == 1:
                found.setdefault(row[0], []).insert(0, Stored.from_row(row))
        for row in rows:
            if row[1] != 1:
                owner = found.get(row[0].split("!/", 1)[0])
                if owner is not None:
                    owner.append(Stored.from_row(row))
        return found

    def removed(self, before: int, now: int) -> list[str]:
        """Files (not members) recorded in run ``before`` and absent from run ``now``."""
        return [p for (p,) in self.db.execute(
            "SELECT path FROM records WHERE run_id = ? AND top = 1 AND path NOT IN "
            "(SELECT path FROM records WHERE run_id = ? AND top = 1) ORDER BY path", (before, now))]

    def close(self) -> None:
        self.db.commit()
        self.db.close()
        for suffix in ("-wal", "-shm"):  # SQLite gives them the database's mode; make sure
            if os.path.exists(self.path + suffix):
                os.chmod(self.path + suffix, 0o600)
