"""The guarantees of a scan over the hostile corpus, checked on one real `python cli.py scan` run
(tests/hostile/scanrun.py): it finishes, every entry gets exactly one record with a status and a
one-line reason, each hostile case gets the outcome it should, XML entities are never resolved or
fetched, nothing scanned is changed (bytes, mtime, atime, ctime), stderr carries no control
characters from file names, and every output is owner-only even under umask 000."""

from __future__ import annotations

import os
import re
import stat
from collections import Counter

import pytest

from tests.hostile.scanrun import SECRET, entries, expected_paths, hostile_run
from tests.hostile.xmlbombs import LOL

STATUSES = {"ok", "error", "unsupported", "encrypted", "skipped"}


@pytest.fixture(scope="module")
def run():
    return hostile_run()


def test_the_scan_finishes_and_exits_normally(run):
    assert run.returncode == 1, run.stderr.decode(errors="replace")[-2000:]  # marked files were found
    assert run.seconds < 180


def test_every_entry_gets_exactly_one_record(run):
    root = os.fsencode(run.root)
    expected = Counter(run.record_path(p[len(root) + 1:]) for p in expected_paths(root, entries(root)))
    got = Counter(r["path"] for r in run.top_level())
    assert got == expected
    assert len(run.cases) > 100 and all(run.record_path(c.path) in got for c in run.cases)


def test_every_record_has_a_status_and_a_one_line_reason(run):
    for rec in run.records:
        assert rec["status"] in STATUSES, rec
        if rec["status"] != "ok":
            assert rec["error"] and rec["error"].strip() == rec["error"], rec
            assert not re.search(r"[\x00-\x1f\x7f]", rec["error"]), rec  # one line, no control characters
            assert len(rec["error"]) <= 400, rec


def test_each_hostile_case_has_its_outcome(run):
    by_path = {r["path"]: r for r in run.top_level()}
    wrong = []
    for case in run.cases:
        rec = by_path[run.record_path(case.path)]
        if rec["status"] not in case.status or (case.reason and case.reason not in (rec["error"] or "")):
            wrong.append((case.path, case.what, rec["status"], rec["error"]))
        members = run.members_of(case.path)
        if case.members is not None and len(members) != case.members:
            wrong.append((case.path, f"{len(members)} members, not {case.members}"))
        statuses = {r["path"].rsplit("!/", 1)[1]: r["status"] for r in members}
        for name, status in case.member_status.items():
            if statuses.get(name) != status:
                wrong.append((case.path, name, statuses.get(name), status))
    assert not wrong


def test_marks_are_still_found_among_the_hostile_files(run):
    by_path = {r["path"]: r for r in run.top_level()}
    for rel in (b"bombs/rows.xlsx", "names/机密文件".encode("gbk") + b".txt", b"names/line\nbreak.txt",
                b"encrypted/locked.ppt"):
        rec = by_path[run.record_path(rel)]
        assert rec["marking"] or rec["status"] == "encrypted", rec
    assert by_path[run.record_path(b"bombs/rows.xlsx")]["marking"]["location"]["cell"] == "C19999"


def test_xml_entities_are_never_resolved_or_fetched(run):
    text = "\n".join(str(r) for r in run.records)
    assert "XXE-SECRET" not in text and SECRET not in text
    assert LOL * 2 not in text  # no expanded billion laughs
    assert run.connections == 0  # nothing fetched the http:// entity
    secret = os.fsencode(run.secret)
    assert run.after[secret] == run.before[secret]  # the file:// entity's target was not even opened
    for rel in (b"xml/xxe-file.docx", b"xml/xxe-http.pptx", b"xml/xxe-file.ofd"):
        rec = next(r for r in run.top_level() if r["path"] == run.record_path(rel))
        assert rec["status"] == "ok" and not rec["marking"], rec  # read, without the entity's text


def test_scanned_files_are_left_exactly_as_they_were(run):
    changed = {p: (run.before[p], run.after[p]) for p in run.before if run.before[p] != run.after[p]}
    assert not changed  # bytes (sha256), size, mtime, atime and ctime of every entry


def test_stderr_has_no_control_characters_or_raw_names(run):
    text = run.stderr.decode("utf-8")  # strict: nothing undecodable either
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), text[-2000:]
    assert "red" not in text and "HYPERLINK" not in text and "onerror" not in text
    assert "共 " in text.splitlines()[-1]  # the summary, one line


def test_every_output_is_owner_only_even_under_umask_000(run):
    written = [os.path.join(d, n) for d, subs, files in os.walk(run.out) for n in files + subs]
    assert {os.path.basename(p) for p in written} >= {"report.html", "report.html.jsonl",
                                                     "report.html.manifest.json", "results.db"}
    for path in written:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        assert mode == (0o700 if os.path.isdir(path) else 0o600), (path, oct(mode))
