"""`docscan fingerprint add|list|remove`: the registry of marked documents' fingerprints.

    docscan fingerprint add FILE|DIR ... --db FILE [--level 秘密]
    docscan fingerprint list --db FILE [--json]
    docscan fingerprint remove ID|PATH ... --db FILE

``add`` reads the files through the normal scan (workers, deadlines, archives: a member registers
as ``a.zip!/x.docx``) and registers every one with text, marked or not: the inspector vouches for
them. The level is the file's marking when one is found, else ``--level``, else none.
Exit status: 0 done; 1 some file could not be registered / some ID or PATH was not registered;
2 usage error or the registry cannot be used.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scanner import fingerprint_index as index
from scanner import fingerprint_spool as spool
from scanner.fingerprint_index import RegistryError, Source
from scanner.options import ScanOptions
from scanner.records import Level

COMMAND_WAIT = 30.0  # seconds a command waits for the database lock (a scan holds it briefly)


@dataclass(frozen=True, slots=True)
class Added:
    """What `add` did with one file (or archive member)."""

    path: str
    registered: Source | None  # the registry's document holding this content
    new: bool  # registered by this call (not already there)
    reason: str | None = None  # why it is not registered

    def to_json(self) -> dict[str, Any]:
        src = self.registered
        return {"path": self.path, "id": src.id if src else None, "new": self.new,
                "level": src.level if src else None, "fingerprints": src.fingerprints if src else 0,
                "registered_as": src.path if src and src.path != self.path else None, "reason": self.reason}


def add(db: str, paths: Sequence[str], options: ScanOptions) -> list[Added]:
    """Register the documents under ``paths`` in ``db``; what happened to each file read.

    Raises RegistryError when ``db`` holds a registry of another scheme, sqlite3.Error when it is
    not a database, OSError when it cannot be created.
    """
    from scanner.run import scan_paths  # the process pool is imported only to add

    db = os.path.abspath(db)
    conn = spool.writer(db, COMMAND_WAIT)
    before = int(conn.execute("SELECT coalesce(max(id), 0) FROM fp_documents").fetchone()[0])
    records: list[dict[str, Any]] = []
    opts = _with(options, db)
    scan_paths(paths, opts, [lambda _entry, recs: records.extend(recs)])
    spool.merge(db, conn)
    containers = {r["path"].rsplit("!/", 1)[0] for r in records if "!/" in r["path"]}
    out = []
    for rec in records:
        source = index.find(conn, rec["path"], rec.get("sha256"))
        if source is not None and source.fingerprints > 0:
            out.append(Added(rec["path"], source, (source.id or 0) > before))
        elif rec["path"] not in containers:
            reason = rec.get("error") if rec["status"] != "ok" else "文字太少，无法登记 (too little text)"
            out.append(Added(rec["path"], None, False, f"{rec['status']}: {reason}"))
    return out


def _with(options: ScanOptions, db: str) -> ScanOptions:
    from dataclasses import replace

    return replace(options, fingerprints=db, fingerprint_marked=True, fingerprint_all=True, classify=False)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `fingerprint` command and its add / list / remove sub-commands."""
    fp = subparsers.add_parser(
        "fingerprint", help="登记标密文件的指纹，查找摘抄、汇编的派生文件 (fingerprints of marked documents)",
        description="登记标密文件的文字指纹（只存哈希，不存文字）；scan 配合 --db 时，"
                    "与登记文件有相同段落的文件报告为 fingerprint 发现。")
    sub = fp.add_subparsers(dest="fingerprint_command", metavar="子命令")
    add_cmd = sub.add_parser("add", help="登记文件 (register documents)",
                             description="读取文件（文件夹、压缩包成员）并登记其文字指纹；"
                                         "检出的标志决定密级，否则用 --level。")
    add_cmd.add_argument("paths", nargs="+", metavar="FILE|DIR", help="要登记的标密文件或文件夹")
    add_cmd.add_argument("--db", required=True, metavar="FILE", help="结果库（指纹登记在其中）(results store)")
    add_cmd.add_argument("--level", choices=[lv.value for lv in Level], default=None,
                         help="未检出标志的文件按此密级登记 (level of files without a detected mark)")
    add_cmd.add_argument("--jobs", "-j", type=int, default=max(1, os.cpu_count() or 1), metavar="N",
                         help="并行进程数 (worker processes)")
    add_cmd.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                         help="单个文件的处理时限 (per-file time limit)")
    add_cmd.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="排除匹配的文件 (exclude)")
    add_cmd.add_argument("--no-ocr", action="store_true", help="不做文字识别 (no OCR)")
    add_cmd.add_argument("--quiet", "-q", action="store_true", help="不显示进度 (no progress)")
    lst = sub.add_parser("list", help="列出已登记文件 (list registered documents)")
    lst.add_argument("--db", required=True, metavar="FILE", help="结果库 (results store)")
    lst.add_argument("--json", action="store_true", help="每行一个 JSON 对象 (JSON Lines)")
    rm = sub.add_parser("remove", help="删除登记 (remove registered documents)")
    rm.add_argument("keys", nargs="+", metavar="ID|PATH", help="登记编号或登记时的路径 (id or registered path)")
    rm.add_argument("--db", required=True, metavar="FILE", help="结果库 (results store)")


def command(args: argparse.Namespace) -> int:
    """Run `docscan fingerprint ...`; returns the exit status."""
    handlers = {"add": _add, "list": _list, "remove": _remove}
    handler = handlers.get(getattr(args, "fingerprint_command", None) or "")
    if handler is None:
        print("docscan: 请给出子命令 add、list 或 remove (fingerprint add|list|remove)", file=sys.stderr)
        return 2
    if handler is not _add and not os.path.isfile(args.db):
        print(f"docscan: 结果库不存在 (no such store): {args.db}", file=sys.stderr)
        return 2
    try:
        return handler(args)
    except (RegistryError, sqlite3.Error) as exc:
        print(f"docscan: 指纹库不可用 (registry unusable): {args.db}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"docscan: {exc}", file=sys.stderr)
        return 2


def _add(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing or args.jobs < 1 or args.timeout <= 0:
        print(f"docscan: 路径不存在或参数无效 (no such path / bad option): {', '.join(missing)}", file=sys.stderr)
        return 2
    options = ScanOptions(jobs=args.jobs, timeout=args.timeout, excludes=tuple(args.exclude), quiet=args.quiet,
                              ocr=not args.no_ocr, fingerprint_level=args.level)
    results = add(args.db, [os.path.abspath(p) for p in args.paths], options)  # the registry names files fully
    for item in results:
        print(json.dumps(item.to_json(), ensure_ascii=False))
    failed = [r for r in results if r.registered is None]
    new = sum(r.new for r in results)
    print(f"docscan: 新登记 {new} 个，已登记 {len(results) - new - len(failed)} 个，未能登记 {len(failed)} 个 "
          f"(added {new}, already registered {len(results) - new - len(failed)}, not registered {len(failed)})",
          file=sys.stderr)
    return 1 if failed else 0


def _connect(db: str) -> sqlite3.Connection:
    """A writer when registrations are pending (they are merged first), else a reader of the registry."""
    if os.path.isdir(spool.folder(db)) or index.reader(db) is None:
        conn = spool.writer(db, COMMAND_WAIT)
        spool.merge(db, conn)
        return conn
    conn = index.reader(db)
    assert conn is not None
    return conn


def _list(args: argparse.Namespace) -> int:
    sources = index.list_sources(_connect(os.path.abspath(args.db)))
    if not args.json:
        print("编号\t密级\t指纹数\t登记时间\t路径 (id, level, fingerprints, added, path)")
    for s in sources:
        if args.json:
            print(json.dumps({"id": s.id, "path": s.path, "sha256": s.sha256, "level": s.level, "marking": s.marking,
                              "size": s.size, "fingerprints": s.fingerprints, "added": s.added}, ensure_ascii=False))
        else:
            print(f"{s.id}\t{s.level or '-'}\t{s.fingerprints}\t{s.added}\t{s.path}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    db = os.path.abspath(args.db)
    conn = spool.writer(db, COMMAND_WAIT)
    spool.merge(db, conn)
    status = 0
    for key in args.keys:
        gone = index.remove(conn, key) or index.remove(conn, os.path.abspath(key))
        if not gone:
            print(f"docscan: 未登记 (not registered): {key}", file=sys.stderr)
            status = 1
        for s in gone:
            print(f"已删除 (removed)\t{s.id}\t{s.path}")
    return status
