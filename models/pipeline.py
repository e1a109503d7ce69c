"""build_pipeline(**params): the classifier's scikit-learn pipeline (scikit-learn imported only to train).

TF-IDF over jieba tokens and over character 2-3-grams, side by side, into a multinomial
logistic regression: linear, so each verdict can name the terms that drove it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.tokenize import tokenize

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline

CHAR_NGRAMS = (2, 3)
DEFAULTS = {
    "word_max_features": 40_000,
    "char_max_features": 60_000,
    "min_df": 2,
    "C": 8.0,
}


def word_vectorizer(max_features: int | None = None, min_df: int = 2,
                    vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=tokenize, sublinear_tf=True, min_df=min_df, max_df=0.9,
                           max_features=max_features, vocabulary=vocabulary, dtype=_float32())


def char_vectorizer(max_features: int | None = None, min_df: int = 2,
                    vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=min_df,
                           max_df=0.9, max_features=max_features, vocabulary=vocabulary,
                           preprocessor=cjk_only, dtype=_float32())


def build_pipeline(**params: float) -> Pipeline:
    """An unfitted pipeline; ``params`` override DEFAULTS."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    p = {**DEFAULTS, **params}
    features = FeatureUnion([
        ("word", word_vectorizer(int(p["word_max_features"]), int(p["min_df"]))),
        ("char", char_vectorizer(int(p["char_max_features"]), int(p["min_df"]))),
    ])
    model = LogisticRegression(C=p["C"], max_iter=2000, class_weight="balanced")
    return Pipeline([("features", features), ("model", model)])


def cjk_only(text: str) -> str:
    """Character n-grams over Chinese characters and letters only (digits and punctuation are noise)."""
    return "".join(ch if ("\u4e00" <= ch <= "\u9fff" or ch.isalpha()) else " " for ch in text)


def _float32() -> type:
    import numpy as np

    return np.float32
