"""The tool's own input files: a model folder can never run code and a tampered one is refused; a
broken or hostile rule file stops the run before any file is read, naming itself (exit status 2)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cli import main
from models.store import ARRAYS, CARD, SHIPPED, VOCAB


class Payload:
    """Unpickling this runs code: it writes ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204 - the pickle protocol
        return exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",)


@pytest.fixture
def tree(tmp_path):
    folder = tmp_path / "tree"
    folder.mkdir()
    (folder / "通知.txt").write_text("秘密★1年\n关于做好值班工作的通知\n", encoding="utf-8")
    return folder


def model_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(SHIPPED, copy)
    return copy


def reseal(folder: Path, name: str, blob: bytes) -> None:
    """Replace one model file and write its hash into the card, as a forger would."""
    (folder / name).write_bytes(blob)
    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    card["sha256"][name] = hashlib.sha256(blob).hexdigest()
    (folder / CARD).write_text(json.dumps(card), encoding="utf-8")


def pickled_model(tmp_path: Path, marker: Path) -> Path:
    """A copy of the shipped model whose coefficients are a pickled object that would write ``marker``,
    with the card's hash updated to match."""
    folder = model_copy(tmp_path)
    with np.load(folder / ARRAYS) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["coef"] = np.array([Payload(marker)], dtype=object)  # np.save pickles object arrays
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    reseal(folder, ARRAYS, buf.getvalue())
    return folder


def test_a_model_file_cannot_run_code(tree, tmp_path, capsys):
    marker = tmp_path / "pwned"
    folder = pickled_model(tmp_path, marker)
    main(["scan", str(tree), "--model", str(folder), "--jobs", "1"])
    capsys.readouterr()
    assert not marker.exists()  # the payload never ran, in the CLI or in a worker


def test_a_model_that_cannot_be_loaded_stops_the_scan(tree, tmp_path, capsys):
    folder = pickled_model(tmp_path, tmp_path / "pwned")
    assert main(["scan", str(tree), "--model", str(folder), "--jobs", "1"]) == 2
    err = capsys.readouterr()
    assert err.out == "" and "模型无法使用" in err.err and "allow_pickle" in err.err


@pytest.mark.parametrize("victim", [VOCAB, ARRAYS, CARD])
def test_a_tampered_model_stops_the_scan_before_it_starts(tree, tmp_path, capsys, victim):
    folder = model_copy(tmp_path)
    blob = bytearray((folder / victim).read_bytes())
    blob[len(blob) // 2] ^= 0x20
    (folder / victim).write_bytes(bytes(blob))
    out = tmp_path / "r.jsonl"
    assert main(["scan", str(tree), "--model", str(folder), "--output", str(out)]) == 2
    assert not out.exists() and "模型无法使用" in capsys.readouterr().err


HOSTILE_RULES = {
    "not-toml": b"kind = marking\npattern = [",
    "not-utf8": "kind = \"marking\"\n# 机密".encode("gbk"),
    "unknown-key": b'kind = "marking"\nlevel = "\xe7\xa7\x98\xe5\xaf\x86"\npattern = "^x$"\nconfidence = 0.9\n'
                   b'exec = "import os"\n[examples]\nmatch = ["x"]\n',
    "bad-regex": b'kind = "marking"\nlevel = "\xe7\xa7\x98\xe5\xaf\x86"\npattern = "^(x$"\nconfidence = 0.9\n'
                 b'[examples]\nmatch = ["x"]\n',
    "unanchored": b'kind = "marking"\nlevel = "\xe7\xa7\x98\xe5\xaf\x86"\npattern = ".*"\nconfidence = 0.9\n'
                  b'[examples]\nmatch = ["x"]\n',
    "examples-fail": b'kind = "marking"\nlevel = "\xe7\xa7\x98\xe5\xaf\x86"\npattern = "^x$"\nconfidence = 0.9\n'
                     b'[examples]\nmatch = ["y"]\n',
    "wrong-type": b'kind = "marking"\nlevel = "\xe7\xa7\x98\xe5\xaf\x86"\npattern = "^x$"\nconfidence = "1"\n'
                  b'[examples]\nmatch = ["x"]\n',
    "unknown-level": b'kind = "marking"\nlevel = "TOP"\npattern = "^x$"\nconfidence = 0.9\n[examples]\nmatch = ["x"]\n',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_RULES))
def test_a_hostile_rule_file_stops_the_run_naming_itself(tree, tmp_path, capsys, name):
    rules = tmp_path / "rules"
    shutil.copytree(Path(SHIPPED).parents[1] / "markings" / "rules", rules)
    (rules / f"{name}.toml").write_bytes(HOSTILE_RULES[name])
    assert main(["scan", str(tree), "--rules", str(rules), "--no-model"]) == 2
    err = capsys.readouterr()
    assert err.out == ""  # no file was read
    assert f"{name}.toml" in err.err and len(err.err.strip().splitlines()) == 1


def test_a_worker_whose_model_fails_keeps_the_marks_it_found(tmp_path):
    """Should the model fail inside a worker after all, the file keeps its marking and says why it has
    no content verdict (a file finding), instead of becoming an error record."""
    from scanner.options import ScanOptions
    from scanner.records import FileEntry
    from scanner.scan import scan_file

    folder = pickled_model(tmp_path, tmp_path / "pwned")
    doc = tmp_path / "通知.txt"
    doc.write_text("秘密★1年\n关于试点工作的通知\n", encoding="utf-8")
    [record] = scan_file(FileEntry(str(doc), str(doc)), ScanOptions(model=str(folder), ocr=False))
    assert record.status.value == "ok" and record.marking is not None and record.marking.level.value == "秘密"
    assert [f.rule for f in record.findings if f.kind.value == "file"] == ["classifier-unavailable"]
    assert not (tmp_path / "pwned").exists()


def test_a_fifo_in_the_rules_folder_is_not_read(tmp_path):
    """A named pipe called x.toml in a --rules folder would block a read forever: it is passed over."""
    import os
    import shutil

    from markings.rule import RULES_DIR, load_rules
    from scanner.report.meta import rules_digest

    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    os.mkfifo(rules / "zz-pipe.toml")
    assert len(load_rules(str(rules)).rules) == len(load_rules().rules)
    assert rules_digest(str(rules)) == rules_digest(None)
