"""RunInfo: what a scan was (when, where, by whom, with which rules and model), for every report.

The JSON Lines report holds one record per file and nothing else (the contract); the run's
own description travels in the manifest written beside the outputs, and renderers take it
as a plain dict (``RunInfo.to_json()``), as they take records as plain dicts.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import platform
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner import __version__


def now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def rules_digest(folder: str | None, packs: tuple[str, ...] = ()) -> str:
    """sha256 over the rule files (name and bytes, sorted), then over each rule pack's files
    (``pack/name`` and bytes): which rule set a report was made with. Without packs the value
    is what it always was, so stores written before packs existed still match."""
    from markings.rule import RULES_DIR
    from markings.rulepacks import pack_files

    h = hashlib.sha256()
    for path in sorted(p for p in Path(folder or RULES_DIR).glob("*.toml") if p.is_file()):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for pack, path in pack_files(packs):
        h.update(f"{pack}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@dataclass(slots=True)
class RunInfo:
    paths: list[str]
    started: str = field(default_factory=now)
    finished: str | None = None
    host: str = field(default_factory=socket.gethostname)
    os: str = field(default_factory=lambda: f"{platform.system()} {platform.release()} ({platform.machine()})")
    user: str = field(default_factory=lambda: _user())
    tool: str = f"docscan {__version__}"
    rules: str = ""  # sha256 of the rule set
    model: dict[str, Any] | None = None  # the classifier's card summary, None when classification was off
    counts: dict[str, Any] = field(default_factory=dict)  # the tally at the end
    options: dict[str, Any] = field(default_factory=dict)
    mode: str = "full"  # full | incremental | resumed
    run_id: int | None = None  # in the results store, when there is one
    previous_run: int | None = None  # the run an incremental scan compared with
    removed: list[str] = field(default_factory=list)  # files of the previous run that are gone

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"
