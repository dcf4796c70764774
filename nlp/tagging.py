"""Rule-based tagging of support structures, process and strategy terms, and priority domains.

The terms are data (``nlp/lexicon/terms.jsonl``: concept ids with variants per language and
case-sensitive acronyms); the domains too (``nlp/lexicon/domains.jsonl``). A registered spaCy
component, ``ris3_term_tagger``, matches them with PhraseMatchers on a blank multilingual pipeline
(nothing downloaded): case-insensitive on whole tokens for variants, case-sensitive for acronyms
(DIH, EDP, S3), longest match wins ("digital innovation hub" is one support.dih, not also a hub),
and context rules drop known false positives (transport hubs, cluster analysis). Each concept's
policy is stated in the lexicon.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from haystack import Document, component
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .lexicon import DOMAINS_FILE, TERMS_FILE, flag, load_lexicon, load_taxonomy

SPANS_KEY = "ris3_terms"
DOMAIN_SPANS_KEY = "ris3_domains"
ORG_SPANS_KEY = "ris3_orgs"


def tagging_version(catalogue: str | None = None) -> str:
    """Changes whenever the lexicon, the taxonomy, the organisations, the region gazetteer or the
    region rule change: stored passages are then re-tagged (not re-embedded)."""
    from .entities import NER_VERSION
    from .organisations import load_organisations
    from .regions import regions_version

    return (f"terms-{load_lexicon()[0]}+domains-{load_taxonomy()[0]}.{DOMAIN_RULE}+orgs-{load_organisations(catalogue)[0]}"
            f"+ner-{NER_VERSION}+regions-{regions_version()}")


@Language.factory("ris3_term_tagger", default_config={"terms_path": str(TERMS_FILE), "domains_path": str(DOMAINS_FILE),
                                                      "catalogue_path": ""})
def make_term_tagger(nlp: Language, name: str, terms_path: str, domains_path: str, catalogue_path: str) -> "TermTagger":
    return TermTagger(nlp, name, Path(terms_path), Path(domains_path), catalogue_path or None)


class TermTagger:
    """Sets ``doc.spans["ris3_terms"]`` (label = concept id) and ``doc.spans["ris3_domains"]``
    (label = domain id, one span per domain keyword)."""

    def __init__(self, nlp: Language, name: str, terms_path: Path, domains_path: Path, catalogue_path: str | None = None):
        from .lexicon import is_acronym
        from .organisations import load_organisations

        self.name = name
        _, self.concepts = load_lexicon(terms_path)
        _, self.domains = load_taxonomy(domains_path)
        self.by_id = {c.id: c for c in self.concepts}
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.domain_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for c in self.concepts:
            phrases = sorted({v for vs in c.variants.values() for v in vs})
            self.lower.add(c.id, [nlp.make_doc(p) for p in phrases])
            if c.acronyms:
                self.exact.add(c.id, [nlp.make_doc(a) for a in c.acronyms])
        for d in self.domains:
            phrases = sorted({k for ks in d.keywords.values() for k in ks})
            if phrases:
                self.domain_matcher.add(d.id, [nlp.make_doc(p) for p in phrases])
        self.org_lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.org_exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        for o in load_organisations(catalogue_path)[1]:
            exact = [a for a in o.aliases if is_acronym(a)]
            loose = [a for a in o.aliases if not is_acronym(a)]
            if exact:
                self.org_exact.add(o.id, [nlp.make_doc(a) for a in exact])
            if loose:
                self.org_lower.add(o.id, [nlp.make_doc(a) for a in loose])

    def __call__(self, doc: Doc) -> Doc:
        spans = [Span(doc, s, e, label=doc.vocab.strings[m]) for m, s, e in self.lower(doc) + self.exact(doc)]
        terms = [s for s in filter_spans(spans) if self._keep(doc, s)]
        doc.spans[SPANS_KEY] = terms
        in_terms = {i for t in terms for i in range(t.start, t.end)}  # "digital" in a DIH name is no ICT evidence
        domain_spans = [Span(doc, s, e, label=doc.vocab.strings[m]) for m, s, e in self.domain_matcher(doc)
                        if not in_terms.intersection(range(s, e))]
        doc.spans[DOMAIN_SPANS_KEY] = filter_spans(domain_spans)
        orgs = [Span(doc, s, e, label=doc.vocab.strings[m]) for m, s, e in self.org_lower(doc) + self.org_exact(doc)]
        doc.spans[ORG_SPANS_KEY] = filter_spans(orgs)
        return doc

    def _keep(self, doc: Doc, span: Span) -> bool:
        c = self.by_id[span.label_]
        before = {t.lower_ for t in doc[max(span.start - 2, 0):span.start]}
        after = {t.lower_ for t in doc[span.end:span.end + 1]}
        if c.not_before and before & set(c.not_before):
            return False
        if c.not_after and after & set(c.not_after):
            return False
        return True


@lru_cache(maxsize=4)
def tagger_pipeline(catalogue: str | None = None) -> Language:
    """A blank multilingual pipeline with the tagger: tokeniser rules only, nothing downloaded."""
    import spacy
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("xx")
    nlp.max_length = 5_000_000
    # Split hyphens after digits and capitals too ("RIS3-DIH", "AM-DIH", "4.0-Competence Centres"),
    # and footnote numbers glued to a closing bracket or comma ("(AM-DIH),42", "PRODUTECH,29").
    infixes = list(nlp.Defaults.infixes) + [r"(?<=[\w.])-(?=\w)", r"(?<=\w)\)(?=[,.;:]?\d)", r"(?<=[\w)]),(?=\d)"]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    nlp.add_pipe("ris3_term_tagger", config={"catalogue_path": catalogue or ""})
    return nlp


@dataclass
class TagResult:
    spans: list[tuple[int, int, str]]  # (start_char, end_char, concept id)
    domain_hits: Counter
    orgs: list[tuple[int, int, str]] = field(default_factory=list)  # (start_char, end_char, organisation id)

    @property
    def counts(self) -> Counter:
        return Counter(c for _, _, c in self.spans)


BARE_HUB = {"hub", "hubs"}


def tag_text(text: str, catalogue: str | None = None) -> TagResult:
    """Concept spans, domain keyword hits and organisation mentions of one text. ``catalogue``:
    path of the JRC DIH catalogue JSON, to recognise its hubs too."""
    doc = tagger_pipeline(catalogue)(text)
    terms = list(doc.spans[SPANS_KEY])
    if any(s.label_ == "support.dih" for s in terms):
        # "the Hub", "most Hubs" next to a DIH name refer to that DIH: not another hub.
        terms = [s for s in terms if not (s.label_ == "support.hub" and s.text.lower() in BARE_HUB)]
    spans = [(s.start_char, s.end_char, s.label_) for s in terms]
    orgs = [(s.start_char, s.end_char, s.label_) for s in doc.spans[ORG_SPANS_KEY]]
    return TagResult(spans, Counter(s.label_ for s in doc.spans[DOMAIN_SPANS_KEY]), orgs)


DOMINANT_SHARE = 0.25
DOMAIN_RULE = "r2"  # bump when assign_domains changes: stored passages are re-tagged


def dominant_domains(document_hits: Counter, share: float = DOMINANT_SHARE, min_total: int = 10) -> frozenset[str]:
    """The domains a document is mainly about: each with at least ``share`` of all the domain
    keyword hits in the document (a tourism EDP report: tourism; a DIH report: ICT, manufacturing).
    None when the document has fewer than ``min_total`` hits: too little to say what it is about."""
    total = sum(document_hits.values())
    if total < min_total:
        return frozenset()
    return frozenset(d for d, n in document_hits.items() if n / total >= share)


def assign_domains(hits: Counter, dominant: frozenset[str] = frozenset(), min_hits: int = 3) -> list[str]:
    """Domains of a passage: those with at least ``min_hits`` keyword hits in it, and the
    document's dominant domains with at least one hit (in a tourism strategy, a passage that
    names tourism once is about tourism). Chosen on the gold set; both document-disjoint halves
    improved over passage evidence alone (see README, tagging figures)."""
    return sorted(d for d, n in hits.items() if n >= min_hits or (n >= 1 and d in dominant))


def passage_tag_meta(text: str, catalogue: str | None = None, dominant: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Metadata that tagging adds to a passage: scalar or flat-list values only (Chroma).
    ``dominant``: the dominant domains of the passage's document (see ``assign_domains``)."""
    return tag_meta(tag_text(text, catalogue), dominant)


def tag_meta(result: TagResult, dominant: frozenset[str] = frozenset()) -> dict[str, Any]:
    counts = result.counts
    domains = assign_domains(result.domain_hits, dominant)
    meta: dict[str, Any] = {
        "tag_counts": json.dumps(dict(sorted(counts.items())), separators=(",", ":")),
        "tag_spans": json.dumps(result.spans, separators=(",", ":")),
        "domain_hits": json.dumps(dict(sorted(result.domain_hits.items())), separators=(",", ":")),
    }
    if counts:
        meta["tags"] = sorted(counts)
    if domains:
        meta["domains"] = domains
    if result.orgs:
        meta["orgs"] = sorted({o for _, _, o in result.orgs})
        meta["org_spans"] = json.dumps(result.orgs, separators=(",", ":"))
    for c in counts:
        meta[flag(c)] = True
    for d in domains:
        meta[flag(d)] = True
    return meta


TAG_META_PREFIXES = ("tag__", "dom__")
TAG_META_KEYS = ("tag_counts", "tag_spans", "domain_hits", "tags", "domains", "orgs", "org_spans")


def strip_tag_meta(meta: dict) -> dict:
    """The metadata without what tagging adds (tags, domains, organisations, region attribution)."""
    from .regions import strip_region_meta

    return strip_region_meta({k: v for k, v in meta.items() if k not in TAG_META_KEYS and not k.startswith(TAG_META_PREFIXES)})


@component
class PassageTagger:
    """Haystack component: adds concept tags, spans, priority domains, organisation mentions and
    the regions each passage is about (``nlp.regions.region_meta``, from the passage's document
    ``region`` field) to passages. :param catalogue_path: the JRC DIH catalogue JSON (optional)."""

    def __init__(self, catalogue_path: str | None = None):
        self.catalogue_path = catalogue_path

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        results = [tag_text(d.content or "", self.catalogue_path) for d in documents]
        document_hits: dict[str, Counter] = {}
        for d, r in zip(documents, results):
            document_hits.setdefault(d.meta.get("doc_id", ""), Counter()).update(r.domain_hits)
        from .regions import region_meta

        dominant = {doc_id: dominant_domains(hits) for doc_id, hits in document_hits.items()}
        tagged = [replace(d, meta={**strip_tag_meta(d.meta), **tag_meta(r, dominant[d.meta.get("doc_id", "")]),
                                   **region_meta(d.meta.get("region", ""), d.content or "")})
                  for d, r in zip(documents, results)]
        return {"documents": tagged}


def document_profile(passages: list[Document]) -> dict[str, Any]:
    """Per document: concept counts, and domain shares (share of words in passages of each domain)."""
    counts: Counter = Counter()
    orgs: Counter = Counter()
    names: Counter = Counter()  # organisation names found by NER (English passages)
    domain_words: Counter = Counter()
    total = 0
    for p in passages:
        counts.update(json.loads(p.meta.get("tag_counts", "{}")))
        orgs.update(o for _, _, o in json.loads(p.meta.get("org_spans", "[]")))
        names.update(p.meta.get("org_names", []))
        n = len((p.content or "").split())
        total += n
        for d in p.meta.get("domains", []):
            domain_words[d] += n
    shares = {d: round(w / total, 3) for d, w in domain_words.most_common()} if total else {}
    return {"tag_counts": dict(counts.most_common()), "domain_shares": shares, "org_counts": dict(orgs.most_common()),
            "org_names": dict(names.most_common(50))}
