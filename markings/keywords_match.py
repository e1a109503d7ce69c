"""Finding keyword terms in text: a multi-term search, then a word-boundary check by jieba tokens.

1. ``Matcher`` finds every occurrence of every term (overlapping ones too) in one pass:
   Aho-Corasick from ``ahocorasick_rs`` (Rust; about 0.1 µs a character for 10,000 terms), or a
   pure-Python scan when that package is missing (same results, some 20 times slower).
2. An occurrence of a term not marked as substring counts only when it stands on token
   boundaries of the text as ``Segmenter`` cuts it: jieba (the words-only dictionary of
   markings.segment) with every Chinese term of the lists added, at the frequency jieba's own
   ``suggest_freq`` gives (just enough to keep the term whole when it is read alone, so a
   longer dictionary word that contains it still wins: 潜艇 does not match inside 核潜艇).
   A term jieba splits into several tokens still matches when its ends are token boundaries.
   Only the zone around an occurrence's ends is segmented (see BlockView), each zone text once.
3. Terms without Chinese characters are matched as whole words: the characters either side
   must not be letters or digits. Any term that starts (ends) with an ASCII letter or digit
   also needs a non-alphanumeric character before (after) it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from markings.segment import tokenizer

if TYPE_CHECKING:
    import jieba

try:
    import ahocorasick_rs
except ImportError:  # pragma: no cover - exercised by forcing the fallback in the tests
    ahocorasick_rs = None

# jieba's own run pattern (jieba.re_han_default): it segments each such run on its own.
RUN = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_ALNUM_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def is_chinese(term: str) -> bool:
    """True when ``term`` holds a Chinese character (then jieba decides its boundaries)."""
    return _CHINESE.search(term) is not None


class Matcher:
    """Every occurrence of ``keys`` in a text, as (key index, start, end), overlapping ones too."""

    def __init__(self, keys: list[str], native: bool = True) -> None:
        self.keys = keys
        self._ac = ahocorasick_rs.AhoCorasick(keys) if native and ahocorasick_rs is not None else None
        if self._ac is None:
            self._index = {key: i for i, key in enumerate(keys)}
            lengths: dict[str, set[int]] = {}
            for key in keys:
                lengths.setdefault(key[0], set()).add(len(key))
            self._lengths = {ch: sorted(ls) for ch, ls in lengths.items()}

    def find(self, text: str) -> list[tuple[int, int, int]]:
        if self._ac is not None:
            return self._ac.find_matches_as_indexes(text, overlapping=True)
        return self._scan(text)

    def _scan(self, text: str) -> list[tuple[int, int, int]]:
        index, lengths, out = self._index, self._lengths, []
        for start, ch in enumerate(text):
            for n in lengths.get(ch, ()):
                i = index.get(text[start:start + n])
                if i is not None:
                    out.append((i, start, start + n))
        return out


class Segmenter:
    """A jieba tokenizer of its own (markings.segment's words-only one) with the Chinese terms added."""

    ZONES = 200_000  # segmented zones remembered

    def __init__(self, terms: Iterable[str]) -> None:
        self.tok = _copy_tokenizer()
        for term in terms:
            if RUN.fullmatch(term) and is_chinese(term):
                self.tok.add_word(term)  # frequency from suggest_freq: whole when read alone
        self._freq: dict[str, int] = self.tok.FREQ
        self._longest: dict[str, int] = self.tok.longest
        self._prefix2: set[str] = self.tok.prefix2
        self._prefix3: set[str] = self.tok.prefix3
        self._reach = max(self._longest.values(), default=1)
        self._zones: dict[str, frozenset[int]] = {}

    def crossed(self, text: str, pos: int) -> bool:
        """True when a dictionary word in ``text`` spans ``pos`` (else every segmentation cuts there).

        Words are looked for from each of the ``reach - 1`` positions before ``pos``, pruned with
        the longest word per first character and jieba's prefix sets (no word longer than two
        (three) characters begins with a pair (triple) that is not in ``prefix2`` (``prefix3``)).
        """
        freq, longest, p2, p3 = self._freq, self._longest, self._prefix2, self._prefix3
        size = len(text)
        for i in range(pos - 1, max(-1, pos - self._reach), -1):
            stop = i + longest.get(text[i], 1)
            if stop <= pos:
                continue
            if pos - i >= 2 and (text[i:i + 2] not in p2 or (pos - i >= 3 and text[i:i + 3] not in p3)):
                continue
            for j in range(pos + 1, min(size, stop) + 1):
                frag = text[i:j]
                if freq.get(frag):
                    return True
                if (j - i == 2 and frag not in p2) or (j - i == 3 and frag not in p3):
                    break
        return False

    def forget_zones(self) -> None:
        """Drop the remembered zones (a benchmark scanning the same files again starts cold)."""
        self._zones.clear()

    def cuts(self, zone: str) -> frozenset[int]:
        """Offsets in ``zone`` where jieba (HMM off) ends a token; 0 and len(zone) included.

        The route is jieba's own (``get_DAG`` + ``calc``), walked here without the generator of
        ``cut``, and remembered per zone text (zones recur: 应当在, 毕业生 ...). ``cut`` also merges
        runs of one-letter ASCII tokens; positions between two ASCII letters or digits are never
        asked for (``BlockView.on_tokens`` rejects them first).
        """
        known = self._zones.get(zone)
        if known is not None:
            return known
        route: dict[int, tuple[float, int]] = {}
        self.tok.calc(zone, self.tok.get_DAG(zone), route)
        cuts, pos = [0], 0
        while pos < len(zone):
            pos = route[pos][1] + 1
            cuts.append(pos)
        if len(self._zones) >= self.ZONES:
            self._zones.clear()
        known = self._zones[zone] = frozenset(cuts)
        return known


class BlockView:
    """One block's folded text and what is known of its token boundaries.

    Jieba's segmentation of a run is decided zone by zone: a position that no dictionary word
    spans is a boundary of every segmentation, so the route between two such positions does
    not depend on the text outside them. A position some word spans is decided by segmenting
    just its zone, the text between the nearest unspanned positions on either side.
    """

    __slots__ = ("text", "segmenter", "_crossed")

    def __init__(self, text: str, segmenter: Segmenter | None) -> None:
        self.text = text
        self.segmenter = segmenter
        self._crossed: dict[int, bool] = {}

    def whole_word(self, start: int, end: int) -> bool:
        """True when ``text[start:end]`` has no letter or digit (other than Chinese) either side."""
        text = self.text
        before = start > 0 and _word_char(text[start - 1])
        return not (before or (end < len(text) and _word_char(text[end])))

    def on_tokens(self, start: int, end: int) -> bool:
        """True when ``text[start:end]`` begins and ends on jieba token boundaries."""
        text = self.text
        if start > 0 and text[start] in _ALNUM_ASCII and text[start - 1] in _ALNUM_ASCII:
            return False
        if end < len(text) and text[end - 1] in _ALNUM_ASCII and text[end] in _ALNUM_ASCII:
            return False
        return self._boundary(start) and self._boundary(end)

    def _boundary(self, pos: int) -> bool:
        if not self._spanned(pos):
            return True
        left, right = pos - 1, pos + 1
        while self._spanned(left):
            left -= 1
        while self._spanned(right):
            right += 1
        assert self.segmenter is not None  # a Chinese term is searched, so there is one
        return pos - left in self.segmenter.cuts(self.text[left:right])

    def _spanned(self, pos: int) -> bool:
        """True when ``pos`` lies inside a run (jieba cuts each alone) and a dictionary word spans it."""
        known = self._crossed.get(pos)
        if known is None:
            text = self.text
            inside = 0 < pos < len(text) and _in_run(text[pos - 1]) and _in_run(text[pos])
            seg = self.segmenter
            known = self._crossed[pos] = inside and seg is not None and seg.crossed(text, pos)
        return known


def _copy_tokenizer() -> jieba.Tokenizer:
    """A tokenizer equal to markings.segment's, which stays untouched when words are added to this one.

    The word strings are shared and only the tables copied (about 20 MB and 0.1 s instead of
    75 MB and 0.5 s for a second dictionary); the marking tokenizer is built if it was not yet.
    """
    base = tokenizer()
    tok = type(base)()
    tok.FREQ, tok.total = dict(base.FREQ), base.total
    tok.longest, tok.prefix2, tok.prefix3 = dict(base.longest), set(base.prefix2), set(base.prefix3)
    tok.user_word_tag_tab = dict(base.user_word_tag_tab)
    tok.initialized = True
    return tok


def _in_run(ch: str) -> bool:
    return ch in _ALNUM_ASCII or "\u4e00" <= ch <= "\u9fd5" or ch in "+#&._%-"


def _word_char(ch: str) -> bool:
    return (ch.isalnum() or ch == "_") and not is_chinese(ch)
