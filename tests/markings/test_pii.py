"""Personal information (issue 7): validators, boundaries, labels, masking, the cap, a real scan.

Every valid number here is synthetic and made valid in the open: the check character is
computed by the small reference functions below (written from the standards, independently
of markings/pii_validate.py), so a reader can see why each one passes.
"""

from __future__ import annotations

import json
from pathlib import Path

import docx
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from markings import pii_validate as v
from markings.pii import CAP, PiiDetector, count_findings, pii_detector, redact
from markings.pii_scan import PREFILTER, find
from markings.pii_types import normalize
from scanner import detectors
from scanner.options import ScanOptions
from scanner.records import FileEntry, Finding, FindingKind, Location, TextBlock
from scanner.scan import scan_file

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def gb11643(first17: str) -> str:
    """ISO 7064 MOD 11-2: weights 2**(17-i) mod 11; check = (12 - sum mod 11) mod 11, 10 -> X."""
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(first17))
    return first17 + "0123456789X"[(12 - total % 11) % 11]


def luhn(partial: str) -> str:
    """Append the Luhn digit: double every second digit from the right of the full number."""
    total = sum(d if i % 2 else (2 * d - 9 if d > 4 else 2 * d)
                for i, d in enumerate(int(c) for c in reversed(partial)))
    return partial + str(-total % 10)


def gb32100(first17: str) -> str:
    """GB 32100-2015: weights 3**i mod 31 over the 31-character set; check = 31 - sum mod 31 (31 -> 0)."""
    total = sum(USCC_CHARS.index(c) * (3 ** i % 31) for i, c in enumerate(first17))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


ID = "11010519491231002X"  # the GB 11643-1999 example: Beijing Chaoyang, born 1949-12-31
ID2 = gb11643("44030619900101123")
CARD = luhn("622202123456789012")  # UnionPay 19 digits
USCC_ID = gb32100("91110108MA01ABCD2")  # 9 工商, 1 企业, 110108 Haidian
MOBILE = "13812345678"


def body(text: str, paragraph: int = 1) -> TextBlock:
    return TextBlock(text, Location("body", paragraph=paragraph))


def run(*blocks: TextBlock, redact: bool = True) -> list[Finding]:
    detector = PiiDetector(redact=redact)
    for block in blocks:
        detector.feed(block)
    return detector.finish()


def rules(text: str) -> list[tuple[str, str]]:
    return [(h.kind.rule, h.value) for h in find(text).hits]


# --- validators ---------------------------------------------------------------------------------

def test_reference_check_characters_agree_with_the_module() -> None:
    assert gb11643("11010519491231002") == ID
    assert v.id_check_char("44030619900101123") == ID2[-1]
    assert v.luhn_check_digit(CARD[:-1]) == CARD[-1]
    assert v.uscc_check_char(USCC_ID[:17]) == USCC_ID[-1]
    assert gb32100("91350100M000100Y4") == "91350100M000100Y43"  # a published example


def test_id18_check_date_and_region() -> None:
    assert v.valid_id18(ID) and v.valid_id18(ID2)
    assert not v.valid_id18(ID[:17] + "1")  # wrong check character
    assert not v.valid_id18(gb11643("11010519491331002"))  # month 13, check made valid
    assert not v.valid_id18(gb11643("99010519491231002"))  # no province 99
    assert not v.valid_id18(gb11643("11010518991231002"))  # born before 1900
    assert not v.valid_id18(gb11643("11010520991231002"))  # born in the future


def test_id15_has_date_and_region_only() -> None:
    assert v.valid_id15("110105491231002")
    assert not v.valid_id15("110105491331002") and not v.valid_id15("990105491231002")


@pytest.mark.parametrize("number, ok", [
    ("13812345678", True), ("14712345678", True), ("19912345678", True), ("16612345678", True),
    ("12812345678", False), ("15412345678", False), ("19412345678", False), ("1381234567", False),
])
def test_mobile_segments(number: str, ok: bool) -> None:
    assert v.valid_mobile(number) is ok


def test_luhn_and_issuers() -> None:
    assert v.valid_bank_card(CARD) and v.card_issuer(CARD) == "UnionPay"
    assert not v.valid_bank_card(CARD[:-1] + str((int(CARD[-1]) + 1) % 10))
    assert v.card_issuer("4111111111111111") == "Visa" and v.luhn_ok("4111111111111111")
    assert v.card_issuer(luhn("222100000000000")) == "Mastercard"
    assert v.card_issuer(luhn("955880000000000000")) is None
    assert not v.valid_bank_card(luhn("012345678901234"))  # 16 digits starting with 0


def test_uscc() -> None:
    assert v.valid_uscc(USCC_ID) and v.valid_uscc("91350100M000100Y43")
    assert not v.valid_uscc(USCC_ID[:17] + ("0" if USCC_ID[-1] != "0" else "1"))
    assert not v.valid_uscc(gb32100("94110108MA01ABCD2"))  # authority 9 issues types 1-3 only
    assert not v.valid_uscc("91110108MA01IBCD2" + "0")  # I is not in the character set
    assert not v.valid_uscc(gb32100("91990108MA01ABCD2"))  # no region 99


def test_passport_shapes() -> None:
    assert all(v.valid_passport(p) for p in ("E12345678", "G12345678", "EA1234567", "DE1234567"))
    assert not any(v.valid_passport(p) for p in ("EI1234567", "E1234567", "X12345678"))


def test_masks() -> None:
    assert v.mask_id(ID) == "110105********002X"
    assert v.mask_mobile(MOBILE) == "138****5678"
    assert v.mask_bank_card(CARD) == "6222 **** **** " + CARD[-4:]
    assert v.mask_uscc(USCC_ID) == "91110108**********"
    assert v.mask_passport("E12345678") == "E1****678"
    assert v.mask_email("zhang.san@example.com") == "z***@example.com"


# --- finding in text ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "13812345678", "138-1234-5678", "138 1234 5678", "+86 138 1234 5678", "+8613812345678",
    "0086-138-1234-5678", "（+86）13812345678", "＋８６　１３８　１２３４　５６７８", "tel:13812345678。",
])
def test_mobile_forms(text: str) -> None:
    assert PREFILTER.search(text) is not None
    assert rules(text) == [("pii-mobile", MOBILE)]


def test_spaced_runs_of_separate_numbers() -> None:
    assert rules("13812345678 13912345678") == [("pii-mobile", MOBILE), ("pii-mobile", "13912345678")]
    assert rules(f"{ID} 138 1234 5678") == [("pii-id-card", ID), ("pii-mobile", MOBILE)]
    assert rules("手机\u00a0138\u00a01234\u00a05678") == [("pii-mobile", MOBILE)]
    # A short group beside a grouped number may continue it: not reported (a documented trade-off).
    assert rules("1 138 1234 5678") == [] and rules("138 1234 5678 2024") == []


@pytest.mark.parametrize("text", [
    "913812345678", "138123456789", "A13812345678", "13812345678B", "0.13812345678", "13812345678.5",
    "138-1234-5678-9", "1-138-1234-5678", "138 1234 567", "订单号2013812345678",
])
def test_mobile_inside_longer_runs_never_matches(text: str) -> None:
    assert rules(text) == []


@pytest.mark.parametrize("text", ["9" + ID, ID + "1", "A" + ID, ID + "b", "1." + ID, "110105 19491231 002X 1"])
def test_id_inside_longer_runs_never_matches(text: str) -> None:
    assert rules(text) == []


def test_id_forms() -> None:
    assert rules(f"{ID}；{ID2}") == [("pii-id-card", ID), ("pii-id-card", ID2)]
    assert rules("110105 19491231 002X") == [("pii-id-card", ID)]
    assert rules(ID.lower()) == [("pii-id-card", ID)]
    assert rules(ID[:17] + "1") == []  # an invalid check character is not reported
    assert rules("110105491231002") == []  # a 15-digit ID needs a label
    assert rules("身份证号码 110105491231002") == [("pii-id-card", "110105491231002")]


def test_bank_cards_need_issuer_or_label() -> None:
    unknown = luhn("955880000000000000")
    assert rules(f"{CARD} {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}") == [
        ("pii-bank-card", CARD), ("pii-bank-card", CARD)]
    assert rules(unknown) == []
    assert rules(f"开户行账号：{unknown}") == [("pii-bank-card", unknown)]
    assert rules(f"卡号：{CARD[:-1]}{(int(CARD[-1]) + 1) % 10}") == []  # Luhn fails even with a label


def test_uscc_passport_email() -> None:
    assert rules(f"信用代码{USCC_ID}") == [("pii-uscc", USCC_ID)]
    assert rules("E12345678") == []  # the shape alone is too weak
    assert rules("护照号码：E12345678") == [("pii-passport", "E12345678")]
    assert rules("护照：EI1234567") == []
    assert rules("联系 zhang.san@mail.example.com.cn。") == [("pii-email", "zhang.san@mail.example.com.cn")]
    assert rules("见 icon@2x.png 与 a..b@example.com") == []
    assert rules("13812345678@qq.com") == [("pii-email", "13812345678@qq.com")]  # not also a mobile


def test_full_width_is_normalised_but_reported_as_written() -> None:
    wide = "身份证号：１１０１０５１９４９１２３１００２Ｘ"
    [finding] = run(body(wide, paragraph=7), redact=False)
    assert finding.text == "１１０１０５１９４９１２３１００２Ｘ"
    assert finding.context == wide and finding.location == Location("body", paragraph=7)
    [masked] = run(body(wide))
    assert masked.text == "110105********002X" and masked.context == "身份证号：110105********002X"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789１３８ -－Xx@.+EG身份证号手机a", max_size=60))
def test_find_never_fails_and_spans_hold_their_values(text: str) -> None:
    norm = normalize(text)
    assert len(norm) == len(text)
    for hit in find(text).hits:
        digits = norm[hit.start:hit.end].upper().replace(" ", "").replace("-", "").lstrip("+")
        assert digits.endswith(hit.value) and hit.kind.mask(hit.value) != hit.value


# --- labels and confidence ----------------------------------------------------------------------

def test_labels_raise_confidence_within_the_window() -> None:
    def confidence(text: str) -> float:
        [hit] = find(text).hits
        return hit.confidence

    assert confidence(f"张三 {ID}") == 0.8
    assert confidence(f"公民身份号码：{ID}") == 0.95
    assert confidence(f"身份证号{'，' * 21}{ID}") == 0.8  # label 21 characters away
    assert confidence(f"手机 {MOBILE}") == 0.9 and confidence(f"x {MOBILE}") == 0.5
    assert confidence(f"开户行：{CARD}") == 0.9 and confidence(CARD) == 0.5
    assert confidence(f"统一社会信用代码：{USCC_ID}") == 0.95 and confidence(USCC_ID) == 0.7
    assert confidence("E-mail: a@example.org") == 0.95


def test_table_header_and_row_labels() -> None:
    def cell(text: str, ref: str) -> TextBlock:
        return TextBlock(text, Location("cell", sheet="人员", cell=ref))

    found = run(cell("护照号", "C1"), cell("E12345678", "C2"), cell("证件", "D1"),
                cell("E87654321", "D2"), cell("手机", "A3"), cell(MOBILE, "B3"), cell("13912345678", "B4"))
    assert [(f.rule, f.text, f.confidence) for f in found] == [
        ("pii-passport", "E1****678", 0.85), ("pii-mobile", "138****5678", 0.9),
        ("pii-mobile", "139****5678", 0.5)]
    assert dict(found[0].details)["label"] == "护照号"


# --- masking, details, cap ----------------------------------------------------------------------

def test_redaction_never_leaks_a_full_value() -> None:
    values = [ID, MOBILE, CARD, USCC_ID, "E12345678", "zhang.san@example.com", "G87654321",
              ID[:17] + "1", "13800000000000"]
    text = (f"张三，身份证号 {ID}，手机 138-1234-5678，工资卡号 {CARD}，单位信用代码 {USCC_ID}，"
            f"护照 E12345678，邮箱 zhang.san@example.com，G87654321，{ID[:17]}1，13800000000000")
    found = run(body(text), TextBlock(text, Location("cell", sheet="S", cell="A2")))
    assert {f.rule for f in found} == {"pii-id-card", "pii-mobile", "pii-bank-card", "pii-uscc",
                                       "pii-passport", "pii-email"}
    dumped = json.dumps([f.to_json() for f in found], ensure_ascii=False)
    for value in values + ["138-1234-5678"]:
        assert value not in dumped, value
    plain = run(body(text), redact=False)
    assert {f.text for f in plain} >= {ID, "138-1234-5678", CARD, USCC_ID, "E12345678"}


def test_redact_masks_other_excerpts() -> None:
    text = f"秘密 身份证号 {ID} 电话 13800000000000 邮箱 li@example.cn"
    assert redact(text) == "秘密 身份证号 110105********002X 电话 13**********00 邮箱 l***@example.cn"
    assert redact("二〇二四年工作要点") == "二〇二四年工作要点"


def test_finding_shape() -> None:
    [finding] = run(body(f"身份证号码：{ID}", paragraph=3))
    assert finding.kind is FindingKind.SENSITIVE_INFO and finding.level is None
    assert finding.rule == "pii-id-card" and finding.location == Location("body", paragraph=3)
    out = finding.to_json()
    assert out["pii"] == "身份证号码" and out["valid"] is True and out["label"] == "身份证号码"
    assert out["redacted"] is True and out["confidence"] == 0.95


def test_cap_lists_fifty_and_counts_all() -> None:
    ids = [gb11643(f"44030619900101{i:03d}") for i in range(120)]
    detector = PiiDetector()
    for i, number in enumerate(ids):
        detector.feed(TextBlock(number, Location("cell", sheet="HR", cell=f"B{i + 2}")))
    detector.feed(body("手机 13812345678"))
    found = detector.finish()
    summary = found[0]
    assert summary.rule == "pii-id-card-summary" and dict(summary.details)["count"] == 120
    assert dict(summary.details)["distinct"] == 120 and summary.location == Location("file")
    assert sum(f.rule == "pii-id-card" for f in found) == CAP == 50
    assert detector.summary()["pii-id-card"] == 120 and detector.summary()["pii-mobile"] == 1
    assert count_findings(f.to_json() for f in found)["pii-id-card"] == 120
    assert count_findings(f.to_json() for f in found)["pii-mobile"] == 1


def test_factory_follows_options() -> None:
    assert pii_detector(ScanOptions()) is None
    detector = pii_detector(ScanOptions(pii=True, redact_pii=False))
    assert isinstance(detector, PiiDetector) and detector.redact is False


# --- through the real scan ----------------------------------------------------------------------

@pytest.fixture
def with_pii() -> None:
    assert pii_detector in detectors.FACTORIES  # registered: ScanOptions(pii=True) turns it on


def _scan(path: Path, *secrets: str) -> list[Finding]:
    options = ScanOptions(pii=True, classify=False, ocr=False)
    [record] = scan_file(FileEntry(str(path), str(path)), options)
    assert record.status.value == "ok", record.error
    line = record.to_line()
    assert not [s for s in secrets if s in line]  # the report line never holds a full value
    return [f for f in record.findings if f.kind is FindingKind.SENSITIVE_INFO]


def test_docx_end_to_end(tmp_path: Path, with_pii: None) -> None:
    document = docx.Document()
    document.add_paragraph("人员信息登记")
    document.add_paragraph(f"身份证号码：{ID}")
    document.add_paragraph(f"身份证号码：{ID[:17]}1")  # invalid check character
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "手机号", "138 1234 5678"
    path = tmp_path / "登记表.docx"
    document.save(str(path))
    found = _scan(path, ID, "138 1234 5678")
    assert [(f.rule, f.text, f.location.part) for f in found] == [
        ("pii-id-card", "110105********002X", "body"), ("pii-mobile", "138****5678", "table")]
    assert found[0].location.paragraph == 2 and found[0].confidence == 0.95
    assert found[1].confidence == 0.9  # labelled by the cell before it in its row


def test_xlsx_end_to_end(tmp_path: Path, with_pii: None) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(["姓名", "身份证号", "护照号"])
    sheet.append(["张三", ID, "E12345678"])
    sheet.append(["李四", ID2[:17] + ("0" if ID2[-1] != "0" else "1"), "G1234567"])
    sheet.append(["王五", ID2, None])
    path = tmp_path / "hr.xlsx"
    book.save(str(path))
    found = _scan(path, ID, ID2, "E12345678")
    assert [(f.rule, f.text, f.location.cell, f.confidence) for f in found] == [
        ("pii-id-card", "110105********002X", "B2", 0.95), ("pii-passport", "E1****678", "C2", 0.85),
        ("pii-id-card", v.mask_id(ID2), "B4", 0.95)]
    assert all(f.location.sheet == "花名册" for f in found)


def test_scan_keeps_the_counts_past_the_mention_cap_and_masks_other_excerpts(tmp_path: Path) -> None:
    """The scanner's cap on non-marking findings never drops a detector's count, and a mention's
    excerpt does not carry a personal number in full."""
    ids = [gb11643(f"1101051949{month:02d}{day:02d}001") for month in range(1, 13) for day in range(1, 7)]
    lines = [f"不得泄露秘密，身份证号 {ids[0]}。"] + ["不得泄露秘密。"] * 250 + [f"身份证号码：{i}" for i in ids]
    path = tmp_path / "名册.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    [record] = scan_file(FileEntry(str(path), str(path)), ScanOptions(pii=True, classify=False, ocr=False))
    data = record.to_json()
    assert not [i for i in ids if i in json.dumps(data, ensure_ascii=False)]
    summary = [f for f in data["findings"] if f["rule"] == "pii-id-card-summary"]
    assert len(summary) == 1 and summary[0]["count"] == len(ids) + 1
    assert count_findings(data["findings"])["pii-id-card"] == len(ids) + 1
    mentions = [f for f in data["findings"] if f["kind"] == "mention"]
    assert mentions and "110105********" in mentions[0]["context"]
