"""--collect DIR: copies of flagged files as evidence, verified by hash, with a 登记保存清单.

The original is only read (O_NOATIME, never moved or changed). Each copy keeps the
original's modification and access times, is written owner-only into an owner-only
folder, and is hashed again after copying: a copy whose hash differs from the scan's is
reported, not silently kept. A flagged archive member is collected as its container.
"""

from __future__ import annotations

import hashlib
import ntpath
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scanner import evidence
from scanner.records import is_flagged
from scanner.report.meta import now

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Collected:
    item: dict[str, Any]  # a row of the 登记保存清单
    problem: str | None  # why the copy is not a faithful one, if so


def collect(records: Iterable[dict[str, Any]], folder: str) -> list[Collected]:
    """Copy every flagged file into ``folder``; one entry per copied file."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    formats: dict[str, str | None] = {}  # a container's own record comes before its members'
    seen: dict[str, dict[str, Any]] = {}
    for rec in records:
        if "!/" not in rec["path"]:
            formats[rec["path"]] = rec.get("format")
        if is_flagged(rec):
            seen.setdefault(rec["path"].split("!/", 1)[0], rec)
    return [_copy(i, original, rec, formats.get(original), folder)
            for i, (original, rec) in enumerate(seen.items(), 1)]


def _copy(number: int, original: str, rec: dict[str, Any], fmt: str | None, folder: str) -> Collected:
    name = (ntpath if original.startswith("\\\\") else os.path).basename(original)  # UNC paths from smb://
    target = os.path.join(folder, f"{number:04d}_{name}")
    member = rec["path"].split("!/", 1)[1] if "!/" in rec["path"] else None
    item = {"name": name, "format": fmt, "level": _level(rec), "original_path": original,
            "flagged_member": member, "collected_path": target, "collected_at": now(), "size": None,
            "sha256": None}
    try:
        digest, size = _copy_bytes(original, target)
    except OSError as exc:
        return Collected(item, f"无法复制 (cannot copy): {exc.strerror or exc}")
    item.update(size=size, sha256=digest)
    expected = rec.get("sha256") if "!/" not in rec["path"] else None
    problem = None
    if expected and digest != expected:
        problem = "原件自检查后已改变，副本哈希与检查时不同 (original changed since the scan)"
    elif _sha256(target) != digest:
        problem = "副本校验失败 (the copy does not match what was read)"
    return Collected(item, problem)


def _copy_bytes(source: str, target: str) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with evidence.open_readonly(source) as src:
        st = evidence.fstat(src)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as dst:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                h.update(chunk)
                dst.write(chunk)
                size += len(chunk)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    return h.hexdigest(), size


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _level(rec: dict[str, Any]) -> str:
    if rec.get("marking"):
        return rec["marking"]["level"]
    return f"疑似{rec['suspected']['label']}"
