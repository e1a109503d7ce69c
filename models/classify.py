"""Classifier.load(path) verifies the card; predict(text) -> Suspicion | None with its top terms.

Features are computed from the stored vocabulary and idf (models.features, the same
arithmetic as the scikit-learn vectorizers it was trained with); the linear part is a
product with the stored coefficients and a softmax with the stored temperature. No code
is ever loaded from the model folder.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from models import store
from models.features import Features
from models.mask import mask
from scanner.records import Suspicion

PUBLIC = "公开"
SHIPPED = store.SHIPPED
TOP_TERMS = 8


def prepare(text: str, max_chars: int) -> str:
    """What the model reads: marks masked out, then the first ``max_chars`` characters."""
    return mask(text[: max_chars * 2])[:max_chars]


class Classifier:
    def __init__(self, data: store.ModelData) -> None:
        self.data = data
        self.classes = data.classes
        self.public = self.classes.index(PUBLIC)
        self.features = Features(data.word_vocab, data.char_vocab, data.arrays["idf_word"], data.arrays["idf_char"])
        self.coef = data.arrays["coef"].astype(np.float64)
        self.intercept = data.arrays["intercept"].astype(np.float64)
        self.terms = data.word_vocab + data.char_vocab

    @classmethod
    def load(cls, path: str | Path) -> Classifier:
        """Load and verify a model folder. Raises scanner.errors.ModelError."""
        return cls(store.load(path))

    def _probs(self, idx: np.ndarray, val: np.ndarray) -> np.ndarray:
        logits = self.coef[:, idx] @ val + self.intercept
        return _softmax(logits[None, :], self.data.temperature)[0]

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Calibrated class probabilities (columns in ``classes`` order) for raw texts."""
        rows = [self._probs(*self.features.transform(prepare(t, self.data.max_chars))) for t in texts]
        return np.array(rows).reshape(len(texts), len(self.classes))

    def predict(self, text: str) -> Suspicion | None:
        """The verdict on one text: None when it reads as public (or has too little text to judge)."""
        prepared = prepare(text, self.data.max_chars)
        if len(prepared.strip()) < 20:
            return None
        idx, val = self.features.transform(prepared)
        probs = self._probs(idx, val)
        score = 1.0 - float(probs[self.public])
        if score < self.data.threshold:
            return None
        label = max((i for i in range(len(self.classes)) if i != self.public), key=lambda i: probs[i])
        return Suspicion(self.classes[label], score, self.top_terms(idx, val, label))

    def top_terms(self, idx: np.ndarray, val: np.ndarray, label: int) -> tuple[str, ...]:
        """The features that pushed this text most towards ``label`` rather than public."""
        contrib = val * (self.coef[label, idx] - self.coef[self.public, idx])
        words = len(self.data.word_vocab)  # word features first: jieba tokens read as reasons, n-grams may not
        order = sorted(np.flatnonzero(contrib > 0), key=lambda i: (idx[i] >= words, -contrib[i]))
        terms: list[str] = []
        for i in order:
            term = self.terms[idx[i]]
            if len(terms) == TOP_TERMS:
                break
            if _readable(term) and not any(term in t or t in term for t in terms):
                terms.append(term)
        return tuple(terms)


@functools.cache
def shipped_or(path: str | None) -> Classifier | None:
    """The model a scan uses: ``path``, else the shipped one (None when neither exists). Cached per process."""
    folder = Path(path) if path else SHIPPED
    if path is None and not (folder / store.CARD).exists():
        return None
    return Classifier.load(folder)


def _readable(term: str) -> bool:
    """A term an inspector can read as a reason: two or more characters, no fragment across a gap."""
    return len(term) >= 2 and not any(ch.isspace() for ch in term)


def _softmax(z: np.ndarray, temperature: float) -> np.ndarray:
    z = z / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
