"""Copy the public-domain texts the classifier trains and is evaluated on into corpus/ (run once, by hand).

    python corpus/make_public_split.py [--shared ../shared/corpus-public]

The split is by source and genre, never by line: national laws, State Council regulations,
departmental rules and the government work reports train the 公开 class; local
regulations, judicial interpretations and NPC resolutions (other issuers, other genres)
are held out for evaluation. Each copied file keeps its manifest row (provenance and
licence note) in corpus/manifests/public-train.tsv and public-eval.tsv.
The texts are verbatim; see corpus-public's README for why they are public domain.
"""

import argparse
import csv
import os
import shutil

TRAIN = {"national-law", "admin-regulation", "dept-rule", "gov-work-report"}
EVAL = {"local-regulation", "judicial-interpretation", "npc-resolution"}
HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "shared", "corpus-public"))
    args = ap.parse_args()
    with open(os.path.join(args.shared, "manifest.tsv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for split, categories in (("public-train", TRAIN), ("public-eval", EVAL)):
        out = os.path.join(HERE, split)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        chosen = [r for r in rows if r["category"] in categories]
        for r in chosen:
            shutil.copyfile(os.path.join(args.shared, "texts", r["file"]), os.path.join(out, r["file"]))
        os.makedirs(os.path.join(HERE, "manifests"), exist_ok=True)
        with open(os.path.join(HERE, "manifests", f"{split}.tsv"), "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
            writer.writeheader()
            writer.writerows(chosen)
        print(f"{split}: {len(chosen)} files")
    shutil.copyfile(os.path.join(args.shared, "README.md"), os.path.join(HERE, "manifests", "corpus-public-README.md"))


if __name__ == "__main__":
    main()
