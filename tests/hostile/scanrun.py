"""One real scan of the hostile corpus, shared by the tests that check its guarantees.

``hostile_run()`` builds the corpus (tests/hostile/corpus.py), snapshots every entry (bytes, mtime,
atime, ctime), listens on a loopback port the XML external entities point at, and runs

    python cli.py scan ROOT --format html --output OUT/report.html --db OUT/results.db --jobs 2

as a subprocess with umask 000 and, when running as root, without CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH (so mode-000 files are unreadable to it, as to any user). It is built once
per test session (functools.cache) and removed at exit.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from scanner.walk import printable
from tests.conftest import ROOT
from tests.hostile import corpus

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
DAY_NS = 86_400 * 10**9
SECRET = "绝密★长期 XXE-SECRET-CONTENT"

Stat = tuple[int, int, int, int, str | None]  # size, mtime_ns, atime_ns, ctime_ns, sha256


@dataclass
class Run:
    root: Path
    out: Path
    cases: list[corpus.Case]
    records: list[dict]
    stderr: bytes
    returncode: int
    seconds: float
    connections: int  # connections the loopback listener received
    before: dict[bytes, Stat]
    after: dict[bytes, Stat]
    secret: Path

    def record_path(self, rel: bytes) -> str:
        """The path the report gives the entry ``rel`` of the corpus."""
        return printable(os.fsdecode(os.path.join(os.fsencode(self.root), rel)))

    def top_level(self) -> list[dict]:
        return [r for r in self.records if "!/" not in r["path"]]

    def members_of(self, rel: bytes) -> list[dict]:
        prefix = self.record_path(rel) + "!/"
        return [r for r in self.records if r["path"].startswith(prefix)]


class Listener:
    """A loopback TCP port that counts the connections made to it (and answers none)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.count = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/entity.xml"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.count += 1
            conn.close()

    def close(self) -> int:
        self.stop.set()
        self.thread.join()
        self.sock.close()
        return self.count


def entries(root: bytes) -> dict[bytes, os.stat_result]:
    """Every entry under ``root`` (no links followed), walked by folder descriptors so that paths
    longer than PATH_MAX are reached too: path -> lstat."""
    out: dict[bytes, os.stat_result] = {}
    stack = [(os.open(root, os.O_RDONLY | os.O_DIRECTORY), root)]
    while stack:
        fd, path = stack.pop()
        try:
            for name in sorted(os.fsencode(n) for n in os.listdir(fd)):
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                out[path + b"/" + name] = st
                if stat.S_ISDIR(st.st_mode):
                    sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                    stack.append((sub, path + b"/" + name))
        finally:
            os.close(fd)
    return out


def expected_paths(root: bytes, found: dict[bytes, os.stat_result]) -> list[bytes]:
    """The entries the scan must give a record of their own: every non-folder (paths longer than PATH_MAX
    included: the scan reaches them folder by folder), plus each folder it cannot list (mode 000), whose
    contents it cannot see."""
    out, hidden = [], []
    for path, st in sorted(found.items()):
        if any(path.startswith(h + b"/") for h in hidden):
            continue
        closed = stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0
        if closed:
            hidden.append(path)
            out.append(path)
        elif not stat.S_ISDIR(st.st_mode):
            out.append(path)
    return out


def _at(path: bytes) -> tuple[int, bytes]:
    """A descriptor of the folder holding ``path`` (opened step by step) and the entry's name."""
    parts = path.split(b"/")
    fd = os.open(b"/", os.O_RDONLY | os.O_DIRECTORY)
    for part in parts[1:-1]:
        nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = nxt
    return fd, parts[-1]


def snapshot(found: dict[bytes, os.stat_result]) -> dict[bytes, Stat]:
    """Size, mtime, atime, ctime and (regular files) sha256 of every non-folder, read with O_NOATIME."""
    out: dict[bytes, Stat] = {}
    for path, st in found.items():
        if stat.S_ISDIR(st.st_mode):
            continue
        digest = None
        if stat.S_ISREG(st.st_mode):
            fd, name = _at(path)
            try:
                with open(os.open(name, os.O_RDONLY | os.O_NOATIME, dir_fd=fd), "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            finally:
                os.close(fd)
        fresh = _lstat(path)
        out[path] = (fresh.st_size, fresh.st_mtime_ns, fresh.st_atime_ns, fresh.st_ctime_ns, digest)
    return out


def _lstat(path: bytes) -> os.stat_result:
    fd, name = _at(path)
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    finally:
        os.close(fd)


def age_atimes(found: dict[bytes, os.stat_result]) -> None:
    """Put every atime a day before its mtime, so that any read (relatime included) would move it."""
    for path, st in found.items():
        if not stat.S_ISDIR(st.st_mode):
            fd, name = _at(path)
            try:
                os.utime(name, ns=(st.st_mtime_ns - DAY_NS, st.st_mtime_ns), dir_fd=fd, follow_symlinks=False)
            finally:
                os.close(fd)


def unprivileged() -> None:
    """preexec_fn: umask 000 (outputs must still be owner-only) and, for root, no permission bypass."""
    os.umask(0)
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@functools.cache
def hostile_run() -> Run:
    base = Path(tempfile.mkdtemp(prefix="docscan-hostile-"))
    atexit.register(_remove, base)
    root, out = base / "tree", base / "out"
    root.mkdir()
    out.mkdir()
    secret = base / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    listener = Listener()
    cases = corpus.build(root, corpus.Scale.small(), secret.as_uri(), listener.url)
    found = entries(os.fsencode(root))
    found[os.fsencode(secret)] = os.lstat(secret)
    age_atimes(found)
    before = snapshot(found)
    cmd = [sys.executable, "cli.py", "scan", str(root), "--format", "html", "--output", str(out / "report.html"),
           "--db", str(out / "results.db"), "--jobs", "2"]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=600, preexec_fn=unprivileged)
    seconds = time.monotonic() - started
    after = snapshot(found)
    records = [json.loads(line) for line in (out / "report.html.jsonl").read_text(encoding="utf-8").splitlines()]
    return Run(root, out, cases, records, proc.stderr, proc.returncode, seconds, listener.close(), before, after,
               secret)


def _remove(base: Path) -> None:
    corpus.unlock(base / "tree")
    shutil.rmtree(base, ignore_errors=True)
