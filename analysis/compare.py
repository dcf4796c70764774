"""Compare regions: the same question answered from each region's passages, side by side, with
each region's support-structure and priority-domain profile.

Each column's answer comes from ``Asker.ask`` restricted to the region's documents (and, in
documents that cover several regions, to the passages about it: ``Region.keeps``), so a citation
in a column always points into that region's text. Concept rates are mentions per 10,000 words
of the region's passages, so regions with long and short documents compare fairly; a region's
passages and counts are those of its profile and of the keyword report grouped by region (the
one attribution of ``nlp.regions``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from nlp.lexicon import load_taxonomy
from qa.service import Asker, Filters
from qa.types import Answer

from .profiles import domain_words, region_mentions
from .regions import Region, RegionResolver, region_passages
from .reports import corpus_snapshot, default_terms
from .sources import dataset

MAX_REGIONS = 8


@dataclass
class RegionColumn:
    region: Region
    answer: Answer | None  # None when the region has no indexed text
    passages: int
    words: int
    concepts: dict[str, tuple[int, float]] = field(default_factory=dict)  # concept id -> (count, per 10k words)
    domains: dict[str, float] = field(default_factory=dict)  # domain id -> share of words

    @property
    def note(self) -> str:
        if self.answer is None:
            return f"No indexed document covers {self.region.name}."
        if self.answer.answered:
            return ""
        if self.answer.nearest and not self.answer.missing:
            return "No sentence of this region's passages reaches the answer threshold; the nearest one is cited."
        return self.answer.text

    @property
    def text(self) -> str:
        """The answer with citation markers, or the note (with the nearest sentence when there is one)."""
        if self.answer is not None and self.answer.answered:
            return self.answer.text
        if self.answer is not None and self.answer.nearest and not self.answer.missing:
            c = self.answer.nearest[0]
            return f"(Low confidence) {' '.join(c.sentence.split())} [{c.n}]"
        return self.note

    @property
    def citations(self) -> list:
        if self.answer is None:
            return []
        if self.answer.answered:
            return self.answer.citations
        return [] if self.answer.missing else self.answer.nearest

    def to_json(self) -> dict:
        r = self.region
        return {"region": r.name, "nuts": r.nuts, "documents": list(r.all_doc_ids), "passages": self.passages,
                "words": self.words, "answer": self.answer.to_json() if self.answer else None, "note": self.note,
                "text": self.text, "low_confidence": bool(self.answer and not self.answer.answered and self.citations),
                "concepts": {k: {"count": c, "per_10k_words": rate} for k, (c, rate) in self.concepts.items()},
                "domains": self.domains}


@dataclass
class Comparison:
    question: str
    columns: list[RegionColumn]
    concept_labels: dict[str, str]
    domain_labels: dict[str, str]
    about: dict

    def to_json(self) -> dict:
        return {"question": self.question, "regions": [c.to_json() for c in self.columns],
                "concept_labels": self.concept_labels, "domain_labels": self.domain_labels, "about": self.about}


def parse_regions(spec: str) -> list[str]:
    """"A,B;C" -> [A, B, C]; a region name with a comma can be given with ';' separators only."""
    sep = ";" if ";" in spec else ","
    names = [x.strip() for x in spec.split(sep) if x.strip()]
    if not names:
        raise ValueError("no regions given")
    if len(names) > MAX_REGIONS:
        raise ValueError(f"compare at most {MAX_REGIONS} regions at a time ({len(names)} given)")
    return list(dict.fromkeys(names))


def compare(asker: Asker, corpus: Path, question: str, regions: list[str], top_k: int | None = None) -> Comparison:
    resolver = RegionResolver(dataset(corpus, "nuts").path, asker.index.documents())
    resolved = [resolver.resolve(r) for r in regions]  # every name checked before any work
    terms = default_terms()
    columns = []
    for region in resolved:
        passages = region_passages(asker.index, region)
        words = sum(int(p.meta.get("n_words") or 0) for p in passages)
        answer = None
        if passages:
            docs = ",".join(sorted({p.meta["doc_id"] for p in passages}))
            answer = asker.ask(question, Filters(doc_id=docs), top_k=top_k, keep=region.keeps)
        per = region_mentions(region, passages, terms)
        concepts = {t.id: (len(per.get(t.id, [])), round(len(per.get(t.id, [])) / words * 10_000, 2) if words else 0.0)
                    for t in terms}
        dom_words, _, body = domain_words(passages)  # shares of body text, as in the profile
        domains = {d: round(w / body, 3) for d, w in dom_words.most_common()} if body else {}
        columns.append(RegionColumn(region, answer, len(passages), words, concepts, domains))
    about = {"generated": datetime.now(timezone.utc).replace(microsecond=0).isoformat(), **corpus_snapshot(asker.index)}
    return Comparison(question, columns, {t.id: t.label for t in terms},
                      {d.id: d.label for d in load_taxonomy()[1]}, about)
