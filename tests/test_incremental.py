"""Scheduled checks: incremental rescans, resume after kill -9, and diff between runs (--db)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from cli import main
from scanner.store import Store
from tests.conftest import ROOT


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def share(tmp_path):
    root = tmp_path / "share"
    write(root / "a-通知.txt", "秘密★1年\n关于行动方案的通知\n")
    write(root / "b-新闻.txt", "市政府召开新闻发布会。\n")
    write(root / "c-台账.txt", "普通台账说明。\n")
    write(root / "d-说明.txt", "一般说明。\n")
    return root


def scan(root, out, db, *extra):
    return main(["scan", str(root), "--output", str(out), "--db", str(db), "--quiet", "--no-model", "--jobs", "1",
                 *extra])


def records(path):
    return {os.path.basename(r["path"]): r for r in map(json.loads, open(path, encoding="utf-8"))}


def test_incremental_reads_only_what_changed_and_lists_what_was_removed(share, tmp_path, capsys):
    db = tmp_path / "results.db"
    assert scan(share, tmp_path / "1.jsonl", db) == 1
    time.sleep(0.01)
    write(share / "b-新闻.txt", "机密★10年\n改过的新闻稿。\n")  # changed: now marked
    os.remove(share / "c-台账.txt")  # removed
    write(share / "e-新增.txt", "内部资料 注意保存\n新增的材料。\n")  # added
    assert scan(share, tmp_path / "2.jsonl", db, "--incremental") == 1
    second = records(tmp_path / "2.jsonl")
    assert sorted(second) == ["a-通知.txt", "b-新闻.txt", "d-说明.txt", "e-新增.txt"]  # the complete picture
    assert second["a-通知.txt"]["unchanged_since"] == 1 and second["d-说明.txt"]["unchanged_since"] == 1
    assert "unchanged_since" not in second["b-新闻.txt"] and second["b-新闻.txt"]["marking"]["level"] == "机密"
    assert "unchanged_since" not in second["e-新增.txt"]
    run = json.load(open(str(tmp_path / "2.jsonl") + ".manifest.json", encoding="utf-8"))["run"]
    assert run["mode"] == "incremental" and run["previous_run"] == 1
    assert [os.path.basename(p) for p in run["removed"]] == ["c-台账.txt"]
    # a changed rule set forces a full re-read
    rules = tmp_path / "rules"
    import shutil

    shutil.copytree(os.path.join(ROOT, "markings", "rules"), rules)
    os.remove(rules / "urgency.toml")  # a different rule set
    scan(share, tmp_path / "3.jsonl", db, "--incremental", "--rules", str(rules))
    assert not any("unchanged_since" in r for r in records(tmp_path / "3.jsonl").values())
    # so do another detector and another OCR setting; the same settings again reuse everything
    for n, extra in enumerate((["--pii"], ["--pii", "--no-ocr"], ["--pii", "--no-ocr"]), 4):
        scan(share, tmp_path / f"{n}.jsonl", db, "--incremental", "--rules", str(rules), *extra)
    assert not any("unchanged_since" in r for n in (4, 5) for r in records(tmp_path / f"{n}.jsonl").values())
    assert all("unchanged_since" in r for r in records(tmp_path / "6.jsonl").values())


def test_unchanged_rescan_reuses_every_record(share, tmp_path):
    db = tmp_path / "results.db"
    scan(share, tmp_path / "1.jsonl", db)
    scan(share, tmp_path / "2.jsonl", db, "--incremental")
    first, second = records(tmp_path / "1.jsonl"), records(tmp_path / "2.jsonl")
    assert all(r.pop("unchanged_since") == 1 for r in second.values())
    assert second == first


def test_reused_records_keep_members_and_never_mix_up_names_that_sort_together(share, tmp_path):
    """A reused archive keeps its members; siblings whose names sort between "a.zip" and its members
    ("a.zip x", "a.zip!!b") are records of their own; a third run keeps the first unchanged_since."""
    import zipfile

    with zipfile.ZipFile(share / "a.zip", "w") as zf:
        zf.writestr("inner/秘密.txt", "秘密★1年\n附件\n")
        zf.writestr("inner/plain.txt", "普通附件\n")
    write(share / "a.zip x", "机密★5年\n")
    write(share / "a.zip!!b", "普通\n")
    db = tmp_path / "results.db"
    scan(share, tmp_path / "1.jsonl", db)
    scan(share, tmp_path / "2.jsonl", db, "--incremental")
    scan(share, tmp_path / "3.jsonl", db, "--incremental")
    lines = {n: open(tmp_path / n, encoding="utf-8").read().splitlines() for n in ("1.jsonl", "2.jsonl", "3.jsonl")}
    first = sorted((json.loads(line) for line in lines["1.jsonl"]), key=lambda r: r["path"])
    for name, since in (("2.jsonl", 1), ("3.jsonl", 1)):
        again = sorted((json.loads(line) for line in lines[name]), key=lambda r: r["path"])
        assert [r["path"] for r in again] == [r["path"] for r in first]
        assert all(r.pop("unchanged_since") == since for r in again)
        assert again == first
        # each reused line is byte-for-byte what serialising its record gives (the manifest chain hashes lines)
        assert lines[name] == [json.dumps(json.loads(x), ensure_ascii=False, separators=(",", ":"))
                               for x in lines[name]]
    members = [r["path"] for r in first if "!/" in r["path"]]
    assert sorted(os.path.basename(p) for p in members) == ["plain.txt", "秘密.txt"]


def test_diff_reports_new_gone_and_changed_levels(share, tmp_path, capsys):
    db = tmp_path / "results.db"
    scan(share, tmp_path / "1.jsonl", db)
    write(share / "a-通知.txt", "绝密★长期\n关于行动方案的通知\n")  # 秘密 -> 绝密
    write(share / "d-说明.txt", "内部\n一般说明。\n")  # newly flagged
    os.remove(share / "b-新闻.txt")
    scan(share, tmp_path / "2.jsonl", db, "--incremental")
    capsys.readouterr()
    assert main(["diff", "--db", str(db)]) == 1
    changes = {os.path.basename(c["path"]): c for c in map(json.loads, capsys.readouterr().out.splitlines())}
    assert changes["a-通知.txt"] == {**changes["a-通知.txt"], "change": "level_raised", "before": "秘密",
                                   "after": "绝密"}
    assert changes["d-说明.txt"]["change"] == "newly_flagged"
    assert changes["b-新闻.txt"]["change"] == "removed"
    assert main(["diff", "--db", str(db), "2", "2"]) == 0  # a run compared with itself
    out = tmp_path / "diff.html"
    main(["diff", "--db", str(db), "--format", "html", "--output", str(out)])
    assert "密级升高" in out.read_text(encoding="utf-8")


def committed(db):
    import sqlite3

    if not os.path.exists(db):
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("SELECT count(*) FROM records WHERE run_id = 1").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_resume_after_kill_9_gives_the_same_report(tmp_path):
    share = tmp_path / "share"
    for i in range(400):
        write(share / f"f{i:03d}.txt", ("秘密★1年\n" if i % 7 == 0 else "") + f"第{i}份材料的正文。\n" * 50)
    db = tmp_path / "results.db"
    cmd = [sys.executable, "cli.py", "scan", str(share), "--db", str(db), "--quiet", "--no-model", "--jobs", "1"]
    proc = subprocess.Popen(cmd + ["--output", str(tmp_path / "partial.jsonl")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until the store holds some, not all, files
        if committed(db) > 0:
            break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)  # the scanner and its workers, as a power cut would
    proc.wait()
    done_before = committed(db)
    assert 0 < done_before < 400
    assert subprocess.run(cmd + ["--output", str(tmp_path / "resumed.jsonl"), "--resume"], cwd=ROOT,
                          timeout=300).returncode == 1
    assert subprocess.run(cmd + ["--output", str(tmp_path / "full.jsonl")], cwd=ROOT, timeout=300).returncode == 1
    resumed, full = records(tmp_path / "resumed.jsonl"), records(tmp_path / "full.jsonl")
    assert resumed == full and len(full) == 400
    store = Store(str(db))
    assert [r[0] for r in store.runs(completed_only=True)] == [1, 2]  # the interrupted run 1 was completed
    assert store.run_info(1)["mode"] == "resumed"


def test_ctrl_c_stops_within_seconds_leaving_valid_partial_outputs(tmp_path):
    share = tmp_path / "share"
    for i in range(400):
        write(share / f"f{i:03d}.txt", f"第{i}份材料的正文。\n" * 50)
    out, db = tmp_path / "partial.jsonl", tmp_path / "results.db"
    proc = subprocess.Popen([sys.executable, "cli.py", "scan", str(share), "--output", str(out), "--db", str(db),
                             "--quiet", "--no-model", "--jobs", "1"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and committed(db) == 0:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    code = proc.wait(timeout=30)
    assert time.monotonic() - started < 3.0
    assert code == 2 and "已中断" in proc.stderr.read()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert 0 < len(lines) < 400 and all(json.loads(line)["path"] for line in lines)  # every line a whole record
