"""Property-based fuzzing of the extractors (hypothesis, derandomized: CI replays the same examples).

Valid seeds of every format (tests/hostile/seeds.py) are damaged three ways: random bytes changed
and the file cut short; an XML part of an OOXML/OFD package edited (hostile attribute values,
elements removed, duplicated or nested); and the result is read by the extractor the sniffer picks.
The contract: an extractor yields only TextBlocks and Members with sane fields and raises nothing but
the scanner's own errors (scanner/errors.py) or MemoryError; through scan_file, every such file gets
exactly one record of its own with a status and a one-line reason.
"""

from __future__ import annotations

import copy
import io
import os
import re
import tempfile
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from scanner.errors import DocscanError
from scanner.extractors import EXTRACTORS
from scanner.options import ScanOptions
from scanner.records import Member, Status, TextBlock
from scanner.scan import scan_file
from scanner.sniff import probe
from scanner.walk import walk
from tests.hostile.seeds import seeds

OPTIONS = ScanOptions(ocr=False, classify=False)
FUZZ = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEEDS = seeds()
PACKAGES = sorted(n for n in SEEDS if n.endswith(("docx", "xlsx", "pptx", "ofd")))
HOSTILE_VALUES = ["-1", "0", "99999999999999999999", "", "NaN", "1e309", "x" * 3000, "-2147483649", "A0",
                  "XFD1048577", "1 2 3", "/", "../../../etc/passwd", "#", "inf", "1 0 0 1 nan nan", "&#x0;"]


@st.composite
def flipped(draw: st.DrawFn) -> tuple[str, bytes]:
    """A seed with 1-24 bytes replaced (after its signature) and perhaps cut short."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for pos, value in draw(st.lists(st.tuples(st.integers(8, len(data) - 1), st.integers(0, 255)),
                                    min_size=1, max_size=24)):
        data[pos] = value
    cut = draw(st.one_of(st.none(), st.integers(8, len(data))))
    return name, bytes(data if cut is None else data[:cut])


@st.composite
def edited_xml(draw: st.DrawFn) -> tuple[str, bytes]:
    """An OOXML or OFD seed with one XML part edited as a well-formed but hostile document."""
    name = draw(st.sampled_from(PACKAGES))
    with zipfile.ZipFile(io.BytesIO(SEEDS[name])) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    victim = draw(st.sampled_from(sorted(n for n in parts if n.endswith((".xml", ".rels")))))
    root = etree.fromstring(parts[victim])
    for _ in range(draw(st.integers(1, 5))):
        _edit(draw, root)
    parts[victim] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, blob in parts.items():
            zf.writestr(part, blob)
    return name, out.getvalue()


def _edit(draw: st.DrawFn, root: etree._Element) -> None:
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    el = draw(st.sampled_from(elements))
    parent = el.getparent()
    action = draw(st.sampled_from(["attribute", "text", "remove", "duplicate", "nest"]))
    if action == "attribute" and el.attrib:
        el.set(draw(st.sampled_from(sorted(el.attrib))), draw(st.sampled_from(HOSTILE_VALUES)))
    elif action == "text":
        el.text = draw(st.sampled_from(HOSTILE_VALUES))
    elif action == "remove" and parent is not None:
        parent.remove(el)
    elif action == "duplicate" and parent is not None:
        for _ in range(draw(st.integers(1, 50))):
            parent.insert(parent.index(el), copy.deepcopy(el))
    elif action == "nest":
        inner = el
        for _ in range(draw(st.integers(2, 250))):  # libxml2 refuses documents deeper than 256
            inner = etree.SubElement(inner, el.tag)


def read_all(name: str, data: bytes) -> list[TextBlock | Member]:
    """What the sniffed extractor yields for ``data``; its own errors end the list, others propagate."""
    pr = probe(io.BytesIO(data), len(data), name)
    extractor = next((x for x in EXTRACTORS if x.sniff(pr)), None)
    items: list[TextBlock | Member] = []
    if extractor is None:
        return items
    try:
        for item in extractor.extract(io.BytesIO(data), OPTIONS):
            check_item(item)
            items.append(item)
    except (DocscanError, MemoryError):
        pass
    return items


def check_item(item: object) -> None:
    if isinstance(item, TextBlock):
        assert isinstance(item.text, str) and item.location.part
        for number in (item.location.page, item.location.line, item.location.paragraph, item.location.slide):
            assert number is None or (isinstance(number, int) and number >= 1), item
    else:
        assert isinstance(item, Member), item
        assert isinstance(item.name, str) and (item.data is None or isinstance(item.data, bytes))
        assert item.data is not None or item.status in (Status.ERROR, Status.SKIPPED, Status.ENCRYPTED)


@FUZZ
@given(flipped())
def test_extractors_raise_only_their_own_errors_on_damaged_bytes(sample: tuple[str, bytes]) -> None:
    read_all(*sample)


@settings(FUZZ, max_examples=300)
@given(edited_xml())
def test_extractors_raise_only_their_own_errors_on_hostile_xml_parts(sample: tuple[str, bytes]) -> None:
    read_all(*sample)


NAMES = st.sampled_from(["a.docx", "通知.pdf", "line\nbreak.xlsx", "\x1b[31m.ofd", "机密.bin"])


@settings(FUZZ, max_examples=120)
@given(st.one_of(flipped(), edited_xml()), NAMES)
def test_scan_file_gives_every_damaged_file_one_record_with_a_one_line_reason(
        sample: tuple[str, bytes], name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as fh:
            fh.write(sample[1])
        entry = next(walk([path]))
        records = scan_file(entry, OPTIONS)
    own = [r for r in records if "!/" not in r.path]
    assert len(own) == 1 and own[0].path == entry.path
    assert own[0].status in Status
    assert own[0].status is Status.OK or (own[0].error and not re.search(r"[\x00-\x1f]", own[0].error))
