"""Labelled pictures of documents, read only by OCR: PNG scans, JPEG phone photos, image-only PDFs.

Pages are drawn by scans.py from the same documents and placements as the other formats, at
150 dpi (a common office scanning resolution; A4 = 1240 x 1754 pixels; two photos at 100 dpi
with more noise), skewed by up to 2 degrees; photos get paper tint, uneven light, noise and blur. Marks stand where a scanned
document carries them: the first lines of page 1 (top band), a running header, a red stamp.
Every label's ``where`` starts with ``ocr`` (negatives: just ``ocr``), so the benchmark can
report OCR on its own line. Format column: ``image`` for PNG/JPEG, ``pdf`` for scanned PDFs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from content import compose_negative
from placing import Label, Pos, compose_positive, seeded, unique
from scans import Look, page_images, save_image, write_scanned_pdf


@dataclass(frozen=True)
class Shot:
    ext: str  # png | jpg | pdf
    look: Look
    pos: Pos | None = None  # a marked document, else the negative kind/variant
    kind: str = ""
    variant: int = 0
    pages: int = 1


def _scan(angle: float, seed: str) -> Look:
    return Look(dpi=150, angle=angle, dust=0.0002, seed=seed)


def _photo(angle: float, seed: str) -> Look:
    return Look(dpi=150, angle=angle, noise=5.0, photo=True, seed=seed)


def _pdf(angle: float, seed: str) -> Look:
    return Look(dpi=150, angle=angle, noise=4.0, dust=0.0002, seed=seed)


P = Pos
SHOTS: tuple[Shot, ...] = (
    Shot("png", _scan(0.4, "i1"), P("秘密", "秘密★1年", "banhead")),
    Shot("jpg", _photo(1.5, "i2"), P("机密", "机密★10年", "top")),
    Shot("jpg", _photo(-1.2, "i3"), P("内部", "内部资料 注意保存", "top")),
    Shot("png", _scan(0.8, "i4"), P("核心商密", "核心商密★5年", "top")),
    Shot("jpg", _photo(2.0, "i5"), P("绝密", "绝密★长期", "stamp")),
    Shot("png", _scan(-0.5, "i6"), kind="law", variant=2),
    Shot("jpg", _photo(1.1, "i7"), kind="quiz", variant=0),
    Shot("jpg", _photo(-1.8, "i8"), kind="public", variant=1),
    Shot("png", _scan(0.6, "i9"), kind="compound", variant=0),
    Shot("png", _scan(-0.3, "i10"), kind="template", variant=0),
    Shot("jpg", Look(dpi=100, angle=-2.0, noise=8.0, photo=True, seed="i11"), P("秘密", "秘　密", "right1999")),
    Shot("jpg", Look(dpi=100, angle=1.7, noise=8.0, photo=True, seed="i12"), kind="law", variant=0),
    Shot("pdf", _pdf(0.5, "s1"), P("秘密", "秘密★1年", "banhead"), pages=2),
    Shot("pdf", _pdf(1.0, "s2"), P("机密", "机密★5年", "top")),
    Shot("pdf", _pdf(-0.6, "s3"), P("内部", "内部资料 注意保存", "header"), pages=2),
    Shot("pdf", _pdf(-0.7, "s4"), P("工作秘密", "工作秘密", "top")),
    Shot("pdf", _pdf(0.9, "s5"), kind="law", variant=3, pages=2),
    Shot("pdf", _pdf(0.3, "s6"), kind="ledger", variant=2),
    Shot("pdf", _pdf(-1.0, "s7"), kind="quiz", variant=1),
    Shot("pdf", _pdf(0.7, "s8"), kind="compound", variant=11),
)


def make(out: Path, used: set[str]) -> list[Label]:
    labels = []
    for i, shot in enumerate(SHOTS):
        rng, prose = seeded("ocr", "shot", i)
        if shot.pos is not None:
            doc, stem = compose_positive("pdf", shot.pos, prose, rng)
            level, kind = shot.pos.level, "none"
            where = "ocr:body:page1:top" + (" (running header)" if shot.pos.where == "header" else "")
            note = f"{shot.pos.where} mark {shot.pos.mark}"
        else:
            doc, stem, note = compose_negative(shot.kind, shot.variant, "pdf", prose, rng)
            level, kind, where = "", shot.kind, "ocr"
        name = unique(stem, shot.ext, used)
        images = page_images(doc, shot.look, shot.pages)
        if shot.ext == "pdf":
            write_scanned_pdf(out / name, images)
            what = f"scanned PDF, {len(images)} image-only page(s)"
        else:
            save_image(images[0], out / name)
            what = "PNG scan (16 greys)" if shot.ext == "png" else "JPEG phone photo"
        look = shot.look
        what += f", {look.dpi} dpi, skew {look.angle:+.1f} deg"
        labels.append(Label(name, "pdf" if shot.ext == "pdf" else "image", level, where, kind,
                            f"ocr; {what}; {note}"))
    return labels
