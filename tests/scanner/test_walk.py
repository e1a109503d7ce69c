import os
import socket

from scanner.walk import printable, walk


def _names(entries):
    return [os.path.relpath(e.fspath, e.fspath.split(os.sep + "tree")[0] + os.sep + "tree") for e in entries]


def make_tree(root):
    tree = root / "tree"
    (tree / "b").mkdir(parents=True)
    (tree / "a").mkdir()
    (tree / "a" / "z.txt").write_text("z")
    (tree / "a" / "y.txt").write_text("y")
    (tree / "b" / "x.docx").write_bytes(b"x")
    (tree / "c.pdf").write_bytes(b"%PDF-")
    (tree / "skip.iso").write_bytes(b"0")
    return tree


def test_sorted_depth_first(tmp_path):
    tree = make_tree(tmp_path)
    got = [os.path.relpath(e.fspath, tree) for e in walk([str(tree)])]
    assert got == ["a/y.txt", "a/z.txt", "b/x.docx", "c.pdf", "skip.iso"]


def test_exclude_by_name_and_folder(tmp_path):
    tree = make_tree(tmp_path)
    got = [os.path.relpath(e.fspath, tree) for e in walk([str(tree)], ("*.iso", "b"))]
    assert got == ["a/y.txt", "a/z.txt", "c.pdf"]


def test_single_file_argument(tmp_path):
    tree = make_tree(tmp_path)
    entries = list(walk([str(tree / "c.pdf")]))
    assert [e.path for e in entries] == [str(tree / "c.pdf")]
    assert entries[0].size == 5 and entries[0].skip is None


def test_symlinks_not_followed(tmp_path):
    tree = make_tree(tmp_path)
    os.symlink(tree, tree / "loop")  # a loop back to the top
    os.symlink(tree / "c.pdf", tree / "link.pdf")
    entries = {os.path.basename(e.fspath): e for e in walk([str(tree)])}
    assert entries["loop"].skip == "symbolic link, not followed"
    assert entries["link.pdf"].skip == "symbolic link, not followed"
    assert len(entries) == 5 + 2  # nothing reached through the links


def test_special_files_are_never_opened(tmp_path):
    tree = make_tree(tmp_path)
    os.mkfifo(tree / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tree / "sock"))
    try:
        entries = {os.path.basename(e.fspath): e for e in walk([str(tree)])}
    finally:
        sock.close()
    assert entries["pipe"].skip == "special file (named pipe (FIFO)), not opened"
    assert entries["sock"].skip == "special file (socket), not opened"


def test_unreadable_folder_becomes_an_entry(tmp_path):
    tree = make_tree(tmp_path)
    locked = tree / "locked"
    locked.mkdir()
    (locked / "secret.txt").write_text("x")
    os.chmod(locked, 0)
    try:
        entries = list(walk([str(tree)]))
        if os.geteuid() == 0:  # root reads it anyway: the file is found
            assert any(e.fspath.endswith("secret.txt") for e in entries)
        else:
            bad = [e for e in entries if e.fspath == str(locked)]
            assert bad and bad[0].skip.startswith("folder cannot be read")
    finally:
        os.chmod(locked, 0o700)


def test_missing_path_becomes_an_entry(tmp_path):
    entries = list(walk([str(tmp_path / "nope")]))
    assert len(entries) == 1 and entries[0].skip.startswith("cannot be read")


def test_undecodable_names_are_escaped_not_dropped(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/" + "机密".encode("gbk") + b".txt"
    with open(raw, "wb") as fh:
        fh.write(b"x")
    entries = list(walk([str(tmp_path)]))
    assert len(entries) == 1
    assert entries[0].path.endswith("\\xbb\\xfa\\xc3\\xdc.txt")
    assert printable(entries[0].fspath) == entries[0].path
    assert os.path.exists(entries[0].fspath)  # the fs path still opens the file
