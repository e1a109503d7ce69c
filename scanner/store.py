"""The results store (--db FILE): scan runs and their records in SQLite (WAL), owner-only.

Records are kept as the contract's JSON lines, plus the columns needed to query and compare
runs (path, status, level, flagged, sha256). Commits come in small batches, so an
interrupted scan leaves everything up to the last batch.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    finished TEXT,
    info TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    path TEXT NOT NULL,
    status TEXT NOT NULL,
    level TEXT,
    flagged INTEGER NOT NULL,
    sha256 TEXT,
    json TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
);
"""
BATCH = 200


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
        self.pending = 0

    def begin_run(self, info: dict[str, Any]) -> int:
        cur = self.db.execute("INSERT INTO runs (started, info) VALUES (?, ?)",
                              (info.get("started", ""), json.dumps(info, ensure_ascii=False)))
        self.db.commit()
        return int(cur.lastrowid)

    def add(self, run_id: int, record: dict[str, Any], flagged: bool) -> None:
        level = (record.get("marking") or {}).get("level")
        self.db.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (run_id, record["path"], record["status"], level, int(flagged), record.get("sha256"),
                         json.dumps(record, ensure_ascii=False, separators=(",", ":"))))
        self.pending += 1
        if self.pending >= BATCH:
            self.db.commit()
            self.pending = 0

    def finish_run(self, run_id: int, info: dict[str, Any]) -> None:
        self.db.execute("UPDATE runs SET finished = ?, info = ? WHERE id = ?",
                        (info.get("finished"), json.dumps(info, ensure_ascii=False), run_id))
        self.db.commit()

    def runs(self) -> list[tuple[int, str, str | None]]:
        return list(self.db.execute("SELECT id, started, finished FROM runs ORDER BY id"))

    def run_info(self, run_id: int) -> dict[str, Any]:
        row = self.db.execute("SELECT info FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(run_id)
        return json.loads(row[0])

    def records(self, run_id: int) -> Iterator[dict[str, Any]]:
        for (blob,) in self.db.execute("SELECT json FROM records WHERE run_id = ? ORDER BY path", (run_id,)):
            yield json.loads(blob)

    def close(self) -> None:
        self.db.commit()
        self.db.close()
        for suffix in ("-wal", "-shm"):  # SQLite gives them the database's mode; make sure
            if os.path.exists(self.path + suffix):
                os.chmod(self.path + suffix, 0o600)
