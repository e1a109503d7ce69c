"""The one jieba tokenizer, with markings/userdict.txt loaded (markings.md §10.7, §11).

jieba normally builds a prefix dictionary (every prefix of every word, half a million
entries, about 0.6 s) and then writes a cache file into the temporary directory. Here the
dictionary holds the words only, read from the dict.txt that ships with jieba in about a
third of that time, and ``get_DAG`` tries each span up to the longest word instead of
walking prefixes: the same graph, so the same tokens. Nothing is ever written. jieba is
imported lazily: only the mention path needs it, once per worker process.
"""

from __future__ import annotations

import functools
import logging
import warnings
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import jieba

USERDICT = Path(__file__).with_name("userdict.txt")


@functools.cache
def tokenizer() -> jieba.Tokenizer:
    """Return the process-wide tokenizer (built on first use, about 0.6 s)."""
    return build_tokenizer()


def build_tokenizer() -> jieba.Tokenizer:
    """Build a fresh tokenizer with the user dictionary, writing no cache file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jieba imports pkg_resources, which warns
        import jieba
    jieba.setLogLevel(logging.WARNING)
    tok = _word_tokenizer_class(jieba)()
    tok.FREQ, tok.total = _read_dict(tok.get_dict_file())
    tok.index_words()
    tok.initialized = True
    for word, freq, tag in read_userdict(USERDICT):
        tok.add_word(word, freq, tag)
    return tok


def _read_dict(fh: BinaryIO) -> tuple[dict[str, int], int]:
    """jieba's main dictionary as {word: frequency} and the total frequency."""
    with fh:
        fields = fh.read().decode("utf-8").split()  # "word freq tag" on every line
    freqs = list(map(int, fields[1::3]))
    return dict(zip(fields[0::3], freqs, strict=True)), sum(freqs)


def _word_tokenizer_class(jieba: ModuleType) -> type:
    class WordTokenizer(jieba.Tokenizer):
        """A jieba Tokenizer whose FREQ holds whole words, no prefixes.

        ``get_DAG`` builds the same graph as jieba's: for each position it tries spans up to
        the longest word that starts with that character, and stops early when a 2- or
        3-character span begins no longer word (the few sets below stand in for jieba's
        half-million prefix entries).
        """

        def index_words(self) -> None:
            self.longest: dict[str, int] = {}
            self.prefix2: set[str] = set()
            self.prefix3: set[str] = set()
            for word in self.FREQ:
                self._index(word)

        def _index(self, word: str) -> None:
            n = len(word)
            if n > self.longest.get(word[0], 1):
                self.longest[word[0]] = n
            if n > 2:
                self.prefix2.add(word[:2])
            if n > 3:
                self.prefix3.add(word[:3])

        def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
            super().add_word(word, freq, tag)
            self._index(word)

        def get_DAG(self, sentence: str) -> dict[int, list[int]]:  # noqa: N802 (jieba's name)
            freq, longest, p2, p3 = self.FREQ, self.longest, self.prefix2, self.prefix3
            n, dag = len(sentence), {}
            for k in range(n):
                ends = []
                for i in range(k, min(n, k + longest.get(sentence[k], 1))):
                    frag = sentence[k:i + 1]
                    if freq.get(frag):
                        ends.append(i)
                    if (i == k + 1 and frag not in p2) or (i == k + 2 and frag not in p3):
                        break
                dag[k] = ends or [k]
            return dag

    return WordTokenizer


def read_userdict(path: Path) -> list[tuple[str, int, str | None]]:
    """Return ``(word, frequency, tag)`` entries; ``#`` lines are comments. Raises ValueError."""
    entries = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) not in (2, 3) or not fields[1].isdigit():
            raise ValueError(f"{path}:{lineno}: expected 'word frequency [tag]'")
        entries.append((fields[0], int(fields[1]), fields[2] if len(fields) == 3 else None))
    return entries


def tokenize(text: str) -> list[str]:
    """Return the jieba tokens of ``text`` (dictionary words only, no HMM guessing)."""
    return tokenizer().lcut(text, HMM=False)


def word_tag(word: str) -> str | None:
    """Return the user-dictionary tag of ``word`` ("nm", "mk") or None."""
    return tokenizer().user_word_tag_tab.get(word)


def covering_token(text: str, start: int, end: int, window: int = 10) -> str | None:
    """Return the token containing ``text[start:end]`` when the text around it is segmented.

    Only ``window`` characters either side are segmented. None when no single token
    holds the whole span (the characters belong to other words, as 内部 in 国内部分).
    """
    pos = max(0, start - window)
    for token in tokenize(text[pos:end + window]):
        token_end = pos + len(token)
        if pos <= start and token_end >= end:
            return token
        if token_end > start:
            return None
        pos = token_end
    return None
