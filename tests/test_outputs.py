"""What a scan writes besides the records: manifest and verification, redaction, the store, collection."""

import json
import os
import stat

import pytest

from cli import main
from scanner.report.redact import mask_text, redact
from scanner.store import Store


@pytest.fixture
def tree(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "通知.txt").write_text("秘密★1年\n关于行动方案的通知\n集结地点在码头东侧仓库。\n", encoding="utf-8")
    (docs / "新闻.txt").write_text("市政府召开新闻发布会，介绍民生工程进展。\n", encoding="utf-8")
    return docs


def scan(tree, out, *extra):
    return main(["scan", str(tree), "--output", str(out), "--quiet", "--no-model", "--jobs", "1", *extra])


def test_manifest_verifies_then_catches_every_kind_of_tampering(tree, tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    assert scan(tree, out) == 1
    man = str(out) + ".manifest.json"
    assert stat.S_IMODE(os.stat(man).st_mode) == 0o600
    assert main(["verify", man]) == 0
    assert main(["verify", man, "--files"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()

    def check(new_lines):
        out.write_text("\n".join(new_lines) + "\n", encoding="utf-8")
        code = main(["verify", man])
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return code, capsys.readouterr().out

    edited = json.loads(lines[0])
    edited["size"] += 1  # any change to any record
    assert check([json.dumps(edited, ensure_ascii=False, separators=(",", ":"))] + lines[1:])[0] == 1
    assert check(lines[1:])[0] == 1  # a record deleted
    code, text = check(lines + [lines[0]])  # a record added
    assert code == 1 and "记录链不一致" in text
    assert check(list(reversed(lines)))[0] == 1  # reordered
    assert main(["verify", man]) == 0  # restored


def test_verify_files_reports_changed_and_vanished_originals(tree, tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    scan(tree, out)
    (tree / "新闻.txt").write_text("改过了", encoding="utf-8")
    os.remove(tree / "通知.txt")
    man = str(out) + ".manifest.json"
    assert main(["verify", man]) == 0  # the outputs themselves are intact
    capsys.readouterr()
    assert main(["verify", man, "--files"]) == 1
    text = capsys.readouterr().out
    assert "原件自检查后已改变" in text and "新闻.txt" in text
    assert "原件已不存在" in text and "通知.txt" in text


def test_redact_keeps_the_mark_and_location_but_masks_the_context():
    rec = {"path": "a", "findings": [{"kind": "marking", "text": "秘密★1年", "context": "秘密★1年 集结地点在码头",
                                      "location": {"part": "body", "line": 1}},
                                     {"kind": "suspected", "text": "涉密", "context": "主要依据: 行动、码头",
                                      "terms": ["行动", "码头"], "location": {"part": "body"}}],
           "suspected": {"label": "涉密", "score": 0.9, "terms": ["行动", "码头"]}}
    got = redact(rec)
    assert got["findings"][0]["text"] == "秘密★1年"
    assert got["findings"][0]["context"] == "秘密★1年 ＊＊＊＊＊＊＊"
    assert got["findings"][0]["location"] == {"part": "body", "line": 1}
    assert got["suspected"]["terms"] == ["＊＊", "＊＊"] and got["findings"][1]["terms"] == ["＊＊", "＊＊"]
    assert rec["findings"][0]["context"].endswith("码头")  # the input is not changed
    assert mask_text("abc 123，中文") == "＊＊＊ ＊＊＊，＊＊"


def test_redacted_scan_has_no_context_text(tree, tmp_path):
    out = tmp_path / "r.jsonl"
    scan(tree, out, "--redact")
    assert "码头" not in out.read_text(encoding="utf-8")


def test_db_keeps_runs_and_records(tree, tmp_path, capsys):
    db = tmp_path / "results.db"
    scan(tree, tmp_path / "a.jsonl", "--db", str(db))
    scan(tree, tmp_path / "b.jsonl", "--db", str(db))
    store = Store(str(db))
    runs = store.runs()
    assert len(runs) == 2 and all(r[2] for r in runs)  # both finished
    recs = list(store.records(runs[-1][0]))
    assert sorted(os.path.basename(r["path"]) for r in recs) == ["新闻.txt", "通知.txt"]
    assert store.run_info(runs[0][0])["counts"]["files"] == 2
    store.close()
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_collect_copies_flagged_files_with_their_times_and_hashes(tree, tmp_path):
    os.utime(tree / "通知.txt", (1_600_000_000, 1_600_000_000))
    before = (tree / "通知.txt").read_bytes()
    evidence = tmp_path / "evidence"
    out = tmp_path / "r.jsonl"
    scan(tree, out, "--collect", str(evidence))
    copies = [p for p in os.listdir(evidence) if p.endswith("通知.txt")]
    assert copies == ["0001_通知.txt"]
    copy = evidence / copies[0]
    assert copy.read_bytes() == before and os.stat(copy).st_mtime == 1_600_000_000
    assert stat.S_IMODE(os.stat(evidence).st_mode) == 0o700 and stat.S_IMODE(os.stat(copy).st_mode) == 0o600
    assert not any(p.endswith("新闻.txt") for p in os.listdir(evidence))  # not flagged, not collected
    assert (tree / "通知.txt").read_bytes() == before  # the original is untouched
    assert main(["verify", str(out) + ".manifest.json"]) == 0  # the copies are in the manifest


def test_collect_takes_the_container_of_a_flagged_member(tmp_path):
    import zipfile

    docs = tmp_path / "docs"
    docs.mkdir()
    with zipfile.ZipFile(docs / "材料.zip", "w") as zf:
        zf.writestr("方案.txt", "秘密★1年\n关于行动方案的通知\n")
        zf.writestr("说明.txt", "普通说明\n")
    evidence = tmp_path / "evidence"
    assert scan(docs, tmp_path / "r.jsonl", "--collect", str(evidence)) == 1
    assert sorted(os.listdir(evidence)) == ["0001_材料.zip", "登记保存清单.csv", "登记保存清单.docx"]
    register = (evidence / "登记保存清单.csv").read_text(encoding="utf-8-sig")
    assert "材料.zip" in register and "ZIP" in register.upper()


def test_verify_catches_a_replaced_or_missing_rendered_report(tree, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["scan", str(tree), "--format", "html", "--output", str(out), "--quiet", "--no-model"]) == 1
    man = str(out) + ".manifest.json"
    assert main(["verify", man]) == 0
    original = out.read_bytes()
    out.write_bytes(original.replace("通知".encode(), "公告".encode()))
    capsys.readouterr()
    assert main(["verify", man]) == 1 and "输出文件被修改" in capsys.readouterr().out
    os.remove(out)
    assert main(["verify", man]) == 1 and "输出文件缺失" in capsys.readouterr().out
