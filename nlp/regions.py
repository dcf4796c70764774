"""Which of its document's regions a passage is about: the one rule, stored on every passage.

A document's regions are its manifest ``region`` field, split on ";" ("Baden-Württemberg;
Wallonia; ..." for the seed report). A passage of a document with one region is about that
region. A passage of a document that lists several is about the region(s) it names most often,
counting each region's names, demonyms and main cities from the gazetteer
(``nlp/lexicon/regions.jsonl``) as whole words, case- and accent-insensitively; a tie gives all
of the tied regions, a passage naming none of them is about none. Naming another region less
often (quoting Lithuania's hub in a paragraph about Lombardy) is no evidence for it.

Tagging stores the result (``region_meta``): ``regions``, the region names as the manifest gives
them joined by "; " ("" when none), and one boolean flag per region (``region__<slug>``: True),
which the index's region filter and ``analysis.regions.Region.keeps`` read.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.datasets import fold

REGIONS_FILE = Path(__file__).parent / "lexicon" / "regions.jsonl"
REGION_RULE = "a1"  # bump when attribute_regions changes: stored passages are re-tagged
REGIONS_KEY = "regions"
REGION_FLAG_PREFIX = "region__"


@lru_cache(maxsize=2)
def load_gazetteer(path: Path = REGIONS_FILE) -> tuple[str, dict[str, dict]]:
    """(version, NUTS code -> {"nuts", "names", "mentions"}) of the region gazetteer."""
    lines = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
    return lines[0]["regions_version"], {r["nuts"]: r for r in lines[1:]}


def regions_version() -> str:
    """Changes with the gazetteer or the rule (part of ``nlp.tagging.tagging_version``)."""
    return f"{load_gazetteer()[0]}.{REGION_RULE}"


def document_regions(field: Any) -> list[str]:
    """The regions of a manifest ``region`` field, in order ("A; B" -> ["A", "B"])."""
    return [r.strip() for r in str(field or "").split(";") if r.strip()]


def region_flag(name: str) -> str:
    """Metadata key of a region's boolean flag: 'Baden-Württemberg' -> 'region__baden_wurttemberg'."""
    return REGION_FLAG_PREFIX + re.sub(r"\W+", "_", fold(name)).strip("_")


@lru_cache(maxsize=64)
def mention_pattern(mentions: tuple[str, ...]) -> re.Pattern:
    """Whole-word pattern of any of ``mentions``, to search in ``fold``-ed text (longest first)."""
    alts = sorted({re.escape(fold(m)) for m in mentions if m.strip()}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)") if alts else re.compile(r"(?!x)x")


@lru_cache(maxsize=256)
def region_mentions(name: str) -> tuple[str, ...]:
    """What marks a passage as naming the region of this manifest name: the name itself (and
    without a parenthesis: "Lithuania (national)" -> "Lithuania"), and the names and mentions of
    the gazetteer entry it is one of the names of."""
    bare = re.sub(r"\s*\(.*?\)", "", name).strip()
    keys = {fold(name), fold(bare)}
    entry = next((e for e in load_gazetteer()[1].values() if keys & {fold(n) for n in e["names"]}), {})
    return tuple(dict.fromkeys([name, bare, *entry.get("names", []), *entry.get("mentions", [])]))


def mention_count(name: str, text: str) -> int:
    """How often ``text`` names the region of this manifest name."""
    return len(mention_pattern(region_mentions(name)).findall(fold(text)))


def attribute_regions(region_field: Any, text: str) -> list[str]:
    """The regions of the document (its manifest ``region`` field) that a passage is about: the
    document's region when it has one; else those the passage names most often (ties: all; none
    named: none), in the manifest's order."""
    regions = document_regions(region_field)
    if len(regions) <= 1:
        return regions
    folded = fold(text)
    counts = [len(mention_pattern(region_mentions(r)).findall(folded)) for r in regions]
    best = max(counts)
    return [r for r, n in zip(regions, counts) if best and n == best]


def region_meta(region_field: Any, text: str) -> dict[str, Any]:
    """Passage metadata of the attribution (scalars only, for Chroma): ``regions`` and one
    ``region__<slug>`` flag per region."""
    regions = attribute_regions(region_field, text)
    return {REGIONS_KEY: "; ".join(regions), **{region_flag(r): True for r in regions}}


def passage_regions(meta: dict, text: str) -> list[str]:
    """The regions a passage is about: the stored attribution, or (a passage tagged before it was
    stored) the same rule applied now to its document's region field."""
    if REGIONS_KEY in meta:
        return document_regions(meta[REGIONS_KEY])
    return attribute_regions(meta.get("region", ""), text)


def strip_region_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k != REGIONS_KEY and not k.startswith(REGION_FLAG_PREFIX)}
