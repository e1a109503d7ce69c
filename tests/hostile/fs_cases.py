"""Hostile file-system entries: special files, symbolic-link loops, hostile names, very deep trees and
paths past PATH_MAX, unreadable files and folders."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from tests.hostile import seeds as sd
from tests.hostile.cases import ERROR, OK, PATH_MAX, SKIPPED, Case, Corpus, Scale


def special_files(c: Corpus, *_: object) -> None:
    c.special("special/fifo", lambda p: os.mkfifo(p), "named pipe (FIFO)", "named pipe (FIFO)")
    c.special("special/null", lambda p: os.mknod(p, 0o600 | stat.S_IFCHR, os.makedev(1, 3)),
              "character device", "character device")
    c.special("special/loop0", lambda p: os.mknod(p, 0o600 | stat.S_IFBLK, os.makedev(7, 0)),
              "block device", "block device")
    c.special("special/socket", _socket_file, "unix socket", "socket")
    link = "symbolic link, not followed"
    c.special("links/loop-a", lambda p: os.symlink(b"loop-b", p), "symlink loop a -> b -> a", link)
    c.special("links/loop-b", lambda p: os.symlink(b"loop-a", p), "symlink loop b -> a -> b", link)
    c.special("links/self", lambda p: os.symlink(b"self", p), "symlink to itself", link)
    c.special("links/up", lambda p: os.symlink(b"..", p), "symlink to its own parent folder", link)
    c.special("links/outside", lambda p: os.symlink(b"/etc/passwd", p), "symlink out of the tree", link)


def _socket_file(path: bytes) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(path)


NAMES: tuple[tuple[bytes, str], ...] = (
    ("机密文件".encode("gbk") + b".txt", "name in GBK bytes (not UTF-8)"),
    (b"line\nbreak.txt", "newline in the name"),
    (b"\x1b[31mred\x1b[0m\x1b]0;title\x07.txt", "terminal escape sequences in the name"),
    (b"bell\x07cr\rtab\t.txt", "control characters in the name"),
    (b"<img src=x onerror=alert(1)>.txt", "HTML in the name"),
    (b"=HYPERLINK(\"http:x\")+1.txt", "CSV formula in the name"),
    (b"@SUM(1+1).txt", "CSV formula (@) in the name"),
    ("长".encode() * 85, "255-byte name"),
)


def hostile_names(c: Corpus, *_: object) -> None:
    for name, what in NAMES:
        c.file(b"names/" + name, f"{sd.MARK}\n{sd.BODY}\n".encode(), what, status=OK)


def deep_trees(c: Corpus, scale: Scale) -> None:
    """A tree ``scale.depth`` folders deep (a file at every tenth level), and a chain of long folder
    names whose path grows past PATH_MAX: every file is read, those beyond the limit too (their folders
    are opened one at a time)."""
    path = "deep"
    for level in range(1, scale.depth + 1):
        path += "/d"
        if level % 10 == 0:
            c.file(f"{path}/f{level}.txt", f"第{level}层\n".encode(),
                   f"file in a {scale.depth}-folder-deep tree (one every 10 levels)", status=OK)
    names = [f"{level:02d}" + "层" * 80 for level in range(1, 2 + PATH_MAX // 240)]  # 242 bytes each
    _make_chain(c.root, ["long", *names])
    root = len(os.fsencode(c.root)) + 1
    rel = "long"
    for name in names:
        rel += "/" + name
        entry = rel + "/f.txt"
        beyond = root + len(entry.encode()) >= PATH_MAX  # reached folder by folder (scanner/longpath.py)
        c.cases.append(Case(entry.encode(), "file on a path longer than PATH_MAX" if beyond
                            else "file on a long path (242 more bytes a level)", OK))


def _make_chain(root: Path, names: list[str]) -> None:
    """Create the folders ``names`` one inside the other under ``root``, with an f.txt in each but the
    first (the full path soon becomes too long for mkdir, so each step is relative to a folder fd)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i, part in enumerate(names):
            os.mkdir(part, dir_fd=fd)
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
            if i:
                with open(os.open("f.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as fh:
                    fh.write(f"第{i}层\n".encode())
    finally:
        os.close(fd)


def locked(c: Corpus) -> None:
    c.file("locked/unreadable.txt", f"{sd.MARK}\n".encode(), "file with mode 000", status=ERROR,
           reason="Permission denied")
    os.chmod(c._path("locked/unreadable.txt"), 0)
    inner = c._path("locked/closed/inside.txt")
    with open(inner, "wb") as fh:
        fh.write(b"x")
    os.chmod(os.path.dirname(inner), 0)
    c.cases.append(Case(b"locked/closed", "folder with mode 000", SKIPPED, "folder cannot be read"))


def unlock(root: Path) -> None:
    """Give back the permissions ``locked`` took, so the tree can be deleted."""
    for rel in (b"locked/closed", b"locked/unreadable.txt"):
        path = os.path.join(os.fsencode(root), rel)
        if os.path.lexists(path):
            os.chmod(path, 0o700)
