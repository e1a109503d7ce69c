"""Counts of outcomes; the exit status is derived here and nowhere else."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scanner.records import Level, is_flagged


@dataclass(slots=True)
class Tally:
    statuses: Counter = field(default_factory=Counter)
    levels: Counter = field(default_factory=Counter)
    flagged: int = 0
    files: int = 0

    def add(self, record: dict) -> None:
        """Count one report record (the contract's JSON form)."""
        self.files += 1
        self.statuses[record["status"]] += 1
        if record.get("marking"):
            self.levels[record["marking"]["level"]] += 1
        self.flagged += is_flagged(record)

    def counts(self) -> dict:
        return {"files": self.files, "by_status": dict(self.statuses), "by_level": dict(self.levels),
                "flagged": self.flagged}

    @property
    def exit_status(self) -> int:
        """0 nothing flagged, 1 at least one file marked (not declassified) or suspected."""
        return 1 if self.flagged else 0

    def summary(self) -> str:
        by_status = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        ranked = sorted(self.levels.items(), key=lambda kv: Level(kv[0]).rank)
        by_level = ", ".join(f"{k} {v}" for k, v in ranked) or "无"
        return f"共 {self.files} 个文件（{by_status}）；标密文件：{by_level}；需关注 {self.flagged} 个"
