"""The rule packs that ship in markings/packs/: their names, their rule files, and the CLI flag.

A pack is a folder of rule files for an optional marking regime (``tw``: Taiwan's 密等;
``en``: English banner lines), each with a README.md giving its level mapping. Packs are
off unless asked for: ``load_rules(packs=...)`` (markings/rule.py), ``--rules-pack NAME``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from scanner.errors import RuleError

PACKS_DIR = Path(__file__).with_name("packs")


def available_packs() -> tuple[str, ...]:
    """The names of the shipped packs (folders of markings/packs/ holding rule files), sorted."""
    if not PACKS_DIR.is_dir():
        return ()
    return tuple(sorted(p.name for p in PACKS_DIR.iterdir() if p.is_dir() and any(p.glob("*.toml"))))


def pack_files(packs: Iterable[str]) -> list[tuple[str, Path]]:
    """``(pack, rule file)`` for each named pack, sorted; raises RuleError for an unknown pack
    (the message lists the available ones)."""
    known = available_packs()
    files: list[tuple[str, Path]] = []
    for name in sorted(set(packs)):
        if name not in known:
            raise RuleError(f"unknown rules pack {name!r}; available packs: {', '.join(known) or 'none'}")
        files += [(name, path) for path in sorted((PACKS_DIR / name).glob("*.toml"))]
    return files


def add_pack_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--rules-pack NAME`` (repeatable, choices: the shipped packs) as ``args.rule_packs``."""
    names = available_packs()
    parser.add_argument("--rules-pack", dest="rule_packs", action="append", default=[], choices=names,
                        metavar="NAME", help="另加载可选的标志规则包，可重复：tw 台湾密等，en 英文横幅标志 "
                                             f"(optional marking regimes: {', '.join(names)})")
