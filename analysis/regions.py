"""Which region a user means, and which indexed text is about it.

A query ("South Moravia", "CZ064", "Jihomoravský kraj", "lubelskie", "Northern Netherlands")
resolves to one NUTS region through, in order: a NUTS code; the names of
``nlp/lexicon/regions.jsonl`` (exonyms and local names NUTS does not give); the NUTS names
(national and English); the region field of the manifest. Matching ignores case and accents.

A region's documents are those whose NUTS codes contain it or lie inside it (a national strategy
counts for its regions, a region's strategy for its country). A document that covers several
regions (the seed report covers ten) is *shared*: only its passages about the region count for
it, by the one rule of ``nlp/regions.py`` (the regions a passage names most often, with their
names, demonyms and main cities from the gazetteer), stored on each passage at tagging, which the
index's region filter reads too.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from haystack import Document

from index.store import DocumentRecord, PassageIndex
from ingest.datasets import NutsRegion, fold, load_nuts
from nlp.regions import (
    REGIONS_FILE,
    about_elsewhere,
    bare_name,
    load_gazetteer,
    mention_pattern,
    passage_regions,
)

__all__ = ["REGIONS_FILE", "Region", "RegionResolver", "load_gazetteer", "region_passages"]


@dataclass(frozen=True)
class Region:
    name: str
    nuts: str  # "" when the region is known only from the manifest
    country: str
    names: tuple[str, ...]  # names that identify it in a query
    mentions: tuple[str, ...]  # names, demonyms, cities: mark a passage of a shared document as about it
    doc_ids: tuple[str, ...] = field(default_factory=tuple)  # documents about it (or its country)
    shared_doc_ids: tuple[str, ...] = field(default_factory=tuple)  # documents about several regions
    national_doc_ids: tuple[str, ...] = field(default_factory=tuple)  # documents about its whole country
    rivals: tuple[tuple[str, ...], ...] = field(default_factory=tuple)  # mentions of the other regions of shared documents
    shared_parts: tuple[str, ...] = field(default_factory=tuple)  # the shared documents' region names (folded) that mean it

    @property
    def all_doc_ids(self) -> tuple[str, ...]:
        return self.doc_ids + self.shared_doc_ids

    def mentioned_in(self, text: str) -> bool:
        """True when ``text`` names the region (whole words, case- and accent-insensitive)."""
        return bool(mention_pattern(self.mentions).search(fold(text)))

    def mentions_in(self, text: str) -> int:
        return len(mention_pattern(self.mentions).findall(fold(text)))

    def claims(self, passage: Document, start: int) -> bool:
        """Is the mention at ``start`` in this passage about the region? Not when the sentence
        around it is about elsewhere (``nlp.regions.about_elsewhere``: "Invest in Tuscany, the
        Tuscany Regional Authority's agency ..."); in a shared document, not when the sentence
        names another region of the document more often than this one ("... in Lombardy, AFIL ...")."""
        from nlp.passages import sentence_spans

        text = passage.content or ""
        a, b = next(((a, b) for a, b, _, _ in sentence_spans(passage) if a <= start < b + 1), (0, len(text)))
        if about_elsewhere(passage.meta.get("region", ""), text[a:b]):
            return False
        if passage.meta.get("doc_id") in self.doc_ids:
            return True
        sentence = fold(text[a:b])
        own = len(mention_pattern(self.mentions).findall(sentence))
        return all(len(mention_pattern(r).findall(sentence)) <= own for r in self.rivals)

    def keeps(self, passage: Document) -> bool:
        """Does this passage count for the region? The one attribution of ``nlp.regions`` decides,
        stored at tagging: a passage of the region's own documents unless it is about elsewhere
        (the OECD report's box on Tuscany); a shared document's passage when it is attributed to
        the region (the regions of the document it names most often: a passage comparing
        Lombardy's hub with Lithuania's, naming Lombardy three times and Lithuania once, is about
        Lombardy). Keyword reports grouped by region count the same passages."""
        doc = passage.meta.get("doc_id")
        if doc not in self.doc_ids and doc not in self.shared_doc_ids:
            return False
        regions = passage_regions(passage.meta, passage.content or "")
        if doc in self.doc_ids:
            return bool(regions)
        return any(fold(r) in self.shared_parts for r in regions)


def _country(code: str) -> str:
    return code[:2].upper()


def _doc_codes(d: DocumentRecord) -> list[str]:
    return [c.strip().upper() for c in str(d.meta.get("nuts", "")).split(";") if c.strip()]


def _doc_regions(d: DocumentRecord) -> list[str]:
    return [r.strip() for r in str(d.meta.get("region", "")).split(";") if r.strip()]


class RegionResolver:
    """:param nuts_path: ``corpus/data/nuts-regions.json``.
    :param documents: the index's document records (only ingested ones are used)."""

    def __init__(self, nuts_path: Path, documents: Iterable[DocumentRecord]):
        self.nuts: dict[str, NutsRegion] = load_nuts(str(nuts_path))
        self.documents = [d for d in documents if d.status == "ingested"]
        self.gazetteer = load_gazetteer()[1]

    @classmethod
    def for_index(cls, nuts_path: Path, index: PassageIndex) -> "RegionResolver":
        return cls(nuts_path, index.documents())

    def known_names(self) -> list[str]:
        """One name per region the index has documents for (or the gazetteer knows): the shortest
        of the names that resolve to it ("Lithuania", not also "Lithuania (national)")."""
        candidates = {r["names"][0] for r in self.gazetteer.values()}
        candidates |= {r for d in self.documents for r in _doc_regions(d) if fold(r) != "eu"}
        by_region: dict[str, str] = {}
        for name in sorted(candidates):
            try:
                region = self.resolve(name, suggest=False)
            except ValueError:
                continue
            ident = region.nuts or fold(region.name)
            if ident not in by_region or len(name) < len(by_region[ident]):
                by_region[ident] = name
        return sorted(by_region.values())

    def resolve(self, query: str, suggest: bool = True) -> Region:
        q = fold(query)
        if not q:
            raise ValueError("no region given")
        code = self._code_for(query.strip(), q)
        if code:
            return self._region(code)
        # the manifest's own region names, as the filters match them ("moravia" -> "South Moravia")
        for d in self.documents:
            for part in _doc_regions(d):
                if q in fold(part) and fold(part) not in ("eu",):
                    code = self._code_for(part, fold(part))
                    if code:
                        return self._region(code)
                    codes = _doc_codes(d)
                    if len(_doc_regions(d)) == 1 and len(codes) == 1:
                        return self._region(codes[0], display=part)
                    return self._region("", display=part)
        if not suggest:
            raise ValueError(f"unknown region {query!r}")
        close = difflib.get_close_matches(query, self.known_names(), n=5, cutoff=0.7)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known regions: {', '.join(self.known_names())}"
        raise ValueError(f"unknown region {query!r}{hint}")

    def _code_for(self, raw: str, q: str) -> str:
        if raw.upper() in self.nuts:
            return raw.upper()
        for code, entry in self.gazetteer.items():
            if q in {fold(n) for n in entry["names"]}:
                return code
        hits = [c for c, r in self.nuts.items() if q in (fold(r.name), fold(r.en), fold(re.sub(r"\s*\(.*\)", "", r.name)))]
        return min(hits, key=lambda c: (len(c), c)) if hits else ""

    def _region(self, code: str, display: str = "") -> Region:
        entry = self.gazetteer.get(code, {})
        nuts = self.nuts.get(code)
        names = list(entry.get("names", []))
        if nuts:
            names += [nuts.en, nuts.name]
        if display:
            names.insert(0, display)
        names = list(dict.fromkeys(n for n in names if n))
        name = display or (entry["names"][0] if entry else (nuts.en if nuts else code))
        mentions = tuple(dict.fromkeys(names + list(entry.get("mentions", []))))
        own, shared, national = [], [], []
        for d in self.documents:
            codes = _doc_codes(d)
            regions = _doc_regions(d)
            by_code = bool(code) and any(c.startswith(code) or code.startswith(c) for c in codes)
            # a name, not a part of one: NUTS calls Norte "North", which "Northern Netherlands" holds
            by_name = any(fold(n) in {fold(r), fold(bare_name(r))} for n in names for r in regions)
            if not (by_code or by_name):
                continue
            if len(regions) > 1 or len(codes) > 1:
                shared.append(d.doc_id)
            else:
                own.append(d.doc_id)
                if code and codes and len(codes[0]) == 2 and len(code) > 2:
                    national.append(d.doc_id)
        rivals, parts = [], []
        for d in self.documents:
            if d.doc_id in shared:
                for part in _doc_regions(d):
                    if self._means(part, code, names):
                        parts.append(fold(part))
                    if any(fold(part) == fold(n) for n in names):
                        continue
                    other = self._code_for(part, fold(part))
                    entry = self.gazetteer.get(other, {})
                    rival = tuple(dict.fromkeys([part] + entry.get("names", []) + entry.get("mentions", [])))
                    if not set(map(fold, rival)) & set(map(fold, mentions)):
                        rivals.append(rival)
        return Region(name=name, nuts=code, country=_country(code) if code else "", names=tuple(names),
                      mentions=mentions, doc_ids=tuple(own), shared_doc_ids=tuple(shared),
                      national_doc_ids=tuple(national), rivals=tuple(dict.fromkeys(rivals)),
                      shared_parts=tuple(dict.fromkeys(parts)))

    def _means(self, part: str, code: str, names: list[str]) -> bool:
        """Does a shared document's region ``part`` mean the region (``code``, ``names``)? When it
        is one of its names ("Lithuania (national)" is "Lithuania"), or lies inside it ("Norte" in
        Portugal). Not by substring: NUTS calls Norte "North", which "North-West Romania" holds."""
        bare = re.sub(r"\s*\(.*?\)", "", part).strip()
        if {fold(part), fold(bare)} & {fold(n) for n in names}:
            return True
        inner = self._code_for(bare, fold(bare))
        return bool(code and inner and inner.startswith(code))


def region_passages(index: PassageIndex, region: Region) -> list[Document]:
    """The stored passages that count for the region, in document and passage order."""
    wanted = set(region.all_doc_ids)
    out = [p for p in index.passages().values() if p.meta.get("doc_id") in wanted and region.keeps(p)]
    return sorted(out, key=lambda p: (p.meta.get("doc_id", ""), int(p.meta.get("passage_index") or 0)))

