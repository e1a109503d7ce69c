"""The shipped classifier as data: JSON and .npz arrays, a card with hashes. Never a pickle.

A model folder holds ``vocab.json`` (feature names in column order), ``arrays.npz``
(idf vectors, coefficients, intercepts; loaded with allow_pickle=False) and
``card.json`` (classes, calibration temperature, threshold, sha256 of both files,
training-corpus manifest hash, library versions, held-out figures). Loading checks
the hashes first, from the very bytes it then parses, so a tampered file is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

FORMAT = "docscan-model/1"
VOCAB, ARRAYS, CARD = "vocab.json", "arrays.npz", "card.json"
SHIPPED = Path(__file__).parent / "trained"  # the model that ships with the package
ARRAY_NAMES = ("idf_word", "idf_char", "coef", "intercept")


@dataclass(frozen=True)
class ModelData:
    classes: tuple[str, ...]
    word_vocab: tuple[str, ...]
    char_vocab: tuple[str, ...]
    arrays: dict[str, np.ndarray]
    temperature: float
    threshold: float
    max_chars: int
    card: dict[str, Any] = field(default_factory=dict)


def save(data: ModelData, folder: str | Path) -> dict[str, Any]:
    """Write the model folder (files 0600, folder 0700); returns the card written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    vocab = json.dumps({"word": data.word_vocab, "char": data.char_vocab}, ensure_ascii=False).encode()
    buf = io.BytesIO()
    import numpy as np  # numpy is imported where arrays are handled, not to check a model's hashes

    np.savez_compressed(buf, **{k: data.arrays[k] for k in ARRAY_NAMES})
    arrays = buf.getvalue()
    card = {**data.card, "format": FORMAT, "classes": list(data.classes), "temperature": data.temperature,
            "threshold": data.threshold, "max_chars": data.max_chars,
            "sha256": {VOCAB: _sha(vocab), ARRAYS: _sha(arrays)}}
    for name, blob in ((VOCAB, vocab), (ARRAYS, arrays),
                       (CARD, json.dumps(card, ensure_ascii=False, indent=1).encode())):
        _write_private(folder / name, blob)
    return card


def verify(folder: str | Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Read a model folder's card and check its files against the card's hashes (no numpy needed).

    Returns the card and the files' bytes. Raises ModelError with a one-line reason.
    """
    folder = Path(folder)
    card = _json(_read(folder / CARD), CARD)
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise ModelError(f"{folder / CARD}: not a {FORMAT} model card")
    blobs = {name: _read(folder / name) for name in (VOCAB, ARRAYS)}
    for name, blob in blobs.items():
        if _sha(blob) != card.get("sha256", {}).get(name):
            raise ModelError(f"{folder / name}: sha256 does not match the model card (file changed or tampered with)")
    return card, blobs


def load(folder: str | Path) -> ModelData:
    """Read and verify a model folder. Raises ModelError with a one-line reason."""
    folder = Path(folder)
    card, blobs = verify(folder)
    import numpy as np

    vocab = _json(blobs[VOCAB], VOCAB)
    try:
        with np.load(io.BytesIO(blobs[ARRAYS]), allow_pickle=False) as npz:
            arrays = {k: np.asarray(npz[k]) for k in ARRAY_NAMES}
        data = ModelData(tuple(card["classes"]), tuple(vocab["word"]), tuple(vocab["char"]), arrays,
                         float(card["temperature"]), float(card["threshold"]), int(card["max_chars"]), card)
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise ModelError(f"{folder}: malformed model data: {exc}") from exc
    _check_shapes(data, folder)
    return data


def _check_shapes(data: ModelData, folder: Path) -> None:
    n = len(data.word_vocab) + len(data.char_vocab)
    a = data.arrays
    ok = (a["coef"].shape == (len(data.classes), n) and a["intercept"].shape == (len(data.classes),)
          and a["idf_word"].shape == (len(data.word_vocab),) and a["idf_char"].shape == (len(data.char_vocab),))
    if not ok:
        raise ModelError(f"{folder}: array shapes do not fit the vocabulary and classes")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file: {exc.strerror or exc}") from exc


def _json(blob: bytes, name: str) -> Any:
    try:
        return json.loads(blob)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{name}: not valid JSON: {exc}") from exc


def _sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _write_private(path: Path, blob: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(blob)
    os.chmod(path, 0o600)
