"""Keyword-frequency reports and keyword in context (KWIC), as the S3 Platform counted Hubs,
Clusters, innovation ecosystems, living labs and test labs in operational programmes by hand.

Counts come from the concept spans stored on every passage at ingestion (``tag_spans``, from the
lexicon in ``nlp/lexicon/terms.jsonl``), so a report over the whole corpus reads no PDF and runs no
tagger. Free phrases (not in the lexicon) are matched on the stored passage texts folded
(``nlp.text.phrase_pattern``): case and accents do not matter ("wurttemberg" finds "Württemberg"),
nor do line breaks, spacing and hyphens between the words, closed-up compounds included ("one-stop
shop" finds "One-stop-shops" and "one stop shop", "test bed" finds "testbed"), and the English
plural of the last word counts too ("test bed" finds "test beds"). Whole words only; the spans
are those of the original text.

Passages do not overlap, so every mention is counted once. Groups come from the documents'
manifest metadata, except ``language``, which is the language detected for each passage (a
Czech strategy's English summary counts under ``en``), and ``region``: the regions each passage
is about (``nlp.regions``, stored at tagging, as profiles, compare and the region filter read
it), one name per region ("Lithuania (national)" is "Lithuania"); a passage about none of its
document's regions (the seed report's general passages, the OECD boxes on Tuscany) is "(none)".
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterable, Sequence

from haystack import Document
from haystack.utils.filters import document_matches_filter

from index.store import PassageIndex
from nlp.lexicon import load_lexicon
from nlp.passages import sentence_spans
from nlp.regions import passage_region_names
from nlp.tagging import tagging_version
from nlp.text import folded_matches, passage_language, phrase_pattern
from qa.citations import page_label

GROUP_FIELDS = ("doc", "region", "country", "doc_type", "language", "year")
NONE = "(none)"
PHRASE_PREFIX = "phrase:"


@dataclass(frozen=True)
class Term:
    """What a report counts: a lexicon concept (all its variants and languages) or a free phrase."""
    id: str
    label: str
    phrase: str | None = None

    @property
    def is_phrase(self) -> bool:
        return self.phrase is not None


def default_terms() -> list[Term]:
    """The lexicon's support-structure concepts (hubs, clusters, living labs, test labs, ...)."""
    return [Term(c.id, c.label) for c in load_lexicon()[1] if c.group == "support"]


def resolve_terms(items: Sequence[str] | None) -> list[Term]:
    """Concept ids stay concepts; anything else is a free phrase. None or empty: the defaults.
    Raises ValueError for an id-like item ("support.foo") that the lexicon does not know."""
    if not items:
        return default_terms()
    concepts = {c.id: c for c in load_lexicon()[1]}
    terms: list[Term] = []
    for raw in items:
        item = " ".join(raw.split())
        if not item:
            continue
        if item in concepts:
            terms.append(Term(item, concepts[item].label))
        elif item.startswith("domain."):
            raise ValueError(f"{item!r} is a priority domain, not a term; use --tag {item} to keep its passages")
        elif "." in item and " " not in item and item.split(".")[0] in {c.split(".")[0] for c in concepts}:
            raise ValueError(f"unknown concept id {item!r}; known: {', '.join(concepts)}")
        else:
            terms.append(Term(PHRASE_PREFIX + item.lower(), item, phrase=item))
    if not terms:
        raise ValueError("no terms given")
    return list(dict.fromkeys(terms))


def read_terms_file(text: str) -> list[str]:
    """One concept id or phrase a line; blank lines and # comments are skipped."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


# -- finding mentions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Mention:
    term: str
    passage_id: str
    start: int
    end: int


@lru_cache(maxsize=32)
def _phrase_regex(phrases: tuple[str, ...]) -> tuple[re.Pattern | None, dict[str, str]]:
    """One pattern for all the phrases, longest first (at one place the longest phrase wins), and
    the term id of each of its named groups."""
    labels, parts = {}, []
    for i, phrase in enumerate(sorted(phrases, key=lambda x: (-len(x), x))):
        if source := phrase_pattern(phrase, plural=True):
            labels[f"p{i}"] = PHRASE_PREFIX + phrase.lower()
            parts.append(f"(?P<p{i}>{source})")
    return (re.compile("|".join(parts)) if parts else None), labels


def find_mentions(passages: Sequence[Document], terms: Sequence[Term]) -> list[Mention]:
    """Mentions of the terms in the passages, in passage order."""
    concept_ids = {t.id for t in terms if not t.is_phrase}
    phrases = tuple(sorted({t.phrase for t in terms if t.is_phrase}))
    mentions: list[Mention] = []
    if concept_ids:
        for p in passages:
            for start, end, concept in json.loads(p.meta.get("tag_spans", "[]")):
                if concept in concept_ids:
                    mentions.append(Mention(concept, p.id, start, end))
    pattern, labels = _phrase_regex(phrases) if phrases else (None, {})
    if pattern is not None:
        for p in passages:
            mentions.extend(Mention(labels[m.lastgroup], p.id, a, b) for a, b, m in folded_matches(pattern, p.content or ""))
    order = {p.id: i for i, p in enumerate(passages)}
    return sorted(mentions, key=lambda m: (order[m.passage_id], m.start))


def select_passages(index: PassageIndex, filters: dict[str, Any] | None) -> list[Document]:
    """Stored passages that pass a Haystack filter (as made by ``index.resolve_filters``)."""
    passages = list(index.passages().values())
    if not filters:
        return passages
    return [p for p in passages if document_matches_filter(filters, p)]


# -- keyword in context -------------------------------------------------------------------------
@dataclass
class KwicLine:
    term: str
    left: str
    match: str
    right: str
    doc_id: str
    title: str
    region: str
    country: str
    doc_type: str
    page: int | None
    where: str  # "p. 12" or "text file, no page numbers"
    passage_id: str
    start: int  # character offsets of the match in the passage
    end: int
    page_offset: int | None = None  # character offset of the match in its page's text

    def to_json(self) -> dict:
        return asdict(self)


def page_of(p: Document, offset: int) -> tuple[int | None, int | None]:
    """(page, offset in the page's text) of a character offset in a passage."""
    for start, end, page, page_start in sentence_spans(p):
        if start <= offset < end + 1:
            return page, page_start + offset - start
    return p.meta.get("page_start"), None


def kwic_line(p: Document, m: Mention, window: int) -> KwicLine:
    text = p.content or ""
    left = text[:m.start].split()[-window:] if window else []
    right = text[m.end:].split()[:window] if window else []
    meta = p.meta
    page, page_offset = page_of(p, m.start)
    return KwicLine(
        term=m.term, left=" ".join(left), match=" ".join(text[m.start:m.end].split()), right=" ".join(right),
        doc_id=meta.get("doc_id", ""), title=meta.get("title", ""),
        region="; ".join(passage_region_names(meta, text)) or meta.get("region", ""),
        country=meta.get("country", ""), doc_type=meta.get("doc_type", ""), page=page,
        where=page_label(meta, page), passage_id=p.id, start=m.start, end=m.end,
        page_offset=page_offset,
    )


def kwic(index: PassageIndex, terms: Sequence[Term], filters: dict[str, Any] | None = None, window: int = 8,
         limit: int | None = None) -> list[KwicLine]:
    """Keyword-in-context lines of the terms, sorted by document, page and position."""
    passages = select_passages(index, filters)
    by_id = {p.id: p for p in passages}
    lines = [kwic_line(by_id[m.passage_id], m, window) for m in find_mentions(passages, terms)]
    lines.sort(key=lambda k: (k.doc_id, k.page or 0, k.passage_id, k.start))
    return lines[:limit] if limit else lines


# -- the report ---------------------------------------------------------------------------------
def group_values(field_name: str, meta: dict, text: str = "") -> list[str]:
    """The group(s) a passage (its metadata and text) belongs to under one grouping field."""
    if field_name == "doc":
        return [meta.get("doc_id", NONE)]
    if field_name == "region":
        return passage_region_names(meta, text) or [NONE]
    if field_name == "language":
        return [passage_language(meta, NONE)]
    if field_name not in GROUP_FIELDS:
        raise ValueError(f"unknown grouping {field_name!r}; use one of {', '.join(GROUP_FIELDS)}")
    return [str(meta.get(field_name) or NONE)]


@dataclass
class Row:
    group: tuple[str, ...]
    group_label: str
    term: str
    label: str
    count: int
    per_10k_words: float
    documents: int  # documents of the group that mention the term
    documents_in_group: int
    share_of_documents: float
    words: int  # words in the group's passages

    def to_json(self, by: Sequence[str]) -> dict:
        out = {f: g for f, g in zip(by, self.group)}
        out |= {k: v for k, v in asdict(self).items() if k != "group"}
        return out


@dataclass
class Report:
    by: tuple[str, ...]
    terms: list[Term]
    rows: list[Row]
    examples: dict[tuple[tuple[str, ...], str], list[KwicLine]]
    about: dict[str, Any] = field(default_factory=dict)

    @property
    def groups(self) -> list[tuple[str, ...]]:
        return list(dict.fromkeys(r.group for r in self.rows))

    def group_label(self, group: tuple[str, ...]) -> str:
        return next(r.group_label for r in self.rows if r.group == group)

    def cell(self, group: tuple[str, ...], term: str) -> Row:
        return self._cells[(group, term)]

    @property
    def _cells(self) -> dict[tuple[tuple[str, ...], str], Row]:
        return {(r.group, r.term): r for r in self.rows}

    def matrix(self, value: str = "count") -> tuple[list[Term], list[tuple[str, ...]], list[list[float]]]:
        """(terms, groups, values[term][group]): the concept x group table behind the heatmap."""
        cells, groups = self._cells, self.groups
        return self.terms, groups, [[getattr(cells[(g, t.id)], value) for g in groups] for t in self.terms]

    def pivot(self, term: str, value: str = "count") -> tuple[list[str], list[str], list[list[float | None]]]:
        """With two groupings: (first-field values, second-field values, values[row][column]) for one
        term; None where no document has that combination."""
        if len(self.by) != 2:
            raise ValueError("a pivot needs two groupings")
        cells = self._cells
        rows = sorted({g[0] for g in self.groups})
        cols = sorted({g[1] for g in self.groups})
        values = [[getattr(cells[((r, c), term)], value) if ((r, c), term) in cells else None for c in cols]
                  for r in rows]
        return rows, cols, values

    def totals(self) -> list[tuple[Term, int]]:
        """Each term's count over all groups, counting each mention once (regions may overlap)."""
        return [(t, self.about["term_totals"].get(t.id, 0)) for t in self.terms]

    def to_json(self) -> dict:
        return {
            "about": self.about,
            "by": list(self.by),
            "terms": [{"id": t.id, "label": t.label, "phrase": t.phrase} for t in self.terms],
            "rows": [r.to_json(self.by) for r in self.rows],
            "examples": [{"group": list(g), "term": term, "lines": [k.to_json() for k in lines]}
                         for (g, term), lines in self.examples.items()],
        }


def corpus_snapshot(index: PassageIndex) -> dict[str, Any]:
    """What a report was computed on: the ingested documents and their content hashes."""
    docs = sorted((d.doc_id, d.sha256) for d in index.documents() if d.status == "ingested")
    digest = hashlib.sha256("\n".join(f"{i} {h}" for i, h in docs).encode()).hexdigest()[:12]
    return {"documents": len(docs), "snapshot": digest, "index": index.folder.name,
            "tagging_version": index.tagging_version()}


def _spread(lines: Iterable[KwicLine], n: int) -> list[KwicLine]:
    """Up to n lines, from as many different documents as possible."""
    lines = list(lines)
    chosen, seen = [], set()
    for k in lines:
        if k.doc_id not in seen and len(chosen) < n:
            chosen.append(k)
            seen.add(k.doc_id)
    for k in lines:
        if len(chosen) >= n:
            break
        if k not in chosen:
            chosen.append(k)
    return chosen


def keyword_report(index: PassageIndex, terms: Sequence[Term] | None = None, by: Sequence[str] = ("doc",),
                   filters: dict[str, Any] | None = None, examples: int = 3, window: int = 10,
                   filter_labels: dict[str, str] | None = None) -> Report:
    """Count the terms per group. ``by``: one or two of GROUP_FIELDS; ``filters``: a Haystack filter
    from ``index.resolve_filters``; ``examples``: KWIC lines kept per non-empty cell."""
    terms = list(terms or default_terms())
    by = tuple(dict.fromkeys(by or ("doc",)))
    if not 1 <= len(by) <= 2:
        raise ValueError("group by one or two fields")
    for f in by:
        group_values(f, {})  # validates the field name
    passages = select_passages(index, filters)
    if not passages:
        raise ValueError("no passage matches the filters")
    titles = {d.doc_id: d.meta.get("title", d.doc_id) for d in index.documents()}

    def groups_of(p: Document) -> list[tuple[str, ...]]:
        first = group_values(by[0], p.meta, p.content or "")
        if len(by) == 1:
            return [(v,) for v in first]
        return [(a, b) for a in first for b in group_values(by[1], p.meta, p.content or "")]

    words: Counter = Counter()
    docs_in: dict[tuple, set] = defaultdict(set)
    passage_groups = {}
    for p in passages:
        gs = groups_of(p)
        passage_groups[p.id] = gs
        for g in gs:
            words[g] += int(p.meta.get("n_words") or len((p.content or "").split()))
            docs_in[g].add(p.meta.get("doc_id"))
    mentions = find_mentions(passages, terms)
    counts: Counter = Counter()
    docs_with: dict[tuple, set] = defaultdict(set)
    cell_mentions: dict[tuple, list[Mention]] = defaultdict(list)
    by_id = {p.id: p for p in passages}
    for m in mentions:
        for g in passage_groups[m.passage_id]:
            counts[(g, m.term)] += 1
            docs_with[(g, m.term)].add(by_id[m.passage_id].meta.get("doc_id"))
            cell_mentions[(g, m.term)].append(m)

    def label(g: tuple[str, ...]) -> str:
        parts = [titles.get(v, v) if f == "doc" else v for f, v in zip(by, g)]
        return " · ".join(parts)

    rows = []
    for g in sorted(words, key=lambda g: tuple(label((v,)) if f == "doc" else v for f, v in zip(by, g))):
        n_docs = len(docs_in[g])
        for t in terms:
            c = counts[(g, t.id)]
            d = len(docs_with[(g, t.id)])
            rows.append(Row(g, label(g), t.id, t.label, c, round(c / words[g] * 10_000, 2) if words[g] else 0.0,
                            d, n_docs, round(d / n_docs, 3) if n_docs else 0.0, words[g]))
    sample = {}
    if examples:
        for key, ms in cell_mentions.items():
            lines = [kwic_line(by_id[m.passage_id], m, window) for m in ms]
            sample[key] = _spread(lines, examples)
    about = {
        "generated": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "lexicon_version": load_lexicon()[0],
        "tagging_version": tagging_version(),
        **corpus_snapshot(index),
        "filters": filter_labels or {},
        "passages": len(passages),
        "documents_counted": len({p.meta.get("doc_id") for p in passages}),
        "words": sum(int(p.meta.get("n_words") or 0) for p in passages),
        "mentions": len(mentions),
        "term_totals": dict(Counter(m.term for m in mentions)),
        "grouping_note": ("language = language detected per passage; " if "language" in by else "")
                         + ("region = the regions each passage is about (a passage naming two equally "
                            "counts under both); " if "region" in by else "")
                         + "counts from tag spans stored at ingestion",
    }
    return Report(by, terms, rows, sample, about)


def describe_filters(**criteria: str | None) -> dict[str, str]:
    return {k: v for k, v in criteria.items() if v}


__all__ = [
    "GROUP_FIELDS", "KwicLine", "Mention", "Report", "Row", "Term", "corpus_snapshot", "default_terms",
    "describe_filters", "find_mentions", "keyword_report", "kwic", "read_terms_file", "resolve_terms",
    "select_passages",
]
