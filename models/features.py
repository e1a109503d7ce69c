"""TF-IDF features of one text from a stored vocabulary, with numpy alone.

The same arithmetic as the scikit-learn TfidfVectorizers the model was trained with
(models.pipeline: jieba tokens, and character 2-3-grams of the CJK-only text, each block
with sublinear tf, idf and its own l2 norm), so a model loads without importing
scikit-learn (almost a second per worker process) and whatever its version.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from models.pipeline import CHAR_NGRAMS, cjk_only
from models.tokenize import tokenize

_WHITE = re.compile(r"\s\s+")  # scikit-learn collapses runs of whitespace before char n-grams


class Features:
    def __init__(self, word_vocab: tuple[str, ...], char_vocab: tuple[str, ...],
                 idf_word: np.ndarray, idf_char: np.ndarray) -> None:
        self.word = {t: i for i, t in enumerate(word_vocab)}
        offset = len(word_vocab)
        self.char = {t: offset + i for i, t in enumerate(char_vocab)}
        self.idf = np.concatenate([idf_word, idf_char]).astype(np.float64)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of the text's non-zero features."""
        word = self._block(Counter(tokenize(text)), self.word)
        char = self._block(Counter(_char_ngrams(cjk_only(text))), self.char)
        idx = np.array([i for i, _ in word + char], dtype=np.int64)
        val = np.array([v for _, v in word + char], dtype=np.float64)
        return idx, val

    def _block(self, counts: Counter, vocab: dict[str, int]) -> list[tuple[int, float]]:
        cells = [(vocab[t], (1.0 + math.log(n)) * self.idf[vocab[t]]) for t, n in counts.items() if t in vocab]
        norm = math.sqrt(sum(v * v for _, v in cells))
        return [(i, v / norm) for i, v in cells] if norm else []


def _char_ngrams(text: str) -> list[str]:
    text = _WHITE.sub(" ", text)
    low, high = CHAR_NGRAMS
    return [text[i:i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)]
