"""What one scan writes: the JSON Lines records, a rendered report, collected evidence, the
results store, and the manifest that ties them together. Renderers read the written records.
With a store, a scan can reuse the records of unchanged files (incremental) or continue an
interrupted run (resume).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scanner import detectors, smb
from scanner.options import ScanOptions
from scanner.records import FileEntry, is_flagged
from scanner.report import manifest
from scanner.report.jsonl import JsonlWriter, read_records
from scanner.report.meta import RunInfo, now, rules_digest
from scanner.report.redact import redact
from scanner.run import scan_paths
from scanner.store import Store, Stored, identity
from scanner.tally import Tally

RENDERED = ("html", "csv", "docx")
MAX_REMOVED_LISTED = 10_000
FOLDERS_KEPT = 64  # folders whose previous records are held while the walk is inside them (depth)


@dataclass(frozen=True, slots=True)
class Plan:
    fmt: str  # jsonl | html | csv | docx
    output: str  # "-" for standard output (jsonl only)
    collect: str | None = None
    redact: bool = False
    db: str | None = None
    incremental: bool = False
    resume: bool = False

    @property
    def jsonl(self) -> str:
        """Where the records go: the output itself, or FILE.jsonl beside a rendered report FILE."""
        return self.output if self.fmt == "jsonl" else self.output + ".jsonl"

    @property
    def manifest(self) -> str | None:
        return None if self.output == "-" else manifest.manifest_path(self.output)


@dataclass(slots=True)
class StoreHistory:
    """What the store already knows: this run's records (resume) and unchanged files' (incremental)."""

    store: Store
    resumed: int | None
    previous: int | None
    folders: dict[str, dict[str, list[Stored]]] = field(default_factory=dict)  # recent folders' records

    def known(self, entry: FileEntry) -> list[dict[str, Any]] | None:
        if self.resumed is not None:
            done = self.store.entry_records(self.resumed, entry, same_identity=False)
            if done is not None:
                return done
        if self.previous is not None:
            same = self._previous_records(entry)
            if same is not None:
                for rec in same:
                    rec.mark_unchanged(self.previous)
                return same
        return None


    def _previous_records(self, entry: FileEntry) -> list[Stored] | None:
        """The previous run's records of ``entry`` when the file is unchanged: fetched a folder at a time
        (the walk yields a folder's files together, returning to it after each subfolder)."""
        folder, sep, _ = entry.path.rpartition("/")
        if not sep or entry.path.startswith("\\\\"):  # no "/"-separated folder (an SMB UNC path): file by file
            return self.store.entry_records(self.previous, entry, same_identity=True)
        rows = self.folders.get(folder)
        if rows is None:
            rows = self.folders[folder] = self.store.folder_records(self.previous, folder)
            if len(self.folders) > FOLDERS_KEPT:
                del self.folders[next(iter(self.folders))]
        same = rows.pop(entry.path, None)
        if same is None or entry.skip or same[0].row[2] != identity(entry):
            return None
        return same


def run_scan(paths: Sequence[str], options: ScanOptions, plan: Plan, model: dict[str, Any] | None) -> Tally:
    """Scan, write every output of ``plan``, and return the tally. Raises OSError on output failures."""
    run = RunInfo([p if smb.is_smb(p) else os.path.abspath(p) for p in paths],  # smb:// URLs stay as given
                  rules=rules_digest(options.rules_dir, options.rule_packs), model=model,
                  options={"jobs": options.jobs, "timeout": options.timeout, "max_size": options.max_size,
                           "ocr": options.ocr, "redact": plan.redact, "excludes": list(options.excludes),
                           "rule_packs": list(options.rule_packs), "detectors": detectors.signature(options)})
    store = Store(plan.db) if plan.db else None
    history = _open_run(store, run, plan) if store else None
    chain = manifest.Chain()
    with JsonlWriter(plan.jsonl) as writer:
        def sink(entry: FileEntry, records: list[dict[str, Any]]) -> None:
            for data in records:
                line = data.line if isinstance(data, Stored) and not plan.redact else json.dumps(
                    redact(data) if plan.redact else data, ensure_ascii=False, separators=(",", ":"))
                writer.write_line(line)
                chain.add(line)
            if store:
                store.add_entry(run.run_id, entry, records)

        tally = scan_paths(paths, options, [sink], history)
    run.finished, run.counts = now(), tally.counts()
    if store and run.previous_run:
        removed = store.removed(run.previous_run, run.run_id)
        run.removed, run.counts["removed"] = removed[:MAX_REMOVED_LISTED], len(removed)
    info = {**run.to_json(), "integrity": {"records": os.path.basename(plan.jsonl), "chain_head": chain.head,
                                           "records_count": len(chain.lines)}}
    _finish_outputs(plan, info, chain)
    if store:
        store.finish_run(run.run_id, info)
        store.close()
    if plan.db and options.fingerprint_marked:  # registrations that had to wait for the store's lock
        from scanner import fingerprint_spool

        fingerprint_spool.flush(plan.db)
    return tally


def run_watch(paths: Sequence[str], options: ScanOptions, plan: Plan, model: dict[str, Any] | None,
              stop: Any, settle: float, poll: float | None) -> Tally:
    """Watch ``paths`` until ``stop`` is set: each settled new or changed file gets a record in the
    report (and the store); the manifest is written when watching ends. Raises OSError."""
    from scanner.watch import watch

    run = RunInfo([os.path.abspath(p) for p in paths], model=model,
                  rules=rules_digest(options.rules_dir, options.rule_packs),
                  options={"jobs": options.jobs, "timeout": options.timeout, "settle": settle, "poll": poll,
                           "rule_packs": list(options.rule_packs)},
                  mode="watch")
    store = Store(plan.db) if plan.db else None
    if store:
        run.run_id = store.begin_run(run.to_json(), "watch")
    chain, tally = manifest.Chain(), Tally()
    ignore = {os.path.abspath(p) for p in (plan.jsonl, plan.db, plan.manifest) if p and p != "-"}
    with JsonlWriter(plan.jsonl) as writer:
        def emit(record: Any) -> None:
            data = record.to_json()
            line = json.dumps(redact(data) if plan.redact else data, ensure_ascii=False, separators=(",", ":"))
            writer.write_line(line)
            chain.add(line)
            tally.add(data)
            if store:
                store.add_entry(run.run_id, FileEntry(record.path, record.path, skip="watched"), [data])
            if not options.quiet and is_flagged(data):
                print(f"docscan: 发现 {data['path']!r}", file=sys.stderr)

        def ready() -> None:
            if not options.quiet:
                print("docscan: 监视中，按 Ctrl-C 结束 (watching)", file=sys.stderr)

        watch(paths, options, emit, stop, settle=settle, on_ready=ready, ignore=ignore, poll=poll)
    run.finished, run.counts = now(), tally.counts()
    info = {**run.to_json(), "integrity": {"records": os.path.basename(plan.jsonl), "chain_head": chain.head,
                                           "records_count": len(chain.lines)}}
    _finish_outputs(plan, info, chain)
    if store:
        store.finish_run(run.run_id, info)
        store.close()
    return tally


def _open_run(store: Store, run: RunInfo, plan: Plan) -> StoreHistory:
    """Start (or, with --resume, continue) a run in the store; say which records can be reused."""
    key = hashlib.sha256(json.dumps([sorted(run.paths), run.rules, (run.model or {}).get("sha256"),
                                     run.options["excludes"], run.options["ocr"], run.options["detectors"]]
                                    ).encode()).hexdigest()
    resumed = store.interrupted(key) if plan.resume else None
    if plan.resume and resumed is None:
        print("docscan: 没有可继续的中断检查，开始新的检查 (nothing to resume: a new run)", file=sys.stderr)
    previous = store.last_completed(key) if plan.incremental else None
    if plan.incremental and previous is None:
        print("docscan: 结果库中没有同样规则和模型的完整检查，本次全部读取 (no comparable run: full scan)",
              file=sys.stderr)
    run.mode = "resumed" if resumed else ("incremental" if previous else "full")
    run.previous_run = previous
    run.run_id = resumed or store.begin_run(run.to_json(), key)
    return StoreHistory(store, resumed, previous)


def _finish_outputs(plan: Plan, info: dict[str, Any], chain: manifest.Chain) -> None:
    outputs = [] if plan.jsonl == "-" else [plan.jsonl]
    if plan.fmt in RENDERED:
        render(plan.fmt, read_records(plan.jsonl), info, plan.output)
        outputs.append(plan.output)
    if plan.collect and plan.jsonl != "-":
        outputs += collect_evidence(plan.jsonl, info, plan.collect)
    if plan.manifest:
        manifest.write(plan.manifest, info, plan.jsonl, chain, outputs)


def render(fmt: str, records: Any, run: dict[str, Any] | None, path: str) -> None:
    """Render records with the renderer of ``fmt`` (scanner.report.<fmt>)."""
    importlib.import_module(f"scanner.report.{fmt}").render(records, run, path)


def collect_evidence(jsonl: str, run: dict[str, Any], folder: str) -> list[str]:
    """Copy flagged files into ``folder`` and write its 登记保存清单; returns the files written."""
    from scanner.collect import collect
    from scanner.report.register import render_register

    collected = collect(read_records(jsonl), folder)
    items = [dict(c.item, problem=c.problem) for c in collected]
    csv_path, docx_path = os.path.join(folder, "登记保存清单.csv"), os.path.join(folder, "登记保存清单.docx")
    render_register(items, run, csv_path, docx_path)
    return [c.item["collected_path"] for c in collected if c.item["sha256"]] + [csv_path, docx_path]
