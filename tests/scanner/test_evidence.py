import hashlib
import os
import re

import pytest

from scanner import evidence


def test_hash_size_and_mtime(tmp_path):
    f = tmp_path / "a.bin"
    payload = os.urandom(3 * evidence.CHUNK + 17)
    f.write_bytes(payload)
    os.utime(f, (1_700_000_000, 1_700_000_000))
    ev = evidence.take_path(str(f))
    assert ev.sha256 == hashlib.sha256(payload).hexdigest()
    assert ev.size == len(payload)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", ev.mtime)


def test_reading_leaves_atime_and_mtime_alone(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    os.utime(f, (1_000_000_000, 1_100_000_000))
    with evidence.open_readonly(str(f)) as fh:
        evidence.take(fh)
        fh.read()
    st = os.stat(f)
    assert st.st_atime == 1_000_000_000 and st.st_mtime == 1_100_000_000


def test_refuses_fifo_and_symlink(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(evidence.NotRegularFile):
        evidence.open_readonly(str(fifo))  # returns at once: O_NONBLOCK, never waits for a writer
    target = tmp_path / "t.txt"
    target.write_text("x")
    os.symlink(target, tmp_path / "link")
    with pytest.raises(OSError):
        evidence.open_readonly(str(tmp_path / "link"))
