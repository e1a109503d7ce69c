"""Corpus -> trained model + card. Marks are masked out of every text before it is read.

Out-of-fold predictions (stratified k-fold) calibrate the probabilities (one temperature
for the softmax) and choose the threshold: the lowest score at which at most
``max_fpr`` of the public documents would be flagged. The final model is fitted on all
documents and saved as data (models.store).

The vectorizers (vocabulary and idf: unsupervised) are fitted once on all documents and
only the classifier is refitted per fold: a fifth of the time, and labels never leak.
Documents are tokenized once, in parallel on every core.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from models.classify import PUBLIC, _softmax, prepare
from models.corpus import Doc, manifest_hash
from models.pipeline import DEFAULTS, char_vectorizer
from models.store import ModelData
from models.tokenize import tokenize

MAX_CHARS = 1000  # the title and opening carry the signal; ~10 ms per long document
MAX_FPR = 0.03


@dataclass(frozen=True)
class _Fitted:
    word: TfidfVectorizer
    char: TfidfVectorizer
    model: LogisticRegression


def train(docs: list[Doc], params: dict | None = None, max_chars: int = MAX_CHARS,
          max_fpr: float = MAX_FPR, folds: int = 4) -> ModelData:
    """Fit, calibrate and package a model. Raises ValueError when a label has too few documents."""
    started = time.monotonic()
    p = {**DEFAULTS, **(params or {})}
    labels = np.array([d.label for d in docs])
    counts = Counter(labels.tolist())
    if PUBLIC not in counts or len(counts) < 2 or min(counts.values()) < 2:
        raise ValueError(f"need at least two documents of {PUBLIC} and of another label, got {dict(counts)}")
    texts = [prepare(d.text, max_chars) for d in docs]
    word, char, x = _vectorize(_tokenize_all(texts), texts, p)
    oof = _out_of_fold(x, labels, p, min(folds, min(counts.values())))
    final = _Fitted(word, char, _classifier(p).fit(x, labels))
    classes = tuple(final.model.classes_.tolist())
    temperature = _temperature(oof, labels, classes)
    probs = _softmax(oof, temperature)
    threshold = _threshold(probs, labels, classes, max_fpr)
    card = {"training": {"documents": len(docs), "by_label": dict(counts), "manifest_sha256": manifest_hash(docs),
                         "seconds": round(time.monotonic() - started, 1), "params": p},
            "cross_validated": _metrics(probs, labels, classes, threshold),
            "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                         "numpy": np.__version__}}
    arrays = {"idf_word": final.word.idf_.astype(np.float32), "idf_char": final.char.idf_.astype(np.float32),
              "coef": final.model.coef_.astype(np.float32), "intercept": final.model.intercept_.astype(np.float32)}
    return ModelData(classes, _vocab(final.word), _vocab(final.char), arrays, temperature, threshold,
                     max_chars, card)


def _tokenize_all(texts: list[str]) -> list[list[str]]:
    """jieba tokens of every text, on all cores when there are many texts."""
    workers = os.cpu_count() or 1
    if len(texts) < 200 or workers < 2:
        return [tokenize(t) for t in texts]
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        return list(pool.map(tokenize, texts, chunksize=max(1, len(texts) // (workers * 8))))


def _vectorize(tokens: list[list[str]], texts: list[str],
               p: dict) -> tuple[TfidfVectorizer, TfidfVectorizer, sp.csr_matrix]:
    word = TfidfVectorizer(analyzer=_pretokenized, sublinear_tf=True, min_df=int(p["min_df"]), max_df=0.9,
                           max_features=int(p["word_max_features"]), dtype=np.float32)
    char = char_vectorizer(int(p["char_max_features"]), int(p["min_df"]))
    x = sp.hstack([word.fit_transform(tokens), char.fit_transform(texts)], format="csr")
    return word, char, x


def _classifier(p: dict) -> LogisticRegression:
    return LogisticRegression(C=float(p["C"]), solver="newton-cg", max_iter=300, class_weight="balanced")


def _out_of_fold(x: sp.csr_matrix, labels: np.ndarray, p: dict, folds: int) -> np.ndarray:
    oof = np.zeros((x.shape[0], len(set(labels.tolist()))))
    split = StratifiedKFold(folds, shuffle=True, random_state=20241202).split(np.zeros(len(labels)), labels)
    for train_idx, test_idx in split:
        oof[test_idx] = _classifier(p).fit(x[train_idx], labels[train_idx]).decision_function(x[test_idx])
    return oof


def _temperature(logits: np.ndarray, labels: np.ndarray, classes: tuple[str, ...]) -> float:
    """The softmax temperature that minimises the out-of-fold log-loss."""
    y = np.array([classes.index(label) for label in labels])
    best, best_t = np.inf, 1.0
    for t in np.geomspace(0.2, 5.0, 80):
        probs = _softmax(logits, float(t))
        loss = -np.mean(np.log(probs[np.arange(len(y)), y] + 1e-12))
        if loss < best:
            best, best_t = loss, float(t)
    return round(best_t, 4)


def _threshold(probs: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], max_fpr: float) -> float:
    """The lowest sensitive score flagging at most ``max_fpr`` of public documents (never below 0.5)."""
    sensitive = 1.0 - probs[:, classes.index(PUBLIC)]
    public = np.sort(sensitive[labels == PUBLIC])
    allowed = int(np.floor(max_fpr * len(public)))
    cut = public[len(public) - allowed - 1] if allowed < len(public) else 0.0
    return round(float(max(0.5, np.nextafter(cut, 1.0))), 4)


def _metrics(probs: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], threshold: float) -> dict:
    """Per-label precision/recall and sensitive-vs-public figures for predictions at ``threshold``."""
    predicted = predict_labels(probs, classes, threshold)
    return evaluation(labels.tolist(), predicted)


def predict_labels(probs: np.ndarray, classes: tuple[str, ...], threshold: float) -> list[str]:
    """The label each row would get in a scan: public below the threshold, else the likelier of the others."""
    pub = classes.index(PUBLIC)
    out = []
    for row in probs:
        if 1.0 - row[pub] < threshold:
            out.append(PUBLIC)
        else:
            out.append(classes[max((i for i in range(len(classes)) if i != pub), key=lambda i: row[i])])
    return out


def evaluation(truth: list[str], predicted: list[str]) -> dict:
    """Precision, recall and F1 per label, for sensitive vs public, and the public false-positive rate."""
    out: dict = {}
    for label in sorted(set(truth) | set(predicted)):
        tp = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        out[label] = _prf(tp, sum(p == label for p in predicted), sum(t == label for t in truth))
    sens_t = [t != PUBLIC for t in truth]
    sens_p = [p != PUBLIC for p in predicted]
    tp = sum(a and b for a, b in zip(sens_t, sens_p, strict=True))
    out["sensitive"] = _prf(tp, sum(sens_p), sum(sens_t))
    public = [p for t, p in zip(truth, predicted, strict=True) if t == PUBLIC]
    out["public_false_positive_rate"] = round(sum(p != PUBLIC for p in public) / max(1, len(public)), 4)
    out["accuracy"] = round(sum(t == p for t, p in zip(truth, predicted, strict=True)) / max(1, len(truth)), 4)
    return out


def _prf(tp: int, predicted: int, actual: int) -> dict:
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "support": actual}


def _vocab(vectorizer: TfidfVectorizer) -> tuple[str, ...]:
    names = [""] * len(vectorizer.vocabulary_)
    for term, i in vectorizer.vocabulary_.items():
        names[i] = term
    return tuple(names)


def _pretokenized(tokens: list[str]) -> list[str]:
    return tokens
