"""Fingerprints of marked documents: recall on derived documents, false matches, lookup time vs registry size.

    python benchmarks/fingerprint.py [--sources 10000] [--derived 400] [--small 100]
    python benchmarks/fingerprint.py --sweep        # the K / W / MIN_SPAN measurement behind the defaults

Sources: ``--sources`` synthetic marked documents, each 6-16 paragraphs (of 40+ characters) drawn (fixed seed) from
the paragraphs of corpus/train and corpus/public-train, registered in a fresh SQLite registry through
scanner.fingerprint_index (what `docscan fingerprint add` stores, without parsing files).
Derived documents, from sources picked at random:
  extract   1-3 passages of 50-200 characters embedded in a longer unrelated host document
  min50     one passage of exactly 50 characters embedded in a host document
  reorder   the source's paragraphs shuffled (and joined differently)
  edits     whitespace and punctuation changed, half-width <-> full-width, other line breaks
Unrelated documents: corpus/eval (another writer, same subjects) and corpus/public-eval (other laws).
A match on an unrelated document is genuine when it shares a normalised run of 40+ characters with
the source (laws quote laws word for word), a formula when the longest shared run is MIN_SPAN-39
characters (a penalty clause just under the ~50-character bar), spurious when it is shorter still.
Lookup time: FingerprintDetector.finish() (winnowing + index lookup) per document, with the full
registry and with a ``--small`` one: flat when the inverted index does its job.

The sweep registers corpus/train + public-train (996 documents) in memory and measures recall of
40-60 character extracts embedded in eval documents, and eval/public-eval documents matched with a
longest genuinely shared run under 40 characters (formulaic phrases). Measured (2026-12-02):

    K  W  MIN_SPAN  rows    recall 40/45/50/55/60 chars          matched below 40 chars
    8  4  33        1.09M   0.573 0.943 0.995 1.000 1.000        54
    8  6  30        0.78M   0.720 0.960 0.995 1.000 1.000        59
    10 4  33        1.12M   0.562 0.958 0.998 1.000 0.998        42
    10 5  33        0.93M   0.443 0.885 0.995 0.998 0.998        43
    10 6  36        0.80M   0.080 0.495 0.910 0.990 0.990        31
    12 5  30        0.95M   0.833 0.985 1.000 1.000 1.000        43   <- chosen
    12 5  36        0.95M   0.087 0.615 0.945 0.993 0.995        19
(That sweep ran before scanner/fingerprint_common.py existed; the formula stop list then halved the
short-formula matches of the 500-source run, 12 -> 6 of 505, at unchanged recall.)

Full run (`python benchmarks/fingerprint.py`, 2 shared cores, 2026-12-02):
    registered 10000 sources (10.0M normalised chars) in 104.9 s; registry 59 MB (5.9 bytes per char)
    recall extract 0.995, min50 0.990, reorder 1.000, edits 1.000 (400 each)
    unrelated documents matched: 95/505: sharing a run of 40+ chars 60; sharing only 30-39 chars (a
    formula) 25 (0.0495); no shared run of 30 (two shorter runs bridged over a changed word) 10 (0.0198)
    lookup unrelated with 100 registered: median 1.12 ms, p95 12.60 ms; with 10000: median 1.53 ms, p95 21.23 ms
    lookup derived   with 100 registered: median 2.64 ms, p95 11.50 ms; with 10000: median 13.01 ms, p95 49.20 ms
    (a derived document pays for every source it matches: each paragraph is in ~4 of the 10000 sources)
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from scanner import fingerprint_index as index  # noqa: E402
from scanner import fingerprint_spool as spool  # noqa: E402
from scanner.fingerprint import MAX_SOURCES, MIN_SPAN, FingerprintDetector, stop_hashes  # noqa: E402
from scanner.fingerprint_text import Builder, normalize  # noqa: E402
from scanner.records import Location, TextBlock  # noqa: E402

GENUINE = 40  # normalised characters shared word for word: a real passage, not a false match


def texts(*folders: str) -> list[str]:
    out = []
    for folder in folders:
        for path in sorted(glob.glob(os.path.join(ROOT, "corpus", folder, "**", "*.txt"), recursive=True)):
            with open(path, encoding="utf-8") as fh:
                out.append(fh.read())
    return out


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if len(line.strip()) >= 40]


def synthesise(n: int, rng: random.Random) -> list[list[str]]:
    """``n`` sources of 6-16 paragraphs drawn from the training texts."""
    pool = [p for t in texts("train", "public-train") for p in paragraphs(t)]
    return [[rng.choice(pool) for _ in range(rng.randint(6, 16))] for _ in range(n)]


def blocks(text: str) -> list[TextBlock]:
    return [TextBlock(line, Location("body", line=i + 1)) for i, line in enumerate(text.splitlines())]


def register_all(db: str, sources: list[list[str]]) -> float:
    """Register every source; returns the seconds taken."""
    conn = spool.writer(db, 30.0)
    began = time.perf_counter()
    for i, paras in enumerate(sources):
        builder = Builder(stop_hashes())
        for block in blocks("\n".join(paras)):
            builder.add(block)
        index.register(conn, index.Registration(f"source-{i:05d}.docx", f"{i:064x}", "秘密", "秘密★1年",
                                                sum(map(len, paras)), builder.build().unique()))
    return time.perf_counter() - began


def embed(host: str, pieces: list[str], rng: random.Random) -> str:
    lines = host.splitlines()
    for piece in pieces:
        lines.insert(rng.randrange(len(lines) + 1), piece)
    return "\n".join(lines)


def cut(text: str, length: int, rng: random.Random) -> str:
    start = rng.randrange(max(1, len(text) - length))
    return text[start:start + length]


def edit(text: str, rng: random.Random) -> str:
    table = {"，": ", ", "。": ".\n", "、": " / ", "；": ";", "：": ": ", "（": "(", "）": ")"}
    out = "".join(table.get(c, c) for c in text)
    out = out.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})  # full-width digits
    flat = out.replace("\n", " ")
    lines, at = [], 0
    while at < len(flat):  # other line breaks: every 15-40 characters
        step = rng.randint(15, 40)
        lines.append(flat[at:at + step])
        at += step
    return "\n".join(lines)


def derive(sources: list[list[str]], hosts: list[str], count: int, rng: random.Random) -> list[tuple[str, int, str]]:
    """(kind, source index, text) of ``count`` derived documents of each kind."""
    out = []
    for kind in ("extract", "min50", "reorder", "edits"):
        for _ in range(count):
            i = rng.randrange(len(sources))
            body = "".join(sources[i])
            if kind == "extract":
                pieces = [cut(body, rng.randint(50, 200), rng) for _ in range(rng.randint(1, 3))]
                text = embed(rng.choice(hosts), pieces, rng)
            elif kind == "min50":
                text = embed(rng.choice(hosts), [cut(body, 50, rng)], rng)
            elif kind == "reorder":
                text = "\n\n".join(rng.sample(sources[i], len(sources[i])))
            else:
                text = edit("\n".join(sources[i]), rng)
            out.append((kind, i, text))
    return out


def look(db: str, text: str) -> tuple[list[dict], float]:
    detector = FingerprintDetector(db)
    for block in blocks(text):
        detector.feed(block)
    began = time.perf_counter()
    found = detector.finish()
    return [f.to_json() for f in found], time.perf_counter() - began


def longest_shared(a: str, b: str) -> int:
    """The longest run of normalised characters ``a`` and ``b`` share (binary search on the length)."""
    na, nb = normalize(a), normalize(b)
    lo, hi = 0, min(len(na), len(nb))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if {na[i:i + mid] for i in range(len(na) - mid + 1)} & {nb[i:i + mid] for i in range(len(nb) - mid + 1)}:
            lo = mid
        else:
            hi = mid - 1
    return lo


def source_index(finding: dict) -> int:
    return int(finding["source"]["path"][7:12])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--derived", type=int, default=400, help="derived documents of each kind")
    parser.add_argument("--small", type=int, default=100, help="documents in the small registry")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--common", action="store_true", help="rewrite scanner/fingerprint_common.py")
    args = parser.parse_args()
    if args.sweep:
        return sweep()
    if args.common:
        return write_common()
    rng = random.Random(20261202)
    sources = synthesise(args.sources, rng)
    hosts = [t for t in texts("eval", "public-eval") if len(t) >= 500]
    unrelated = texts("eval", "public-eval")
    derived = derive(sources, hosts, args.derived, rng)
    with tempfile.TemporaryDirectory() as tmp:
        big, small = os.path.join(tmp, "big.db"), os.path.join(tmp, "small.db")
        took = register_all(big, sources)
        register_all(small, sources[:args.small])
        spool.writer(big, 30.0).execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = os.path.getsize(big)
        chars = sum(len(normalize("".join(p))) for p in sources)
        print(f"registered {len(sources)} sources ({chars / 1e6:.1f}M normalised chars) in {took:.1f} s; "
              f"registry {size / 1e6:.0f} MB ({size / chars:.1f} bytes per char)")
        report_recall(big, derived, sources)
        report_false(big, unrelated, sources)
        report_timing(big, small, derived, unrelated, args.small, len(sources))


def report_recall(db: str, derived: list[tuple[str, int, str]], sources: list[list[str]]) -> None:
    """A derived document is found when its source is reported, or (a paragraph drawn into many sources)
    when MAX_SOURCES sources are reported and each of them holds the passage too."""
    for kind in ("extract", "min50", "reorder", "edits"):
        cases = [(i, t) for k, i, t in derived if k == kind]
        hit = 0
        for i, text in cases:
            found = look(db, text)[0]
            hit += any(source_index(f) == i for f in found) or (len(found) == MAX_SOURCES and all(
                longest_shared(text, "".join(sources[source_index(f)])) >= GENUINE for f in found))
        print(f"recall {kind:8s} {hit}/{len(cases)} = {hit / len(cases):.3f}")


def report_false(db: str, unrelated: list[str], sources: list[list[str]]) -> None:
    """Unrelated documents matched: genuinely (a shared run of GENUINE+ characters), on a shorter shared
    formula (MIN_SPAN..GENUINE characters), or spuriously (no shared run of MIN_SPAN characters)."""
    kinds = {"genuine": 0, "formula": 0, "spurious": 0}
    for text in unrelated:
        found = look(db, text)[0]
        if not found:
            continue
        shared = max(longest_shared(text, "".join(sources[source_index(f)])) for f in found)
        kind = "genuine" if shared >= GENUINE else "formula" if shared >= MIN_SPAN else "spurious"
        kinds[kind] += 1
        if kind != "genuine" and os.environ.get("FP_SHOW"):
            print(f"  {shared} shared chars: {found[0]['context']!r} ~ {found[0]['source']['path']}")
    n = len(unrelated)
    print(f"unrelated documents matched: {sum(kinds.values())}/{n}: sharing a run of {GENUINE}+ chars "
          f"{kinds['genuine']}; sharing only {MIN_SPAN}-{GENUINE - 1} chars (a formula) {kinds['formula']} "
          f"({kinds['formula'] / n:.4f}); no shared run of {MIN_SPAN} (shorter runs bridged) {kinds['spurious']} "
          f"({kinds['spurious'] / n:.4f})")


def report_timing(big: str, small: str, derived: list[tuple[str, int, str]], unrelated: list[str],
                  n_small: int, n_big: int) -> None:
    """Lookup time per document: unrelated documents (the index seeks alone) and derived ones (which also
    pay for every registered source they match: a paragraph drawn into many sources matches them all)."""
    sets = (("unrelated", unrelated), ("derived", [t for _, _, t in derived[::4]]))
    for db in (small, big):  # warm the page caches first
        for _, docs in sets:
            for t in docs:
                look(db, t)
    for label, docs in sets:
        kchars = sum(len(t) for t in docs) / 1000
        for db, n in ((small, n_small), (big, n_big)):
            times = sorted(look(db, t)[1] * 1000 for t in docs)
            print(f"lookup {label:9s} with {n:6d} registered: median {statistics.median(times):.2f} ms, p95 "
                  f"{times[int(len(times) * 0.95)]:.2f} ms, {sum(times) / kchars:.3f} ms per 1000 chars "
                  f"({len(docs)} documents)")


def common_phrases(docs: list[str], min_docs: int = 5) -> list[str]:
    """The maximal runs of K-character shingles each found in ``min_docs`` or more of ``docs``."""
    from scanner.fingerprint_text import K

    norm = [normalize(d) for d in docs]
    df: dict[str, int] = {}
    for n in norm:
        for gram in {n[i:i + K] for i in range(len(n) - K + 1)}:
            df[gram] = df.get(gram, 0) + 1
    counts: dict[str, int] = {}
    for n in norm:
        i = 0
        while i < len(n) - K + 1:
            j = i
            while j < len(n) - K + 1 and df[n[j:j + K]] >= min_docs:
                j += 1
            if j > i:
                counts[n[i:j + K - 1]] = counts.get(n[i:j + K - 1], 0) + 1
            i = max(j, i + 1)
    return sorted(p for p, c in counts.items() if c >= min_docs)


def write_common() -> None:
    """Rewrite scanner/fingerprint_common.py from the public training texts (never from eval)."""
    phrases = common_phrases(texts("public-train", "public"))
    path = os.path.join(ROOT, "scanner", "fingerprint_common.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('"""Formulaic phrases of public laws and government reports: '
                 'their shingles never count as a passage.\n\n'
                 "Generated by `python benchmarks/fingerprint.py --common` from corpus/public-train and corpus/public\n"
                 "(public-domain texts): every maximal run of K-character shingles found in 5 or more of them.\n"
                 '"""\n\nPHRASES = """\n' + "\n".join(phrases) + '\n"""\n')
    print(f"{len(phrases)} phrases, {sum(map(len, phrases))} characters -> {path}")


def sweep() -> None:
    """Recall and short-phrase matches for K / W / MIN_SPAN settings (an in-memory index)."""
    rng = random.Random(7)
    sources = texts("train", "public-train")
    negatives = texts("eval", "public-eval")
    cases = [(n, i, embed(rng.choice(negatives), [cut(sources[i].strip(), n, rng)], rng))
             for n in (40, 45, 50, 55, 60) for i in rng.sample(range(len(sources)), 400)]
    for k, w in ((8, 4), (8, 6), (10, 4), (10, 5), (10, 6), (12, 4), (12, 5), (12, 6), (14, 5)):
        table: dict[int, set[int]] = {}
        for i, text in enumerate(sources):
            for h in set(_winnowed(text, k, w)[0].tolist()):
                table.setdefault(h, set()).add(i)
        for span in (30, 33, 36):
            recall = {n: 0 for n in (40, 45, 50, 55, 60)}
            for n, i, text in cases:
                recall[n] += i in _matches(text, table, k, w, span)
            short = 0
            for text in negatives:
                found = _matches(text, table, k, w, span)
                short += bool(found) and max(longest_shared(text, sources[i]) for i in found) < GENUINE
            print(f"K={k:2d} W={w} MIN_SPAN={span} rows={sum(map(len, table.values())) / 1e6:.2f}M recall "
                  + " ".join(f"{n}:{r / 400:.3f}" for n, r in recall.items()) + f" matched-below-{GENUINE}: {short}",
                  flush=True)


def _winnowed(text: str, k: int, w: int) -> tuple:
    from scanner.fingerprint_text import kgram_hashes, winnow

    hashes = kgram_hashes(normalize(text), k)
    picks = winnow(hashes, w)
    return hashes[picks], picks


def _matches(text: str, table: dict[int, set[int]], k: int, w: int, span: int) -> set[int]:
    hashes, positions = _winnowed(text, k, w)
    hits: dict[int, list[int]] = {}
    for h, p in zip(hashes.tolist(), positions.tolist(), strict=True):
        for doc in table.get(h, ()):
            hits.setdefault(doc, []).append(p)
    found = set()
    for doc, pos in hits.items():
        runs, run = [], [pos[0]]
        for p in pos[1:]:
            if p - run[-1] > w + k:
                runs.append(run)
                run = []
            run.append(p)
        runs.append(run)
        if any(len(r) >= 3 and r[-1] - r[0] + k >= span for r in runs):
            found.add(doc)
    return found


if __name__ == "__main__":
    main()
