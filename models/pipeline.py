"""build_pipeline(**params): the classifier's scikit-learn pipeline.

TF-IDF over jieba tokens and over character 2-3-grams, side by side, into a multinomial
logistic regression: linear, so each verdict can name the terms that drove it.
"""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from models.tokenize import tokenize

DEFAULTS = {
    "word_max_features": 40_000,
    "char_max_features": 60_000,
    "min_df": 2,
    "C": 8.0,
}


def word_vectorizer(max_features: int | None = None, min_df: int = 2,
                    vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=tokenize, sublinear_tf=True, min_df=min_df, max_df=0.9,
                           max_features=max_features, vocabulary=vocabulary, dtype=_float32())


def char_vectorizer(max_features: int | None = None, min_df: int = 2,
                    vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=min_df,
                           max_df=0.9, max_features=max_features, vocabulary=vocabulary,
                           preprocessor=_cjk_only, dtype=_float32())


def build_pipeline(**params: float) -> Pipeline:
    """An unfitted pipeline; ``params`` override DEFAULTS."""
    p = {**DEFAULTS, **params}
    features = FeatureUnion([
        ("word", word_vectorizer(int(p["word_max_features"]), int(p["min_df"]))),
        ("char", char_vectorizer(int(p["char_max_features"]), int(p["min_df"]))),
    ])
    model = LogisticRegression(C=p["C"], max_iter=2000, class_weight="balanced")
    return Pipeline([("features", features), ("model", model)])


def _cjk_only(text: str) -> str:
    """Character n-grams over Chinese characters and letters only (digits and punctuation are noise)."""
    return "".join(ch if ("\u4e00" <= ch <= "\u9fff" or ch.isalpha()) else " " for ch in text)


def _float32() -> type:
    import numpy as np

    return np.float32
