"""The command line: exit codes, stdout purity, report file permissions, usage errors."""

import json
import os
import stat
import subprocess
import sys

import pytest

from cli import main, parse_size
from tests.conftest import ROOT


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def tree(tmp_path):
    write(tmp_path / "docs" / "通知.txt", "秘密★1年\n关于做好值班工作的通知\n各单位：请做好值班安排。\n")
    write(tmp_path / "docs" / "法规.txt", "第四十八条 违反本法规定，泄露绝密级国家秘密的，依法给予处分。\n" * 3,
          "gb18030")
    write(tmp_path / "docs" / "新闻.txt", "市政府召开新闻发布会，介绍今年民生工程进展情况。\n")
    return tmp_path / "docs"


def records(text):
    return [json.loads(line) for line in text.splitlines()]


def test_scan_to_stdout_is_pure_jsonl_and_exit_1_when_marked(tree, capsys):
    code = main(["scan", str(tree), "--jobs", "1"])
    out, err = capsys.readouterr()
    recs = {os.path.basename(r["path"]): r for r in records(out)}
    assert code == 1
    assert set(recs) == {"通知.txt", "法规.txt", "新闻.txt"}
    assert recs["通知.txt"]["marking"]["level"] == "秘密"
    assert recs["通知.txt"]["marking"]["location"] == {"part": "body", "line": 1}
    assert recs["法规.txt"]["marking"] is None
    assert any(f["kind"] == "mention" for f in recs["法规.txt"]["findings"])
    assert "共 3 个文件" in err  # the summary goes to stderr, never into the report


def test_exit_0_when_nothing_flagged(tree, capsys):
    os.remove(tree / "通知.txt")
    assert main(["scan", str(tree), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert len(records(out)) == 2 and err == ""


def test_report_file_is_owner_only(tree, tmp_path, capsys):
    out = tmp_path / "report.jsonl"
    out.write_text("old")
    os.chmod(out, 0o644)
    assert main(["scan", str(tree), "--output", str(out), "--quiet"]) == 1
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert len(records(out.read_text(encoding="utf-8"))) == 3
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("argv", [
    ["scan"],
    ["scan", "/nonexistent/path/xyz"],
    ["scan", ".", "--format", "pdf"],
    ["scan", ".", "--max-size", "lots"],
    ["scan", ".", "--jobs", "0"],
    [],
])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().out == ""


def test_max_size_skips_with_reason(tree, capsys):
    write(tree / "big.txt", "秘密★1年\n" + "正文" * 2000)
    main(["scan", str(tree), "--max-size", "1KB", "--quiet"])
    recs = {os.path.basename(r["path"]): r for r in records(capsys.readouterr().out)}
    assert recs["big.txt"]["status"] == "skipped"
    assert "max-size" in recs["big.txt"]["error"]
    assert recs["big.txt"]["size"] > 1024 and recs["big.txt"]["sha256"] is None


@pytest.mark.parametrize("text,expected", [("200MB", 200 * 1024 * 1024), ("1.5G", int(1.5 * 1024 ** 3)),
                                           ("4096", 4096), ("64k", 65536)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_python_cli_py_runs_as_a_script(tree):
    proc = subprocess.run([sys.executable, "cli.py", "scan", str(tree), "--quiet"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert len(records(proc.stdout)) == 3


def test_broken_rule_file_stops_the_run_naming_the_file(tree, tmp_path, capsys):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(os.path.join(ROOT, "markings", "rules"), rules)
    (rules / "mimi-star.toml").write_text('kind = "marking"\nlevel = "秘密"\npattern = "^(unclosed$"\n',
                                          encoding="utf-8")
    assert main(["scan", str(tree), "--rules", str(rules)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "mimi-star.toml" in err


def test_custom_rules_folder_is_used_by_workers(tree, tmp_path, capsys):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(os.path.join(ROOT, "markings", "rules"), rules)
    for name in ("mimi-star.toml", "mimi-nostar.toml"):
        os.remove(rules / name)  # without the 秘密 rules the 秘密★1年 notice is no longer marked
    assert main(["scan", str(tree), "--rules", str(rules), "--quiet", "--no-model"]) == 0
    recs = {os.path.basename(r["path"]): r for r in records(capsys.readouterr().out)}
    assert recs["通知.txt"]["marking"] is None


def test_pii_flag_reports_personal_numbers_masked(tmp_path):
    """--pii adds sensitive_info findings; the number itself never reaches the report."""
    id_number = "11010519491231002X"  # the GB 11643-1999 worked example (check character X)
    doc = tmp_path / "名单.txt"
    doc.write_text(f"联系人：张三\n身份证号：{id_number}\n", encoding="utf-8")
    plain, with_pii = tmp_path / "plain.jsonl", tmp_path / "pii.jsonl"
    assert main(["scan", str(doc), "--no-model", "--quiet", "--output", str(plain)]) == 0
    assert main(["scan", str(doc), "--no-model", "--quiet", "--pii", "--output", str(with_pii)]) == 0
    assert '"sensitive_info"' not in plain.read_text(encoding="utf-8")
    text = with_pii.read_text(encoding="utf-8")
    [record] = [json.loads(line) for line in text.splitlines()]
    [finding] = [f for f in record["findings"] if f["kind"] == "sensitive_info"]
    assert finding["rule"] == "pii-id-card" and finding["text"] == "110105********002X"
    assert id_number not in text


def test_fingerprint_add_then_scan_flags_an_unmarked_extract(tmp_path):
    """`fingerprint add` registers a marked document; a later `scan --db` of an unmarked file that pastes
    one of its paragraphs reports a fingerprint finding with the source's level and exits 1."""
    paragraph = ("根据前期调研情况，拟在北线三个县开展试点，由第二工作组负责协调水利、交通和电力部门，"
                 "于十月底前完成选址论证并报送专项资金使用方案。")
    source = tmp_path / "registered" / "方案.txt"
    source.parent.mkdir()
    source.write_text(f"秘密★1年\n关于试点工作的实施方案\n{paragraph}\n", encoding="utf-8")
    db = tmp_path / "results.db"
    assert main(["fingerprint", "add", str(source), "--db", str(db), "-j", "1", "-q"]) == 0
    extract = tmp_path / "share" / "摘抄.txt"
    extract.parent.mkdir()
    extract.write_text(f"学习笔记\n{paragraph.replace('，', ', ')}\n", encoding="utf-8")
    out = tmp_path / "report.jsonl"
    assert main(["scan", str(extract.parent), "--db", str(db), "--no-model", "-q", "--output", str(out)]) == 1
    [record] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["marking"] is None
    [finding] = [f for f in record["findings"] if f["kind"] == "fingerprint"]
    assert finding["level"] == "秘密" and finding["source"]["path"] == str(source)
    assert paragraph not in db.read_bytes().decode("utf-8", errors="ignore")  # hashes only
