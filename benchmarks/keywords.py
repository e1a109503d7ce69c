#!/usr/bin/env python3
"""Keyword lists (关键词检查): scan-time overhead of a 10,000-term list, and its one-off load cost.

    python benchmarks/keywords.py [--runs 3] [--keep DIR]

1. Three lists of 10,000 terms each are generated, deterministically, from the jieba words
   (2-8 Chinese characters) of corpus/train and corpus/public-train, by how common the words
   are (see ``lists``): the cost of a list is in the occurrences it has to check, not in the
   number of its terms.
2. scanner.scan.scan_file runs in this process (classifier on, OCR off) over two corpora:
   "own", the files the words came from plus corpus/samples (every term of a list occurs there
   by construction: the worst case for a list), and "held-out", corpus/eval, corpus/public-eval
   and corpus/samples (documents the list was not made from, as in an inspection). Without a
   list and with each list, in alternating rounds; after a warm-up round, the median of
   ``--runs`` rounds is reported, so per-process loading is left out of the comparison. Besides
   the difference of the totals, the CPU time spent inside the keyword detector itself is
   measured (less noisy), and the cost per raw occurrence of a term.
3. The one-off cost of a list in a fresh process (what each worker pays once): reading and
   compiling the list, and building the jieba tokenizer with the terms; with the memory it adds.
Times are CPU seconds of the process (time.process_time): the machines are shared, and wall
time there measures the neighbours.
Prints figures; exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ahocorasick_rs  # noqa: E402

from markings.keywords import KeywordDetector, keyword_detector, load  # noqa: E402
from markings.keywords_list import fold  # noqa: E402
from markings.segment import tokenizer  # noqa: E402
from scanner import detectors  # noqa: E402
from scanner.options import ScanOptions  # noqa: E402
from scanner.records import FileEntry, FindingKind  # noqa: E402
from scanner.scan import scan_file  # noqa: E402
from scanner.text import read_text  # noqa: E402
from scanner.walk import walk  # noqa: E402

CORPUS = os.path.join(ROOT, "corpus")
VOCABULARY = ("train", "public-train")
SCANNED = {"own": ("train", "public-train", "samples"), "held-out": ("eval", "public-eval", "samples")}
TERMS = 10_000
WORD = re.compile(r"[\u4e00-\u9fff]{2,8}")
LEVELS = ("涉密", "内部", "敏感", "秘密", "")


def vocabulary(options: ScanOptions) -> tuple[collections.Counter[str], collections.Counter[str], int]:
    """Word frequencies, and in how many documents each word occurs as a substring, of the training texts.

    The words are jieba's dictionary words of 2-8 Chinese characters, found by leftmost-longest
    matching (a close, much faster stand-in for segmenting every text with jieba). The document
    count is of raw occurrences (潜艇 counts in 核潜艇): what the search has to look at.
    """
    with tokenizer().get_dict_file() as fh:
        words = [w for w in fh.read().decode("utf-8").split()[0::3] if WORD.fullmatch(w)]
    longest = ahocorasick_rs.AhoCorasick(words, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
    entries = list(walk([os.path.join(CORPUS, folder) for folder in VOCABULARY]))
    texts = [read_text(entry.fspath, options) for entry in entries]
    freq: collections.Counter[str] = collections.Counter()
    for text in texts:
        freq.update(longest.find_matches_as_strings(text))
    found = sorted(freq)
    anywhere = ahocorasick_rs.AhoCorasick(found)
    docs: collections.Counter[str] = collections.Counter()
    for text in texts:
        docs.update({found[i] for i, _, _ in anywhere.find_matches_as_indexes(text, overlapping=True)})
    return freq, docs, len(texts)


def term_list(name: str, pool: list[str]) -> str:
    """A 10,000-term list from ``pool`` (taken in sha256 order): levels and weights 1-5 cycle, every
    100th term is substring-marked, 100 rules (AND, NEAR/20, AND NOT) pair them; it counts toward
    `suspected` with threshold 20."""
    terms = sorted(pool, key=lambda w: hashlib.sha256(w.encode()).hexdigest())[:TERMS]
    lines = [f"#! 名称: {name}", "#! 计入疑似: 是", "#! 阈值: 20"]
    for i, word in enumerate(terms):
        columns = [word + ("*" if i % 100 == 7 else ""), LEVELS[i % len(LEVELS)], str(1 + i % 5)]
        lines.append("\t".join(c for c in columns if c))
    ops = ("{} AND {}", "{} NEAR/20 {}", "{} AND NOT {}")
    lines += [ops[i % 3].format(terms[i], terms[-1 - i]) + f"\t{1 + i % 5}" for i in range(100)]
    return "\n".join(lines) + "\n"


def lists(freq: collections.Counter[str], docs: collections.Counter[str], n_docs: int) -> dict[str, str]:
    """names: 9,500 two-word compounds of domain words (蓝鲸 + 工程: project, unit and equipment
    names, which seldom occur as such) and 500 specific words, as a real list whose terms mostly
    do not occur in the documents at hand; then words by how many documents hold them anywhere:
    specific, at most 0.5%; domain, at most 2% (subject vocabulary); frequent, the 10,000 most
    frequent words (hundreds of hits in every document: the worst case)."""
    domain = sorted(w for w, df in docs.items() if df <= 0.02 * n_docs)
    specific = [w for w, df in docs.items() if df <= 0.005 * n_docs]
    names = sorted({domain[i] + domain[(7 * i + 3) % len(domain)] for i in range(2 * TERMS)})
    names = names[:TERMS - 500] + sorted(specific, key=lambda w: hashlib.sha256(w.encode()).hexdigest())[:500]
    return {"names": term_list("名称词表", names),
            "specific": term_list("专有词表", specific),
            "domain": term_list("领域词表", domain),
            "frequent": term_list("高频词表", [w for w, _ in freq.most_common(TERMS)])}


SPENT = [0.0, 0]  # CPU seconds inside KeywordDetector.feed/finish, calls


def _timed(method: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any) -> Any:
        start = time.process_time()
        try:
            return method(*args)
        finally:
            SPENT[0] += time.process_time() - start
            SPENT[1] += 1
    return timed


def _clock_bias(calls: int = 200_000) -> float:
    """What one timed call of a function doing nothing adds to SPENT (subtracted per call)."""
    noop = _timed(lambda: None)
    SPENT[:] = [0.0, 0]
    for _ in range(calls):
        noop()
    return SPENT[0] / calls


def scan_all(entries: list[FileEntry], options: ScanOptions) -> tuple[float, float, int]:
    """CPU seconds of this process to scan ``entries`` (the machine is shared: wall time is noise),
    CPU seconds of it inside the keyword detector, and the keyword findings.

    The list stays loaded (per-process cost, measured apart) but starts without remembered zones,
    as on files it has not seen.
    """
    if options.keywords:
        load(options.keywords).segmenter().forget_zones()
    bias = _clock_bias()
    SPENT[:] = [0.0, 0]
    start = time.process_time()
    found = 0
    for entry in entries:
        for record in scan_file(entry, options):
            found += sum(f.kind is FindingKind.KEYWORD for f in record.findings)
    clock = bias * SPENT[1]  # the timing itself, taken out of both figures
    return time.process_time() - start - clock, max(0.0, SPENT[0] - clock), found


LOAD_PROBE = """
import sys, time
sys.path.insert(0, {root!r})
from markings.keywords import load
from markings.segment import tokenizer
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20
t0 = time.process_time(); tokenizer(); base = time.process_time() - t0  # the marking tokenizer a worker has
rss0 = rss()
t0 = time.process_time(); compiled = load([{path!r}]); t1 = time.process_time(); compiled.segmenter()
t2 = time.process_time()
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{base:.3f}} {{rss() - rss0:.0f}}")
"""


def load_cost(path: str) -> str:
    out = subprocess.run([sys.executable, "-c", LOAD_PROBE.format(root=ROOT, path=path)],
                         capture_output=True, text=True, check=True).stdout.split()
    return (f"read+compile {float(out[0]):.2f} s, jieba tokenizer with the terms {float(out[1]):.2f} s "
            f"(the marking one: {float(out[2]):.2f} s), memory +{out[3]} MB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="write the generated lists into this folder instead of a temporary one")
    args = ap.parse_args()
    base = ScanOptions(ocr=False, jobs=1)
    if keyword_detector not in detectors.FACTORIES:  # until the lead registers it
        detectors.FACTORIES = (*detectors.FACTORIES, keyword_detector)
    KeywordDetector.feed = _timed(KeywordDetector.feed)  # type: ignore[method-assign]
    KeywordDetector.finish = _timed(KeywordDetector.finish)  # type: ignore[method-assign]
    start = time.perf_counter()
    freq, docs, n_docs = vocabulary(base)
    print(f"vocabulary: {len(freq)} words from {n_docs} documents ({time.perf_counter() - start:.1f} s)")
    folder = args.keep or tempfile.mkdtemp(prefix="kwbench-")
    os.makedirs(folder, exist_ok=True)
    configs = {"none": base}
    for name, text in lists(freq, docs, n_docs).items():
        path = os.path.join(folder, f"{name}.txt")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        configs[name] = ScanOptions(ocr=False, jobs=1, keywords=(path,))
        print(f"list {name}: {text.count(chr(10)) - text.count('#!')} entries, one-off per process: "
              f"{load_cost(path)}")
    for corpus, folders in SCANNED.items():
        run_corpus(corpus, folders, configs if corpus == "own" else
                   {k: v for k, v in configs.items() if k != "frequent"}, args.runs)
    return 0


def run_corpus(corpus: str, folders: tuple[str, ...], configs: dict[str, ScanOptions], runs: int) -> None:
    entries = list(walk([os.path.join(CORPUS, folder) for folder in folders]))
    texts = [read_text(e.fspath, configs["none"]) for e in entries]
    chars = sum(map(len, texts))
    print(f"\n{corpus}: {len(entries)} files of {', '.join(folders)}, {chars / 1e6:.2f} M characters, "
          f"{runs} rounds after a warm-up (CPU seconds of this process)")
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in configs}
    hits: dict[str, int] = {}
    for round_no in range(runs + 1):
        for name, options in configs.items():
            total, inside, hits[name] = scan_all(entries, options)
            if round_no:
                times[name].append((total, inside))
    reference = statistics.median(t for t, _ in times["none"])
    print(f"{'none':>9}: median {reference:.2f} s")
    for name, values in list(times.items())[1:]:
        total, inside = (statistics.median(v[i] for v in values) for i in (0, 1))
        find = load(configs[name].keywords).matcher.find
        raw = sum(len(find(fold(line))) for text in texts for line in text.splitlines())
        print(f"{name:>9}: median {total:.2f} s, overhead {100 * (total / reference - 1):+.1f}%; "
              f"inside the detector {inside:.2f} s = {100 * inside / reference:.1f}% of the scan; "
              f"{1000 * raw / chars:.1f} raw occurrences per 1,000 characters; {hits[name]} keyword findings")


if __name__ == "__main__":
    sys.exit(main())
