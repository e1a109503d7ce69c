"""Report injection: file names that carry HTML, spreadsheet formulas or terminal control sequences
come out inert in every report of the hostile scan (tests/hostile/scanrun.py) and on the terminal."""

from __future__ import annotations

import csv
import os
import re

import pytest

from cli import main
from tests.hostile.corpus import NAMES
from tests.hostile.scanrun import hostile_run

CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def run():
    return hostile_run()


def test_html_report_shows_hostile_names_as_text(run):
    html = (run.out / "report.html").read_text(encoding="utf-8")
    assert "<img src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not CONTROLS.search(html)  # \x1b, \x07 ... are shown as visible markers, never passed through


def test_csv_report_neutralises_formulas_and_control_characters(run, tmp_path, capsys):
    out = tmp_path / "report.csv"
    assert main(["report", str(run.out / "report.html.jsonl"), "--format", "csv", "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    cells = [cell for row in rows[1:] for cell in row]
    assert any("HYPERLINK" in cell for cell in cells) and any("@SUM" in cell for cell in cells)
    for cell in cells:
        stripped = cell.lstrip(" \u200b\u200c\u200d\u2060\ufeff")
        assert not stripped[:1] or stripped[0] not in "=+-@＝＋－＠", cell
    assert not CONTROLS.search(text.replace("\r\n", ""))
    capsys.readouterr()


def test_verify_names_changed_hostile_files_without_control_characters(tmp_path, capsys):
    tree = tmp_path / "tree"
    tree.mkdir()
    names = [name for name, _ in NAMES if b"\x1b" in name or b"\n" in name or b"\x07" in name]
    for name in names:
        with open(os.path.join(os.fsencode(tree), name), "wb") as fh:
            fh.write("秘密★1年\n".encode())
    out = tmp_path / "r.jsonl"
    assert main(["scan", str(tree), "--output", str(out), "--jobs", "1", "--no-model", "--no-ocr", "--quiet"]) == 1
    for name in names:  # every original changed after the scan
        with open(os.path.join(os.fsencode(tree), name), "ab") as fh:
            fh.write(b"changed\n")
    capsys.readouterr()
    assert main(["verify", str(out) + ".manifest.json", "--files"]) == 1
    printed = capsys.readouterr()
    assert len(printed.out.splitlines()) == len(names)  # one line per changed file, none split by a newline
    assert "red" in printed.out and not CONTROLS.search(printed.out + printed.err)
