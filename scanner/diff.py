"""docscan diff: what changed between two runs in the results store.

Changes per file: newly flagged, no longer flagged, level changed (up or down), removed.
A nightly job alerts on the exit status: 1 when anything is newly flagged or its level rose.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scanner.records import Level, is_flagged
from scanner.store import Store

CHANGE_NAMES = {"newly_flagged": "新发现", "no_longer_flagged": "不再标记", "level_raised": "密级升高",
                "level_lowered": "密级降低", "removed": "已删除"}


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    path: str
    before: str | None  # level, 疑似<label>, or None
    after: str | None

    def to_json(self) -> dict[str, Any]:
        return {"change": self.kind, "path": self.path, "before": self.before, "after": self.after}

    @property
    def alerts(self) -> bool:
        return self.kind in ("newly_flagged", "level_raised")


def changes(store: Store, before: int, after: int) -> Iterator[Change]:
    """Every change from run ``before`` to run ``after``, in path order."""
    old = {r["path"]: r for r in store.records(before)}
    seen = set()
    for rec in store.records(after):
        seen.add(rec["path"])
        change = _compare(rec["path"], old.get(rec["path"]), rec)
        if change:
            yield change
    for path in sorted(set(old) - seen):
        if "!/" not in path:
            yield Change("removed", path, _label(old[path]), None)


def _compare(path: str, old: dict[str, Any] | None, new: dict[str, Any]) -> Change | None:
    was, now = (old is not None and is_flagged(old)), is_flagged(new)
    a, b = (_label(old) if old else None), _label(new)
    if now and not was:
        return Change("newly_flagged", path, a, b)
    if was and not now:
        return Change("no_longer_flagged", path, a, b)
    if was and now and a != b:
        ra, rb = _rank(a), _rank(b)
        return Change("level_raised" if rb < ra else "level_lowered", path, a, b)
    return None


def _label(rec: dict[str, Any] | None) -> str | None:
    if not rec or not is_flagged(rec):
        return None
    if rec.get("marking") and not rec["marking"].get("declassified"):
        return rec["marking"]["level"]
    return f"疑似{rec['suspected']['label']}"


def _rank(label: str | None) -> int:
    """Lower is more serious: the marking levels in order, then suspected labels."""
    if label and label.startswith("疑似"):
        return len(Level) + (0 if label == "疑似涉密" else 1)
    return Level(label).rank if label else len(Level) + 2


def to_html(items: list[Change], before: int, after: int) -> str:
    """A small self-contained page listing the changes (everything escaped)."""
    rows = "".join(f"<tr><td>{html.escape(CHANGE_NAMES[c.kind])}</td><td>{html.escape(c.path)}</td>"
                   f"<td>{html.escape(c.before or '—')}</td><td>{html.escape(c.after or '—')}</td></tr>"
                   for c in items)
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>检查结果比较 {before} → {after}</title><style>body{{font-family:sans-serif}}"
            "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}</style></head><body>"
            f"<h1>检查结果比较：第 {before} 次 → 第 {after} 次</h1><p>变化 {len(items)} 项</p>"
            "<table><tr><th>变化</th><th>文件</th><th>之前</th><th>之后</th></tr>"
            f"{rows}</table></body></html>\n")
