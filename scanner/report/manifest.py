"""The integrity chain: a manifest beside a scan's outputs, and its verification.

The manifest holds the sha256 of every output file and of every record line of the JSON
Lines report, chained (each link hashes the previous link and the line's hash), so that
removing, adding, reordering or editing a record changes the chain's head. The head and
the report's hash also go into the signed inspection record (DOCX), which makes the
paper the anchor: a manifest rewritten to match an edited report no longer matches it.
With ``--files``, verification also re-hashes the originals and reports any that changed
or vanished since the scan.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from scanner import evidence
from scanner.report.jsonl import open_private

FORMAT = "docscan-manifest/1"
CHAIN_SEED = hashlib.sha256(FORMAT.encode()).hexdigest()


def manifest_path(output: str) -> str:
    return output + ".manifest.json"


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(slots=True)
class Chain:
    """Hashes record lines as they are written; ``head`` is the chain's current end."""

    head: str = CHAIN_SEED
    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        digest = hashlib.sha256(line.encode("utf-8")).hexdigest()
        self.lines.append(digest)
        self.head = hashlib.sha256((self.head + digest).encode()).hexdigest()


def chain_of(jsonl: str) -> Chain:
    chain = Chain()
    with open(jsonl, encoding="utf-8", newline="\n") as fh:
        for line in fh:
            chain.add(line.rstrip("\n"))
    return chain


def write(path: str, run: dict[str, Any], records_file: str, chain: Chain, outputs: list[str]) -> dict[str, Any]:
    """Write the manifest (0600) for ``outputs`` (paths), the record file and its chain; returns it."""
    base = os.path.dirname(os.path.abspath(path))
    doc = {
        "format": FORMAT,
        "run": run,
        "outputs": [{"file": os.path.relpath(os.path.abspath(p), base), "sha256": file_sha256(p),
                     "size": os.path.getsize(p)} for p in outputs],
        "records": {"file": os.path.relpath(os.path.abspath(records_file), base), "count": len(chain.lines),
                    "chain_head": chain.head, "line_sha256": chain.lines},
    }
    with open_private(path) as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return doc


def verify(path: str, check_files: bool = False) -> Iterator[str]:
    """Yield one line per problem found (nothing when all matches). Raises OSError / ValueError
    when the manifest itself cannot be read."""
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file")
    base = os.path.dirname(os.path.abspath(path))
    for out in doc["outputs"]:
        yield from _check_output(os.path.join(base, out["file"]), out["sha256"])
    yield from _check_records(os.path.join(base, doc["records"]["file"]), doc["records"])
    if check_files:
        yield from _check_originals(os.path.join(base, doc["records"]["file"]))


def _check_output(path: str, expected: str) -> Iterator[str]:
    if not os.path.exists(path):
        yield f"输出文件缺失 (output missing): {path}"
    elif file_sha256(path) != expected:
        yield f"输出文件被修改 (output changed): {path}"


def _check_records(jsonl: str, stored: dict[str, Any]) -> Iterator[str]:
    if not os.path.exists(jsonl):
        return
    chain = chain_of(jsonl)
    if chain.head == stored["chain_head"]:
        return
    expected = stored["line_sha256"]
    yield (f"记录链不一致 (record chain broken): {len(chain.lines)} 条记录，清单记载 {len(expected)} 条"
           f" ({len(chain.lines)} records, manifest lists {len(expected)})")
    got_set, exp_set = set(chain.lines), set(expected)
    for i, digest in enumerate(chain.lines, 1):
        if digest not in exp_set:
            yield f"第 {i} 行记录被修改或新增 (line {i} edited or added)"
    for i, digest in enumerate(expected, 1):
        if digest not in got_set:
            yield f"清单中的第 {i} 条记录已不在报告中 (record {i} of the manifest removed or edited)"
    if got_set == exp_set:
        yield "记录顺序被改变 (records reordered)"


def _check_originals(jsonl: str) -> Iterator[str]:
    """Re-hash each scanned file that had a hash (archive members are checked through their container)."""
    with open(jsonl, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            path, digest = rec.get("path"), rec.get("sha256")
            if not digest or not path or "!/" in path:
                continue
            try:
                now = evidence.take_path(path).sha256
            except FileNotFoundError:
                yield f"原件已不存在 (original vanished): {path}"
                continue
            except OSError as exc:
                yield f"原件无法读取 (original unreadable): {path}: {exc.strerror or exc}"
                continue
            if now != digest:
                yield f"原件自检查后已改变 (original changed since the scan): {path}"
