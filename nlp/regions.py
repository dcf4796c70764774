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

Quoting elsewhere is no evidence either: a passage that names regions outside the document's
(``nlp/lexicon/places.json``: the NUTS 2013 names below country level, plus the gazetteer's)
at least ``AttributionRule.min_foreign`` times and more than ``AttributionRule.foreign_ratio``
times as often as its best-named own region is about none of them (the OECD report on Lubelskie
quoting Tuscany's one-stop shop and South Karelia's incubator). Places inside a document's
region or containing it (Lublin, Poland for Lubelskie) are not elsewhere.

Names are normalised for display and grouping (``canonical_region``): "Lithuania (national)" and
"Lithuania" are one region, "national" being the document's coverage (``region_coverage``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.datasets import fold

REGIONS_FILE = Path(__file__).parent / "lexicon" / "regions.jsonl"
PLACES_FILE = Path(__file__).parent / "lexicon" / "places.json"
REGION_RULE = "a2"  # bump when attribute_regions changes: stored passages are re-tagged
REGIONS_KEY = "regions"
REGION_FLAG_PREFIX = "region__"


@lru_cache(maxsize=2)
def load_gazetteer(path: Path = REGIONS_FILE) -> tuple[str, dict[str, dict]]:
    """(version, NUTS code -> {"nuts", "names", "mentions"}) of the region gazetteer."""
    lines = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
    return lines[0]["regions_version"], {r["nuts"]: r for r in lines[1:]}


@dataclass(frozen=True)
class AttributionRule:
    min_foreign: int = 3
    """Fewest mentions of regions elsewhere that can take a passage away from its document's regions."""
    foreign_ratio: float = 3.0
    """... and only when they outnumber the best-named own region's mentions this many times (a
    strategy placing itself among its country's regions, "along with Kujawsko-Pomorskie,
    Świętokrzyskie and Mazowieckie", is still about itself)."""


RULE = AttributionRule()


@lru_cache(maxsize=2)
def load_places(path: Path = PLACES_FILE) -> tuple[str, dict[str, list[str]]]:
    """(version, NUTS code -> place names) of the NUTS place names."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return raw["places_version"], raw["places"]


def regions_version() -> str:
    """Changes with the gazetteer, the place names or the rule (part of ``nlp.tagging.tagging_version``)."""
    return f"{load_gazetteer()[0]}.{load_places()[0]}.{REGION_RULE}"


def document_regions(field: Any) -> list[str]:
    """The regions of a manifest ``region`` field, in order ("A; B" -> ["A", "B"])."""
    return [r.strip() for r in str(field or "").split(";") if r.strip()]


def bare_name(name: str) -> str:
    """The name without its parentheses: "Lithuania (national)" -> "Lithuania"."""
    return re.sub(r"\s*\(.*?\)", "", str(name)).strip() or str(name).strip()


def _gazetteer_entry(name: str) -> dict:
    keys = {fold(name), fold(bare_name(name))}
    return next((e for e in load_gazetteer()[1].values() if keys & {fold(n) for n in e["names"]}), {})


def canonical_region(name: str) -> str:
    """One name per region, for grouping and display: the gazetteer's first name of the region the
    manifest name means ("Lithuania (national)", "Lietuva" -> "Lithuania"; "Northern Netherlands
    (Groningen, Fryslân, Drenthe)" -> "Northern Netherlands"), else the name without parentheses."""
    entry = _gazetteer_entry(name)
    return entry["names"][0] if entry else bare_name(name)


def region_coverage(name: str) -> str:
    """The coverage level a manifest name states: "national" for "Lithuania (national)", else ""."""
    return "national" if re.search(r"\(\s*national\s*\)", str(name), re.IGNORECASE) else ""


def region_codes(name: str) -> tuple[str, ...]:
    """NUTS codes a manifest region name means (gazetteer first, then the NUTS place names)."""
    entry = _gazetteer_entry(name)
    if entry:
        return (entry["nuts"],)
    key = fold(bare_name(name))
    return tuple(c for c, names in load_places()[1].items() if key in {fold(n) for n in names})


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
    entry = _gazetteer_entry(name)
    return tuple(dict.fromkeys([name, bare_name(name), *entry.get("names", []), *entry.get("mentions", [])]))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


@lru_cache(maxsize=1)
def _place_index() -> tuple[dict[str, str], int]:
    """(folded words of a region's name joined by " " -> NUTS code, most words in a name): the NUTS
    place names and the gazetteer's names and mentions, below country level (countries are context,
    "capital from France", not a region quoted; Cyprus's one NUTS 1 region is still Cyprus)."""
    places = load_places()[1]
    countries = {" ".join(_words(n)) for code, names in places.items() if len(code) == 2 for n in names}
    index: dict[str, str] = {}
    for code, names in places.items():
        for n in names:
            index.setdefault(" ".join(_words(n)), code)
    for code, entry in load_gazetteer()[1].items():
        for n in entry["names"] + entry["mentions"]:
            index[" ".join(_words(n))] = code
    index = {k: c for k, c in index.items() if k and len(c) > 2 and k not in countries}
    return index, max(len(k.split()) for k in index)


def _related(code: str, own: tuple[str, ...]) -> bool:
    return any(code.startswith(o) or o.startswith(code) for o in own)


def foreign_mentions(own_codes: tuple[str, ...], text: str) -> int:
    """How often ``text`` names places (capitalised, whole words) neither inside nor around the
    regions of ``own_codes``; 0 when no own code is known (an "EU" document has no elsewhere)."""
    if not own_codes:
        return 0
    index, longest = _place_index()
    tokens = [(m.group(), fold(m.group())) for m in re.finditer(r"\w+", text)]
    found, i = 0, 0
    while i < len(tokens):
        step = 1
        if tokens[i][0][:1].isupper():
            for n in range(min(longest, len(tokens) - i), 0, -1):
                code = index.get(" ".join(t for _, t in tokens[i:i + n]))
                if code is not None:
                    found += 0 if _related(code, own_codes) else 1
                    step = n
                    break
        i += step
    return found


def mention_count(name: str, text: str) -> int:
    """How often ``text`` names the region of this manifest name."""
    return len(mention_pattern(region_mentions(name)).findall(fold(text)))


def _elsewhere(regions: list[str], text: str, best: int, rule: AttributionRule) -> bool:
    elsewhere = foreign_mentions(tuple(c for r in regions for c in region_codes(r)), text)
    return elsewhere >= rule.min_foreign and elsewhere > rule.foreign_ratio * best


def about_elsewhere(region_field: Any, text: str, rule: AttributionRule = RULE) -> bool:
    """Is ``text`` (a passage, or one sentence of it) about places outside its document's regions,
    by the rule of ``attribute_regions``?"""
    regions = document_regions(region_field)
    folded = fold(text)
    best = max((len(mention_pattern(region_mentions(r)).findall(folded)) for r in regions), default=0)
    return bool(regions) and _elsewhere(regions, text, best, rule)


def attribute_regions(region_field: Any, text: str, rule: AttributionRule = RULE) -> list[str]:
    """The regions of the document (its manifest ``region`` field) that a passage is about: the
    document's region when it has one; else those the passage names most often (ties: all; none
    named: none), in the manifest's order. Either way none when the passage is about elsewhere:
    it names other places at least ``rule.min_foreign`` times and more than ``rule.foreign_ratio``
    times as often as its best-named own region."""
    regions = document_regions(region_field)
    if not regions:
        return []
    folded = fold(text)
    counts = [len(mention_pattern(region_mentions(r)).findall(folded)) for r in regions]
    best = max(counts)
    if _elsewhere(regions, text, best, rule):
        return []
    if len(regions) == 1:
        return regions
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


def passage_region_names(meta: dict, text: str) -> list[str]:
    """``passage_regions`` under one name per region (``canonical_region``), for grouping and
    display; with neither a stored attribution nor a text to attribute, the document's regions."""
    regions = passage_regions(meta, text) if text or REGIONS_KEY in meta else document_regions(meta.get("region"))
    return list(dict.fromkeys(canonical_region(r) for r in regions))


def strip_region_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k != REGIONS_KEY and not k.startswith(REGION_FLAG_PREFIX)}
