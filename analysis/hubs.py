"""The JRC Digital Innovation Hubs catalogue as searchable records, cross-linked with the passages
that mention a hub.

Search has two parts: hubs whose *name* matches the query (case- and accent-insensitive, also
the acronyms the organisation tagger knows, e.g. DIGIMAT), then hubs *related* by text, ranked by
BM25 over name, description, sectors, city and country (Haystack's in-memory BM25 retriever).
Filters (country, sector, city) apply to both. When no hub is named like the query the result
says so: a user asking for a hub the catalogue snapshot lacks must not mistake a related hub
for it.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from haystack import Document

from index.store import PassageIndex
from ingest.datasets import Hub, fold, load_hubs
from nlp.organisations import load_organisations

from .sources import DataCitation, Dataset, dataset


@dataclass
class HubSearch:
    query: str
    filters: dict[str, str]
    named: list[Hub]  # hubs whose name (or acronym) matches the query
    related: list[tuple[Hub, float]]  # other hubs by text relevance (BM25 score)
    catalogue_size: int
    in_filters: int  # hubs that pass the filters
    source: str = ""

    @property
    def found_by_name(self) -> bool:
        return bool(self.named)

    @property
    def message(self) -> str:
        scope = ", ".join(f"{k} = {v}" for k, v in self.filters.items())
        where = f" ({scope}: {self.in_filters} hubs)" if scope else ""
        if not self.query:
            return f"{self.in_filters} of {self.catalogue_size} catalogue hubs{where}."
        if self.named:
            return f"{len(self.named)} hub(s) named like {self.query!r} in the catalogue snapshot{where}."
        tail = " Nearest by text below." if self.related else ""
        return (f"No hub named like {self.query!r} in the catalogue snapshot ({self.catalogue_size} hubs){where}."
                + tail)

    def to_json(self) -> dict:
        return {"query": self.query, "filters": self.filters, "found_by_name": self.found_by_name,
                "message": self.message, "catalogue_size": self.catalogue_size, "in_filters": self.in_filters,
                "source": self.source, "named": [h.to_json() for h in self.named],
                "related": [h.to_json() | {"score": round(s, 3)} for h, s in self.related]}


@dataclass
class HubMention:
    hub_id: str
    doc_id: str
    title: str
    page: int | None
    where: str
    passage_id: str
    text: str  # the mention as written
    start: int
    end: int
    page_offset: int | None = None
    sentence: str = ""  # the sentence holding the mention


class HubCatalogue:
    """:param catalogue: the catalogue dataset (``corpus/data/jrc-dih-catalogue.json``)."""

    def __init__(self, catalogue: Dataset):
        self.dataset = catalogue
        self.hubs: tuple[Hub, ...] = load_hubs(str(catalogue.path))
        self.by_id = {h.id: h for h in self.hubs}
        self._retriever = None
        self._lock = threading.Lock()

    @classmethod
    def from_corpus(cls, corpus: Path) -> "HubCatalogue":
        return cls(dataset(corpus, "hubs"))

    def warm_up(self) -> None:
        with self._lock:  # app sessions share one catalogue
            self._warm_up()

    def _warm_up(self) -> None:
        if self._retriever is not None:
            return
        from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
        from haystack.document_stores.in_memory import InMemoryDocumentStore

        store = InMemoryDocumentStore(index=f"ris3-hubs-{id(self)}", shared=False)
        store.write_documents([Document(
            id=h.id, content=" ".join([h.name, h.description, " ".join(h.sectors), h.locality, h.country]),
            meta={"country": fold(h.country), "locality": fold(h.locality), "sectors": [fold(s) for s in h.sectors]},
        ) for h in self.hubs])
        self._retriever = InMemoryBM25Retriever(document_store=store, top_k=20)

    @cached_property
    def aliases(self) -> dict[str, set[str]]:
        """hub id -> folded names and acronyms the organisation tagger matches for it."""
        out: dict[str, set[str]] = defaultdict(set)
        for o in load_organisations(str(self.dataset.path))[1]:
            if o.catalogue_id:
                out[o.catalogue_id] |= {fold(a) for a in o.aliases} | {fold(o.name)}
        return out

    @cached_property
    def org_ids(self) -> dict[str, set[str]]:
        """hub id -> the organisation ids passages carry for it (a curated "org.digimat" or the
        catalogue's "dih:4423")."""
        out: dict[str, set[str]] = defaultdict(set)
        for o in load_organisations(str(self.dataset.path))[1]:
            if o.catalogue_id:
                out[o.catalogue_id].add(o.id)
        return out

    def countries(self) -> list[str]:
        return sorted({h.country for h in self.hubs if h.country})

    def sectors(self) -> list[str]:
        return sorted({s for h in self.hubs for s in h.sectors})

    def _passes(self, h: Hub, country: str | None, sector: str | None, city: str | None) -> bool:
        return ((not country or fold(country) == fold(h.country))
                and (not sector or any(fold(sector) in fold(s) for s in h.sectors))
                and (not city or fold(city) in fold(h.locality)))

    def search(self, query: str = "", country: str | None = None, sector: str | None = None,
               city: str | None = None, limit: int = 20) -> HubSearch:
        query = " ".join((query or "").split())
        filters = {k: v for k, v in (("country", country), ("sector", sector), ("city", city)) if v}
        if country and not any(fold(country) == fold(h.country) for h in self.hubs):
            raise ValueError(f"no hub of the catalogue is in {country!r}; countries: {', '.join(self.countries())}")
        pool = [h for h in self.hubs if self._passes(h, country, sector, city)]
        q = fold(query)
        named = [h for h in pool if q and (q in fold(h.name) or q in self.aliases.get(h.id, set()))]
        related: list[tuple[Hub, float]] = []
        if q:
            self.warm_up()
            ids = {h.id for h in pool} - {h.id for h in named}
            docs = self._retriever.run(query=query, top_k=len(self.hubs))["documents"]
            related = [(self.by_id[d.id], float(d.score or 0)) for d in docs if d.id in ids and (d.score or 0) > 0]
        else:
            named = pool
        return HubSearch(query, filters, named[:limit], related[: max(limit - len(named), 0)],
                         len(self.hubs), len(pool), self.dataset.title)

    def get(self, hub_id_or_name: str) -> Hub:
        if hub_id_or_name in self.by_id:
            return self.by_id[hub_id_or_name]
        found = self.search(hub_id_or_name).named
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValueError(f"no hub {hub_id_or_name!r} in the catalogue snapshot")
        raise ValueError(f"{hub_id_or_name!r} names {len(found)} hubs: " + "; ".join(f"{h.id} {h.name}" for h in found[:10]))

    def hubs_in_passage(self, passage: Document) -> list[Hub]:
        """Catalogue hubs a passage mentions (from the organisation tags stored at ingestion)."""
        orgs = set(passage.meta.get("orgs") or [])
        return [self.by_id[h] for h, ids in self.org_ids.items() if ids & orgs and h in self.by_id]

    def mentions(self, index: PassageIndex, hub_id: str, limit: int | None = None) -> list[HubMention]:
        """Where the indexed documents mention a hub: document, page and the words used."""
        import json

        from nlp.passages import sentence_spans
        from qa.citations import page_label

        from .reports import page_of

        ids = self.org_ids.get(hub_id, set())
        out = []
        for p in index.passages().values():
            if not ids & set(p.meta.get("orgs") or []):
                continue
            for start, end, org in json.loads(p.meta.get("org_spans", "[]")):
                if org in ids:
                    page, offset = page_of(p, start)
                    text = p.content or ""
                    a, b = next(((a, b) for a, b, _, _ in sentence_spans(p) if a <= start < b + 1), (start, end))
                    out.append(HubMention(hub_id, p.meta.get("doc_id", ""), p.meta.get("title", ""), page,
                                          page_label(p.meta, page), p.id, text[start:end], start, end, offset,
                                          " ".join(text[a:b].split())))
        out.sort(key=lambda m: (m.doc_id, m.page or 0, m.start))
        return out[:limit] if limit else out

    def citation(self, n: str, hub: Hub) -> DataCitation:
        return DataCitation(n, self.dataset.title, self.dataset.file, f"hub {hub.id} ({hub.source_id})", key=hub.id)
