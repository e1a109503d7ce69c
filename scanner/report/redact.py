"""--redact: reports that show where and what was found, without the surrounding secret text.

Each finding keeps its matched text (the mark itself), its location, rule and confidence;
the context around it and the classifier's terms (words of the content) are masked.
"""

from __future__ import annotations

import copy
import re
from typing import Any

MASK = "＊"
_CONTENT = re.compile(r"[^\s\W_]|_", re.UNICODE)  # letters, digits and CJK characters


def mask_text(text: str, keep: str = "") -> str:
    """``text`` with every letter/digit/CJK character masked, except occurrences of ``keep``."""
    if keep and keep in text:
        return keep.join(mask_text(piece) for piece in text.split(keep))
    return _CONTENT.sub(MASK, text)


def redact(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a report record with contexts and terms masked."""
    out = copy.deepcopy(record)
    for finding in out.get("findings", []):
        keep = finding.get("text", "") if finding.get("kind") in ("marking", "mention", "file") else ""
        finding["context"] = mask_text(finding.get("context", ""), keep)
        if finding.get("kind") not in ("marking", "mention", "file"):
            finding["text"] = mask_text(finding.get("text", ""))
        if "terms" in finding:
            finding["terms"] = [mask_text(t) for t in finding["terms"]]
    if out.get("suspected"):
        out["suspected"]["terms"] = [mask_text(t) for t in out["suspected"].get("terms", [])]
    return out
