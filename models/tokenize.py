"""tokenize(text): the word features of the classifier (jieba, with the project's user dictionary).

One tokenizer for the whole project (markings.segment), so 工作秘密 / 商业秘密 / 国家秘密 stay
whole here as they do on the mention path. Stopwords, punctuation, numbers and single
Latin letters are dropped.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from markings.segment import tokenizer

STOPWORDS = Path(__file__).parent / "data" / "stopwords-zh.txt"
_KEEP = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]{2,}")


@functools.cache
def stopwords() -> frozenset[str]:
    return frozenset(STOPWORDS.read_text(encoding="utf-8").split())


def tokenize(text: str) -> list[str]:
    """Word tokens of ``text`` that carry content (HMM off: stable, dictionary-only tokens)."""
    stop = stopwords()
    return [tok for tok in tokenizer().cut(text, HMM=False)
            if _KEEP.search(tok) and tok not in stop and not tok.isspace()]
