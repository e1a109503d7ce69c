"""What one scan writes: the JSON Lines records, a rendered report, collected evidence, the
results store, and the manifest that ties them together. Renderers read the written records.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scanner.options import ScanOptions
from scanner.records import FileRecord
from scanner.report import manifest
from scanner.report.jsonl import JsonlWriter, read_records
from scanner.report.meta import RunInfo, now, rules_digest
from scanner.report.redact import redact
from scanner.run import scan_paths
from scanner.store import Store
from scanner.tally import Tally

RENDERED = ("html", "csv", "docx")


@dataclass(frozen=True, slots=True)
class Plan:
    fmt: str  # jsonl | html | csv | docx
    output: str  # "-" for standard output (jsonl only)
    collect: str | None = None
    redact: bool = False
    db: str | None = None

    @property
    def jsonl(self) -> str:
        """Where the records go: the output itself, or a .jsonl beside a rendered report."""
        return self.output if self.fmt == "jsonl" else self.output + ".jsonl"

    @property
    def manifest(self) -> str | None:
        return None if self.output == "-" else manifest.manifest_path(self.output)


def run_scan(paths: Sequence[str], options: ScanOptions, plan: Plan, model: dict[str, Any] | None) -> Tally:
    """Scan, write every output of ``plan``, and return the tally. Raises OSError on output failures."""
    run = RunInfo([os.path.abspath(p) for p in paths], rules=rules_digest(options.rules_dir), model=model,
                  options={"jobs": options.jobs, "timeout": options.timeout, "max_size": options.max_size,
                           "ocr": options.ocr, "redact": plan.redact, "excludes": list(options.excludes)})
    store = Store(plan.db) if plan.db else None
    run_id = store.begin_run(run.to_json()) if store else 0
    chain = manifest.Chain()
    with JsonlWriter(plan.jsonl) as writer:
        def sink(record: FileRecord) -> None:
            data = record.to_json()
            if plan.redact:
                data = redact(data)
            line = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            writer.write_line(line)
            chain.add(line)
            if store:
                store.add(run_id, data, record.flagged)

        tally = scan_paths(paths, options, [sink])
    run.finished, run.counts = now(), tally.counts()
    info = {**run.to_json(), "integrity": {"records": os.path.basename(plan.jsonl), "chain_head": chain.head,
                                           "records_count": len(chain.lines)}}
    outputs = [] if plan.jsonl == "-" else [plan.jsonl]
    if plan.fmt in RENDERED:
        render(plan.fmt, read_records(plan.jsonl), info, plan.output)
        outputs.append(plan.output)
    if plan.collect and plan.jsonl != "-":
        outputs += collect_evidence(plan.jsonl, info, plan.collect)
    if plan.manifest:
        manifest.write(plan.manifest, info, plan.jsonl, chain, outputs)
    if store:
        store.finish_run(run_id, info)
        store.close()
    return tally


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
