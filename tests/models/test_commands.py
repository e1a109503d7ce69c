"""docscan train / evaluate / scan --model through the command line, on folders built here."""

import json
import os

import docx

from cli import main
from tests.models.test_models import INTERNAL, PUBLIC, SECRET


def folders(root):
    spec = {}
    for label, texts in (("涉密", SECRET), ("内部", INTERNAL), ("公开", PUBLIC)):
        folder = root / label
        folder.mkdir()
        for i, text in enumerate(texts):
            if i % 2:  # any format the scanner reads will do
                d = docx.Document()
                d.add_paragraph(text)
                d.save(folder / f"{i}.docx")
            else:
                (folder / f"{i}.txt").write_text(text + "\n" + text, encoding="gb18030")
        spec[label] = folder
    return spec


def test_train_then_scan_with_the_model_then_evaluate(tmp_path, capsys, monkeypatch):
    import models.pipeline

    monkeypatch.setitem(models.pipeline.DEFAULTS, "min_df", 1)  # a corpus of 18 documents
    spec = folders(tmp_path)
    out = tmp_path / "model"
    args = ["train", "--out", str(out)] + [a for label, f in spec.items() for a in ("--class", f"{label}={f}")]
    assert main(args) == 0
    assert (out / "card.json").exists()
    capsys.readouterr()

    target = tmp_path / "target"
    target.mkdir()
    (target / "plan.txt").write_text(SECRET[0], encoding="utf-8")
    (target / "news.txt").write_text(PUBLIC[0], encoding="utf-8")
    assert main(["scan", str(target), "--model", str(out), "--quiet", "--jobs", "1"]) == 1
    recs = {os.path.basename(r["path"]): r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert recs["plan.txt"]["suspected"]["label"] == "涉密" and recs["plan.txt"]["marking"] is None
    assert recs["plan.txt"]["suspected"]["terms"]
    assert [f["kind"] for f in recs["plan.txt"]["findings"]] == ["suspected"]
    assert recs["news.txt"]["suspected"] is None

    assert main(["evaluate", "--model", str(out)] + [a for label, f in spec.items()
                                                     for a in ("--class", f"{label}={f}")]) == 0
    text = capsys.readouterr().out
    assert "confusion" in text and "evaluate: sensitive_f1=" in text


def test_scan_refuses_a_broken_model_with_exit_2(tmp_path, capsys):
    bad = tmp_path / "model"
    bad.mkdir()
    (bad / "card.json").write_text("{}", encoding="utf-8")
    (tmp_path / "a.txt").write_text("正文", encoding="utf-8")
    assert main(["scan", str(tmp_path / "a.txt"), "--model", str(bad)]) == 2
    assert "model" in capsys.readouterr().err


def test_train_from_report_uses_marked_files_as_positives(tmp_path, capsys, monkeypatch):
    import models.pipeline

    monkeypatch.setitem(models.pipeline.DEFAULTS, "min_df", 1)
    marked = tmp_path / "marked"
    marked.mkdir()
    for i, text in enumerate(SECRET):
        (marked / f"s{i}.txt").write_text("秘密★1年\n" + text, encoding="utf-8")
    for i, text in enumerate(INTERNAL):
        (marked / f"n{i}.txt").write_text("内部资料 注意保存\n" + text, encoding="utf-8")
    report = tmp_path / "r.jsonl"
    assert main(["scan", str(marked), "--no-model", "--quiet", "--output", str(report)]) == 1
    public = folders(tmp_path / "x" if (tmp_path / "x").mkdir() is None else None)["公开"]
    out = tmp_path / "model"
    assert main(["train", "--from-report", str(report), "--class", f"公开={public}", "--out", str(out)]) == 0
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    assert card["training"]["by_label"] == {"涉密": 6, "内部": 6, "公开": 6}
