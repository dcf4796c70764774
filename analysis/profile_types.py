"""What a region profile is made of: statements with their citations, sections, the profile, the
reference list that numbers citations as they are first used, and the profile's settings."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from haystack import Document

from nlp.passages import sentence_spans
from qa.citations import cite, renumber
from qa.types import Citation

from .regions import Region
from .sources import DataCitation


@dataclass(frozen=True)
class ProfileSettings:
    max_domains: int = 6
    """Most priority domains listed (by share of the region's text)."""
    min_domain_share: float = 0.03
    """A domain under this share of the region's words is not listed."""
    examples: int = 2
    """Example sentences cited per domain or support structure."""
    max_items: int = 12
    """Most organisations listed (and twice as many catalogue hubs located in the region)."""
    min_body_words: int = 6
    """A sentence of fewer words (a chart label such as "Visitors.") is not body text: it neither
    counts for a domain's share nor serves as its example."""


@dataclass
class Statement:
    text: str
    cites: list[str] = field(default_factory=list)  # "3" (text citation 3), "D1" (data citation 1)
    fact: str = ""  # words the cited sentence contains

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Section:
    id: str
    title: str
    statements: list[Statement] = field(default_factory=list)
    note: str = ""
    table: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "note": self.note,
                "statements": [s.to_json() for s in self.statements], "table": self.table}


@dataclass
class RegionProfile:
    region: Region
    documents: list[dict]
    sections: list[Section]
    citations: list[Citation]
    data_citations: list[DataCitation]
    about: dict[str, Any]

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def citation(self, ref: str) -> Citation | DataCitation:
        if ref.startswith("D"):
            return next(c for c in self.data_citations if c.n == ref)
        return next(c for c in self.citations if str(c.n) == ref)

    def to_json(self) -> dict:
        r = self.region
        return {
            "region": {"name": r.name, "nuts": r.nuts, "country": r.country, "names": list(r.names),
                       "documents": list(r.doc_ids), "shared_documents": list(r.shared_doc_ids)},
            "documents": self.documents,
            "sections": [s.to_json() for s in self.sections],
            "citations": [{**asdict(c), "span": list(c.span), "kind": "text"} for c in self.citations],
            "data_citations": [c.to_json() for c in self.data_citations],
            "about": self.about,
        }


class TextRefs:
    """Numbers citations as they are first used: text citations 1, 2, ...; data citations D1, D2."""

    def __init__(self):
        self.text: list[Citation] = []
        self.data: list[DataCitation] = []
        self._text_keys: dict[tuple, str] = {}
        self._data_keys: dict[tuple, str] = {}

    def cite_span(self, p: Document, start: int, end: int) -> str:
        """The sentence of passage ``p`` holding characters start..end."""
        spans = sentence_spans(p)
        s, e, page, offset = next(((a, b, pg, off) for a, b, pg, off in spans if a <= start < b + 1),
                                  (start, end, p.meta.get("page_start", 1), 0))
        key = (p.id, s)
        if key not in self._text_keys:
            n = len(self.text) + 1
            self.text.append(cite(n, p, (s, e), page, offset, (p.content or "")[s:e].strip()))
            self._text_keys[key] = str(n)
        return self._text_keys[key]

    def cite_answer(self, c: Citation) -> str:
        key = (c.passage_id, c.span[0])
        if key not in self._text_keys:
            n = len(self.text) + 1
            self.text.append(renumber(c, n))
            self._text_keys[key] = str(n)
        return self._text_keys[key]

    def cite_data(self, make) -> str:
        """``make(n)`` builds the DataCitation numbered n; the same record is cited once."""
        probe = make("D?")
        key = (probe.file, probe.record)
        if key not in self._data_keys:
            n = f"D{len(self.data) + 1}"
            self.data.append(make(n))
            self._data_keys[key] = n
        return self._data_keys[key]
