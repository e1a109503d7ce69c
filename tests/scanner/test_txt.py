import io

import pytest

from scanner.extractors import txt
from scanner.options import ScanOptions
from scanner.sniff import probe

TEXT = "秘密★1年\n关于做好值班工作的通知\n\n各单位：请按要求做好节假日值班安排。\n"


def blocks(data: bytes, **opts):
    return list(txt.extract(io.BytesIO(data), ScanOptions(**opts)))


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "big5"])
def test_encodings_round_trip_with_line_numbers(codec):
    text = TEXT if codec != "big5" else "機密★1年\n關於做好值班工作的通知\n\n各單位：請按要求做好節假日值班安排。\n"
    got = blocks(text.encode(codec))
    assert [b.location.line for b in got] == [1, 2, 4]
    assert got[0].text == text.splitlines()[0]
    assert all(b.location.part == "body" for b in got)


def test_crlf_split_across_chunks_keeps_numbering(monkeypatch):
    monkeypatch.setattr(txt, "CHUNK", 7)
    data = "第一行\r\n第二行\r\n第三行".encode("gb18030")
    got = blocks(data)
    assert [(b.text, b.location.line) for b in got] == [("第一行", 1), ("第二行", 2), ("第三行", 3)]


def test_endless_line_is_cut_but_keeps_its_number(monkeypatch):
    monkeypatch.setattr(txt, "MAX_LINE", 100)
    monkeypatch.setattr(txt, "CHUNK", 64)
    data = ("甲" * 450 + "\n乙").encode("utf-8")
    got = blocks(data)
    assert sum(len(b.text) for b in got if b.location.line == 1) == 450
    assert got[-1].text == "乙" and got[-1].location.line == 2


def test_text_budget_stops_reading():
    data = ("内容" * 50 + "\n").encode() * 1000
    got = blocks(data, max_text_chars=1000)
    assert 1000 <= sum(len(b.text) for b in got) < 1200


@pytest.mark.parametrize("head,expected", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", False),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", False),
    (bytes(range(256)) * 4, False),
    ("普通文本".encode("gb18030") * 20, True),
    (b"plain ascii text\n" * 10, True),
    (b"", False),
])
def test_sniff_text_versus_binary(head, expected):
    assert txt.sniff(probe(io.BytesIO(head), len(head), "x.bin")) is expected


def test_random_binary_is_not_text():
    import random
    rng = random.Random(7)
    for _ in range(20):
        data = rng.randbytes(8192)
        assert not txt.sniff(probe(io.BytesIO(data), len(data), "x.txt"))
