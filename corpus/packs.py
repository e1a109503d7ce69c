"""Archives for the labelled corpus: zip (UTF-8 or GBK member names), 7z and tar.gz, deterministic.

Members are (name, bytes) pairs; names may hold folders (``材料/通知.docx``). Every member gets
the same fixed modification time, so a rerun gives the same bytes:

* zip: deflated; ``gbk=True`` writes the names as GBK bytes with the UTF-8 flag (bit 11)
  cleared, as the zip tools of Chinese Windows do;
* 7z: py7zr (LZMA2, solid) from files whose mtime is pinned;
* tar.gz: a ustar/PAX tar with owner root, mode 0644, then gzip with mtime 0 and no file name.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
import zipfile
from pathlib import Path

import py7zr
from builders import FIXED_ZIP_TIME

Members = list[tuple[str, bytes]]
FIXED_EPOCH = 1704067200  # 2024-01-01 00:00 UTC, whatever the local time zone


class _GbkInfo(zipfile.ZipInfo):
    """A member whose name is stored as GBK bytes without the UTF-8 flag."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 (zipfile's name)
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def zip_bytes(members: Members, gbk: bool = False, comment: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = (_GbkInfo if gbk else zipfile.ZipInfo)(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
        if comment:
            zf.comment = comment.encode("gbk" if gbk else "utf-8")
    return buf.getvalue()


def sevenz_bytes(members: Members) -> bytes:
    stamp = FIXED_EPOCH
    with tempfile.TemporaryDirectory(prefix="corpus-7z-") as tmp:
        root = Path(tmp)
        for name, data in members:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.utime(path, (stamp, stamp))
        out = root.parent / (root.name + ".7z")
        try:
            with py7zr.SevenZipFile(out, "w") as archive:
                for name, _ in members:
                    archive.write(root / name, name)
            return out.read_bytes()
        finally:
            out.unlink(missing_ok=True)


def tar_gz_bytes(members: Members) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), FIXED_EPOCH, 0o644
            info.uname = info.gname = "root"
            tf.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)
