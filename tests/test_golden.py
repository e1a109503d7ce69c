"""Golden end-to-end report of the shipped samples (corpus/samples).

Unstable fields (mtime, the absolute folder) are normalised. After a deliberate change,
rewrite the golden file with DOCSCAN_REGEN=1 and review its diff like code.
"""

import json
import os

from scanner import workers
from scanner.options import ScanOptions
from scanner.walk import walk
from tests.conftest import ROOT

SAMPLES = os.path.join(ROOT, "corpus", "samples")
GOLDEN = os.path.join(ROOT, "tests", "golden", "samples.jsonl")


def normalised_report() -> list[dict]:
    lines = []
    workers.run(walk([SAMPLES]), ScanOptions(jobs=2), lambda entry, recs: lines.extend(r.to_json() for r in recs))
    for rec in lines:
        rec["path"] = os.path.relpath(rec["path"], SAMPLES)
        rec["mtime"] = "<mtime>"
    return sorted(lines, key=lambda r: r["path"])


def test_samples_report_matches_golden():
    got = normalised_report()
    if os.environ.get("DOCSCAN_REGEN") == "1":
        with open(GOLDEN, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in got)
    with open(GOLDEN, encoding="utf-8") as fh:
        expected = [json.loads(line) for line in fh]
    assert [r["path"] for r in got] == [r["path"] for r in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs, mine["path"]


def test_golden_agrees_with_the_samples_expectations():
    """The golden file itself is checked against the hand-written EXPECTED.tsv."""
    with open(os.path.join(ROOT, "corpus", "samples-expected.tsv"), encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh][1:]
    with open(GOLDEN, encoding="utf-8") as fh:
        golden = {r["path"]: r for r in map(json.loads, fh)}
    for name, _fmt, level, *_ in rows:
        marking = golden[name]["marking"]
        assert (marking["level"] if marking else "无") == level, name
