"""The one jieba tokenizer: user dictionary, no cache file, lazy, silent."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from markings.segment import (
    USERDICT,
    build_tokenizer,
    covering_token,
    read_userdict,
    tokenize,
    tokenizer,
    word_tag,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "token"), [
    ("国家秘密", "国家秘密"),
    ("工作秘密", "工作秘密"),
    ("商业秘密", "商业秘密"),
    ("核心商密", "核心商密"),
    ("普通商密", "普通商密"),
    ("内部控制", "内部控制"),
    ("内部控制评价报告", "内部控制评价报告"),
    ("机密计算", "机密计算"),
    ("成功的秘密", "成功的秘密"),
])
def test_userdict_words_stay_whole(text: str, token: str) -> None:
    assert tokenize("他说" + text + "很重要") == ["他", "说", token, "很", "重要"]


def test_tags() -> None:
    assert word_tag("国家秘密") == "nm"
    assert word_tag("内部控制") == "nm"
    assert word_tag("核心商密") == "mk"
    assert word_tag("工作秘密") == "mk"
    assert word_tag("秘密") is None


def test_userdict_is_large_enough_and_well_formed() -> None:
    entries = read_userdict(USERDICT)
    assert len(entries) >= 40
    assert all(tag in ("nm", "mk") for _, _, tag in entries)
    assert len({word for word, _, _ in entries}) == len(entries)


def test_userdict_rejects_bad_lines(tmp_path: Path) -> None:
    bad = tmp_path / "dict.txt"
    bad.write_text("# comment\n国家秘密 many nm\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dict.txt:2"):
        read_userdict(bad)


@pytest.mark.parametrize(("text", "span", "expected"), [
    ("泄露绝密级国家秘密的", (2, 4), "绝密级"),
    ("泄露绝密级国家秘密的", (7, 9), "国家秘密"),
    ("国内部分地区", (1, 3), None),  # 内部 straddles 国内 / 部分
    ("本通知仅供内部使用", (5, 7), "内部"),
])
def test_covering_token(text: str, span: tuple[int, int], expected: str | None) -> None:
    assert covering_token(text, *span) == expected


def test_tokenizer_is_shared() -> None:
    assert tokenizer() is tokenizer()


def test_building_writes_no_file_in_tempdir() -> None:
    tmp = Path(tempfile.gettempdir())
    before = set(os.listdir(tmp))
    tok = build_tokenizer()
    assert tok.lcut("国家秘密", HMM=False) == ["国家秘密"]
    created = set(os.listdir(tmp)) - before
    assert not [name for name in created if "jieba" in name or name.startswith("tmp")]


def test_fresh_process_writes_nothing_logs_nothing_and_loads_lazily(tmp_path: Path) -> None:
    tmpdir, home = tmp_path / "tmp", tmp_path / "home"
    tmpdir.mkdir()
    home.mkdir()
    code = (
        "import sys\n"
        "import markings.detect, markings.segment\n"
        "from markings.detect import detect\n"
        "from scanner.records import TextBlock, Location\n"
        "assert 'jieba' not in sys.modules, 'jieba imported at import time'\n"
        "found = detect([TextBlock('秘密★1年', Location('body', paragraph=1))])\n"
        "assert found[0].level.value == '秘密'\n"
        "assert 'jieba' not in sys.modules, 'jieba loaded on the marking path'\n"
        "detect([TextBlock('保守国家秘密', Location('body', paragraph=1))])\n"
        "assert 'jieba' in sys.modules\n"
        "print('ok')\n"
    )
    env = dict(os.environ, TMPDIR=str(tmpdir), HOME=str(home), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
    assert result.stderr == ""
    assert list(tmpdir.iterdir()) == [] and list(home.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "tmp"]
