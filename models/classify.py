"""Classifier.load(path) verifies the card; predict(text) -> Suspicion | None with its top terms.

The vectorizers are rebuilt from the stored vocabulary and idf as scikit-learn
TfidfVectorizers; the linear part is a matrix product and a softmax with the stored
temperature. No code is ever loaded from the model folder.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from models import store
from models.mask import mask
from models.pipeline import char_vectorizer, word_vectorizer
from scanner.records import Suspicion

PUBLIC = "公开"
SHIPPED = Path(__file__).parent / "trained"
TOP_TERMS = 8


def prepare(text: str, max_chars: int) -> str:
    """What the model reads: marks masked out, then the first ``max_chars`` characters."""
    return mask(text[: max_chars * 2])[:max_chars]


class Classifier:
    def __init__(self, data: store.ModelData) -> None:
        self.data = data
        self.classes = data.classes
        self.public = self.classes.index(PUBLIC)
        self.word = word_vectorizer(vocabulary={t: i for i, t in enumerate(data.word_vocab)})
        self.word.idf_ = data.arrays["idf_word"]
        self.char = char_vectorizer(vocabulary={t: i for i, t in enumerate(data.char_vocab)})
        self.char.idf_ = data.arrays["idf_char"]
        self.coef = sp.csr_matrix(data.arrays["coef"].T.astype(np.float64))
        self.intercept = data.arrays["intercept"].astype(np.float64)
        self.terms = data.word_vocab + data.char_vocab

    @classmethod
    def load(cls, path: str | Path) -> Classifier:
        """Load and verify a model folder. Raises scanner.errors.ModelError."""
        return cls(store.load(path))

    def features(self, texts: list[str]) -> sp.csr_matrix:
        """Rows of TF-IDF features for already prepared texts."""
        return sp.hstack([self.word.transform(texts), self.char.transform(texts)], format="csr")

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Calibrated class probabilities (columns in ``classes`` order) for raw texts."""
        x = self.features([prepare(t, self.data.max_chars) for t in texts])
        return _softmax((x @ self.coef).toarray() + self.intercept, self.data.temperature)

    def predict(self, text: str) -> Suspicion | None:
        """The verdict on one text: None when it reads as public (or has no text to judge)."""
        prepared = prepare(text, self.data.max_chars)
        if len(prepared.strip()) < 20:
            return None
        x = self.features([prepared])
        probs = _softmax((x @ self.coef).toarray() + self.intercept, self.data.temperature)[0]
        score = 1.0 - float(probs[self.public])
        if score < self.data.threshold:
            return None
        sensitive = [i for i in range(len(self.classes)) if i != self.public]
        label = max(sensitive, key=lambda i: probs[i])
        return Suspicion(self.classes[label], score, self.top_terms(x, label))

    def top_terms(self, x: sp.csr_matrix, label: int) -> tuple[str, ...]:
        """The features that pushed this text most towards ``label`` rather than public."""
        row = x.getrow(0)
        weights = self.data.arrays["coef"][label] - self.data.arrays["coef"][self.public]
        contrib = row.data * weights[row.indices]
        order = np.argsort(-contrib)
        terms: list[str] = []
        for i in order:
            if contrib[i] <= 0 or len(terms) == TOP_TERMS:
                break
            term = self.terms[row.indices[i]]
            if not any(term in t or t in term for t in terms):
                terms.append(term)
        return tuple(terms)


@functools.cache
def shipped_or(path: str | None) -> Classifier | None:
    """The model a scan uses: ``path``, else the shipped one (None when neither exists). Cached per process."""
    folder = Path(path) if path else SHIPPED
    if path is None and not (folder / store.CARD).exists():
        return None
    return Classifier.load(folder)


def _softmax(z: np.ndarray, temperature: float) -> np.ndarray:
    z = z / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
