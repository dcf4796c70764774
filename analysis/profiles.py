"""Region profiles: the brief an EDP facilitator hands out before a workshop, and the rows of a
cross-region comparison.

A profile is a list of sections of *statements*; every statement carries the citations it rests
on, as data: a text citation (document, page, the sentence and its offsets, as answers cite) or a
data citation (dataset file, record, CSV lines). ``Statement.fact`` holds the words the cited
sentence must contain for the statement to be true ("DIGIMAT", "cluster", a domain keyword), so
that a reader, and the tests, can check every statement against its source.

Sections: documents; priority domains (first the areas the region's own strategy lists under its
smart specialisation heading, ``priority_areas``; for Czech regions the official domains of the
national RIS3 annex; then the share of the region's body text tagged with each domain); support
structures (lexicon concepts with example sentences); hubs and organisations (gazetteer mentions
linked to the JRC DIH catalogue, and the catalogue's hubs located in the region); what the
documents say about the entrepreneurial discovery process and about digitalisation (extractive
answers, as ``ris3 ask`` gives them, restricted to the region's passages); funding (2014-2020
programmes covering the region, planned amounts by thematic objective).
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from haystack import Document

from ingest.datasets import fold, load_cz_domains
from nlp.lexicon import load_lexicon, load_taxonomy
from nlp.passages import sentence_spans
from nlp.tagging import DOMAIN_SPANS_KEY, tagger_pipeline
from qa.citations import page_label
from qa.service import Asker, Filters

from .funding import FundingData, money
from .hubs import HubCatalogue
from .priority_areas import strategy_areas
from .profile_types import ProfileSettings, RegionProfile, Section, Statement, TextRefs
from .regions import Region, RegionResolver, region_passages
from .reports import corpus_snapshot, default_terms, find_mentions
from .sources import DataCitation, dataset, datasets

EDP_QUESTION = "How is the entrepreneurial discovery process organised, and who takes part in it?"
DIGITAL_QUESTION = "What do the documents say about digitalisation, digital innovation hubs and ICT?"
TO_LABELS = {"01": "research and innovation", "02": "ICT", "03": "SME competitiveness"}


def is_body_text(sentence: str, min_words: int) -> bool:
    """A sentence of prose: at least ``min_words`` words, begun with a capital letter, ended with
    a full stop (or ! ? : ;), three quarters of its words made of letters (a chart's "Visitors.",
    a row of figures, a numbered list of issues or a list of abbreviations is not body text)."""
    s = " ".join(sentence.split())
    words = s.split()
    letters = sum(w.strip(".,;:()%’'\"“”").isalpha() for w in words)
    return (len(words) >= min_words and s[:1].isupper() and s[-1:] in ".!?:;" and letters * 4 >= len(words) * 3
            and not any(w.isdigit() and len(w) == 3 for w in words[1:]))


def body_spans(p: Document, min_words: int) -> list[tuple[int, int]]:
    """Spans of the passage's body text (``is_body_text``)."""
    text = p.content or ""
    return [(a, b) for a, b, _, _ in sentence_spans(p) if is_body_text(text[a:b], min_words)]


def domain_words(passages: list[Document], min_words: int = ProfileSettings.min_body_words
                 ) -> tuple[Counter, dict[str, list[tuple[Document, int, int]]], int]:
    """(body words per priority domain, evidence per domain, body words in all): a passage counts
    for a domain tagged on it at ingestion when one of the domain's keywords is in its body text
    (``body_spans``), with its body words; the evidence is that keyword's span."""
    words: Counter = Counter()
    evidence: dict[str, list[tuple[Document, int, int]]] = defaultdict(list)
    total = 0
    nlp = tagger_pipeline()
    for p in passages:
        body = body_spans(p, min_words)
        n = sum(len((p.content or "")[a:b].split()) for a, b in body)
        total += n
        tagged = set(p.meta.get("domains") or [])
        if not tagged or not body:
            continue
        seen: set[str] = set()
        doc = nlp(p.content or "")  # kept: its spans need it
        for s in doc.spans[DOMAIN_SPANS_KEY]:
            if s.label_ in tagged and s.label_ not in seen and any(a <= s.start_char < b for a, b in body):
                seen.add(s.label_)
                words[s.label_] += n
                evidence[s.label_].append((p, s.start_char, s.end_char))
    return words, evidence, total


def region_mentions(region: Region, passages: list[Document], terms) -> dict[str, list]:
    """Mentions of the terms in the region's passages (``region_passages``: the passages about the
    region, by ``nlp.regions``), so that a region's count is the keyword report's for that region."""
    per: dict[str, list] = defaultdict(list)
    for m in find_mentions(passages, terms) if passages else []:
        per[m.term].append(m)
    return per


class ProfileBuilder:
    """:param asker: answers the EDP and digitalisation questions (models loaded once) and gives
    the index; ``None`` leaves those two sections out (no model needed).
    :param corpus: the corpus folder, for the datasets in ``corpus/data``.
    :param settings: how many domains, examples and items a profile shows (``ProfileSettings``)."""

    def __init__(self, index, corpus: Path, asker: Asker | None = None, settings: ProfileSettings | None = None):
        self.index = index
        self.corpus = corpus
        self.asker = asker
        self.settings = settings or ProfileSettings()
        self.resolver = RegionResolver(dataset(corpus, "nuts").path, index.documents())
        found = datasets(corpus)
        self.hubs = HubCatalogue(found["hubs"]) if "hubs" in found else None
        self.funding = FundingData(found["finances"], found["programme_regions"]) \
            if {"finances", "programme_regions"} <= set(found) else None

    def build(self, region_query: str) -> RegionProfile:
        region = self.resolver.resolve(region_query)
        passages = region_passages(self.index, region)
        refs = TextRefs()
        sections = [
            self._domains(region, passages, refs),
            self._support(region, passages, refs),
            self._hubs(region, passages, refs),
        ]
        if self.asker is not None:
            sections.append(self._answer_section("edp", "Entrepreneurial discovery process", EDP_QUESTION,
                                                 region, passages, refs))
            sections.append(self._answer_section("digital", "Digitalisation", DIGITAL_QUESTION,
                                                 region, passages, refs))
        sections.append(self._funding(region, refs))
        about = {
            "generated": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "query": region_query, "passages": len(passages),
            "words": sum(int(p.meta.get("n_words") or 0) for p in passages),
            **corpus_snapshot(self.index), "lexicon_version": load_lexicon()[0],
        }
        return RegionProfile(region, self._documents(region, passages), sections, refs.text, refs.data, about)

    # -- sections --------------------------------------------------------------------------------
    def _documents(self, region: Region, passages: list[Document]) -> list[dict]:
        used = Counter(p.meta.get("doc_id") for p in passages)
        out = []
        for d in self.index.documents():
            if d.doc_id not in region.all_doc_ids:
                continue
            m = d.meta
            scope = ("covers several regions: only its passages naming the region are used"
                     if d.doc_id in region.shared_doc_ids else
                     "national document" if d.doc_id in region.national_doc_ids else "")
            out.append({"doc_id": d.doc_id, "title": m.get("title", ""), "doc_type": m.get("doc_type", ""),
                        "year": m.get("year", ""), "language": m.get("language", ""), "pages": d.n_pages,
                        "passages_used": used.get(d.doc_id, 0), "passages": d.n_passages, "scope": scope,
                        "file": d.file})
        return out

    def _domains(self, region: Region, passages: list[Document], refs: TextRefs) -> Section:
        sec = Section("domains", "Priority domains")
        notes = self._strategy_areas(region, passages, refs, sec) + self._official_domains(region, refs, sec)
        labels = {d.id: d.label for d in load_taxonomy()[1]}
        words, evidence, words_total = domain_words(passages, self.settings.min_body_words)
        if passages:
            notes.append("Shares: share of the region's body text (words of the passages whose body text, not "
                         "charts or tables, holds one of the domain's keywords; a passage may carry several "
                         "domains). Example sentences contain one of the domain's keywords.")
        shares = []
        for dom, w in words.most_common(self.settings.max_domains):
            share = w / (words_total or 1)
            if share < self.settings.min_domain_share:
                break
            best = sorted(evidence[dom], key=lambda e: -json.loads(e[0].meta.get("domain_hits") or "{}").get(dom, 0))
            cites = list(dict.fromkeys(refs.cite_span(p, a, b) for p, a, b in best[: self.settings.examples]))
            fact = (best[0][0].content or "")[best[0][1]:best[0][2]] if best else ""
            shares.append(Statement(f"{labels.get(dom, dom)}: {share:.0%} of the region's text "
                                    f"({len(evidence[dom])} passages).", cites, fact))
        if not shares and passages:
            shares.append(Statement(f"No priority domain reaches {self.settings.min_domain_share:.0%} of the "
                                    "region's text."))
        sec.statements += shares
        sec.note = " ".join(notes)
        if not sec.statements:
            sec.statements.append(Statement("No indexed text or domain data for this region."))
        return sec

    def _strategy_areas(self, region: Region, passages: list[Document], refs: TextRefs, sec: Section) -> list[str]:
        """The areas the region's own strategies name for themselves, first."""
        by_doc: dict[str, list[Document]] = defaultdict(list)
        for p in passages:
            if p.meta.get("doc_id") in region.doc_ids:
                by_doc[p.meta["doc_id"]].append(p)
        named = []
        for ps in by_doc.values():
            for area in strategy_areas(ps):
                named.append(area)
                first_line = area.passage.content[area.start:area.end].split("\n")[0]  # the cited sentence holds it
                sec.statements.append(Statement(f"Strategy area: {area.name}.", [refs.cite_span(
                    area.passage, area.start, area.end)], " ".join(first_line.split())))
        note = ("Strategy areas: the smart specialisation areas the region's strategy lists under its own "
                "heading, as it names them.")
        return [note] if named else []

    def _official_domains(self, region: Region, refs: TextRefs, sec: Section) -> list[str]:
        """For Czech regions, the official domains of the national RIS3 annex."""
        if region.country != "CZ" or "cz_domains" not in datasets(self.corpus):
            return []
        ds, reg = dataset(self.corpus, "cz_domains"), dataset(self.corpus, "cz_regions")
        source, by_nuts = load_cz_domains(str(ds.path), str(reg.path))
        for dom in by_nuts.get(region.nuts, []):
            n = refs.cite_data(lambda n, dom=dom: DataCitation(n, ds.title, ds.file, f"{dom.region}, domain {dom.index + 1}"))
            nace = f" (CZ-NACE {', '.join(dom.nace[:8])}{' ...' if len(dom.nace) > 8 else ''})" if dom.nace else ""
            sec.statements.append(Statement(f"Official domain: {dom.name}{nace}.", [n], dom.name))
        note = f"Official domains: the Czech national RIS3 annex ({source or 'source not given'}), in Czech as published."
        return [note] if by_nuts.get(region.nuts) else []

    def _support(self, region: Region, passages: list[Document], refs: TextRefs) -> Section:
        sec = Section("support", "Support structures named",
                      note="Mentions of the lexicon's support-structure concepts (all languages and variants), "
                           "with example sentences from different documents where possible.")
        terms = default_terms()
        by_id = {p.id: p for p in passages}
        per = region_mentions(region, passages, terms)
        for t in terms:
            ms = per.get(t.id, [])
            if not ms:
                continue
            docs = {by_id[m.passage_id].meta.get("doc_id") for m in ms}
            chosen, seen_docs = [], set()
            claimed = [m for m in ms if region.claims(by_id[m.passage_id], m.start)] or ms
            claimed = [m for m in claimed if self._in_body(by_id[m.passage_id], m.start)] or claimed
            for m in claimed:  # spread examples over documents, from sentences about the region
                d = by_id[m.passage_id].meta.get("doc_id")
                if d not in seen_docs:
                    chosen.append(m)
                    seen_docs.add(d)
            chosen += [m for m in claimed if m not in chosen]
            cites: list[str] = []
            for m in chosen:
                if len(cites) >= self.settings.examples:
                    break
                ref = refs.cite_span(by_id[m.passage_id], m.start, m.end)
                if ref not in cites:
                    cites.append(ref)
            first = chosen[0]
            fact = (by_id[first.passage_id].content or "")[first.start:first.end]
            sec.statements.append(Statement(
                f"{t.label}: {len(ms)} mention{'s' if len(ms) != 1 else ''} in {len(docs)} document{'s' if len(docs) != 1 else ''}.",
                cites, " ".join(fact.split())))
        if not sec.statements:
            sec.statements.append(Statement("The region's documents name none of the support-structure concepts."
                                             if passages else "No indexed text for this region."))
        return sec

    def _in_body(self, p: Document, start: int) -> bool:
        return any(a <= start < b for a, b in body_spans(p, self.settings.min_body_words))

    def _hubs(self, region: Region, passages: list[Document], refs: TextRefs) -> Section:
        sec = Section("hubs", "Hubs and organisations",
                      note="Organisations and hubs the documents name (curated list and the JRC DIH catalogue), "
                           "linked to their catalogue entry where one matches; then the catalogue's hubs located "
                           "in the region.")
        from nlp.organisations import load_organisations

        catalogue = str(self.hubs.dataset.path) if self.hubs else None
        orgs = {o.id: o for o in load_organisations(catalogue)[1]}
        found: dict[str, list[tuple[Document, int, int]]] = defaultdict(list)
        for p in passages:
            for start, end, org in json.loads(p.meta.get("org_spans", "[]")):
                if region.claims(p, start):
                    found[org].append((p, start, end))
        for org_id, hits in sorted(found.items(), key=lambda kv: -len(kv[1]))[: self.settings.max_items]:
            o = orgs.get(org_id)
            if o is None:
                continue
            p, start, end = hits[0]
            cites = [refs.cite_span(p, start, end)]
            text = f"{o.name}: named {len(hits)} time{'s' if len(hits) != 1 else ''}"
            if o.catalogue_id and self.hubs and o.catalogue_id in self.hubs.by_id:
                h = self.hubs.by_id[o.catalogue_id]
                cites.append(refs.cite_data(lambda n, h=h: self.hubs.citation(n, h)))
                place = ", ".join(x for x in (h.locality, h.country) if x)
                sectors = "; ".join(h.sectors[:4]) + (" ..." if len(h.sectors) > 4 else "")
                text += f". In the DIH catalogue as “{h.name}” ({place}{'; sectors: ' + sectors if sectors else ''})"
            sec.statements.append(Statement(text + ".", cites, " ".join((p.content or "")[start:end].split())))
        if self.hubs:
            located = self._located_hubs(region)
            if located:
                shown = located[: self.settings.max_items * 2]
                cites = [refs.cite_data(lambda n, h=h: self.hubs.citation(n, h)) for h in shown]
                names = "; ".join(f"{h.name} ({h.locality})" if h.locality else h.name for h in shown)
                more = f" and {len(located) - len(shown)} more" if len(located) > len(shown) else ""
                where = "the country" if len(region.nuts) == 2 else "the region (by name, description or city)"
                sec.statements.append(Statement(
                    f"The DIH catalogue lists {len(located)} hub{'s' if len(located) != 1 else ''} in {where}: {names}{more}.",
                    cites, shown[0].name))
            else:
                sec.statements.append(Statement(f"The DIH catalogue snapshot ({len(self.hubs.hubs)} hubs) lists no hub "
                                                f"located in {region.name}."))
        return sec

    def _located_hubs(self, region: Region) -> list:
        country = fold(self.resolver.nuts[region.country].en) if region.country in self.resolver.nuts else ""
        if not country:
            return []
        aliases = {"czech republic": {"czechia"}, "united kingdom": {"uk"}}.get(country, set()) | {country}
        in_country = [h for h in self.hubs.hubs if fold(h.country) in aliases]
        if len(region.nuts) == 2:
            return in_country
        return [h for h in in_country if region.mentioned_in(" ".join([h.name, h.description, h.locality, h.region]))]

    def _answer_section(self, sid: str, title: str, question: str, region: Region, passages: list[Document],
                        refs: TextRefs) -> Section:
        sec = Section(sid, title, note=f"Extractive answer to “{question}” from the region's passages only.")
        if not passages:
            sec.statements.append(Statement("No indexed text for this region."))
            return sec
        answer = self.asker.ask(question, Filters(doc_id=",".join(sorted({p.meta["doc_id"] for p in passages}))),
                                keep=region.keeps)
        if not answer.answered and answer.nearest and not answer.missing:
            c = answer.nearest[0]
            sec.statements.append(Statement(f"(Low confidence: no sentence reaches the answer threshold; nearest "
                                            f"sentence:) {c.sentence}", [refs.cite_answer(c)], c.sentence[:60]))
            return sec
        if not answer.answered:
            sec.statements.append(Statement("The region's documents do not seem to address this."))
            return sec
        for c in answer.citations:
            sec.statements.append(Statement(c.sentence, [refs.cite_answer(c)], c.sentence[:60]))
        return sec

    def _funding(self, region: Region, refs: TextRefs) -> Section:
        sec = Section("funding", "Funding context (ESIF 2014-2020, planned)")
        if self.funding is None:
            sec.statements.append(Statement("The corpus has no cohesion finance data."))
            return sec
        try:
            programmes = self.funding.programmes_for(region)
        except ValueError:
            programmes = []
        sec.note = (f"Planned amounts from {self.funding.finances.title}; programmes matched to the region through "
                    f"{self.funding.programme_regions.title}. National programmes cover the whole country: their "
                    "amounts are not the region's share.")
        for p in programmes:
            n = refs.cite_data(lambda n, p=p: self.funding.citation(n, p))
            scope = {"regional": "regional programme", "national": "national programme",
                     "other": "national programme, not in the ERDF table"}.get(p.scope, p.scope)
            cat = f"; {', '.join(p.categories).lower()} region{'s' if len(p.categories) > 1 else ''}" if p.categories else ""
            sec.statements.append(Statement(
                f"{p.title} ({p.cci}, {scope}; {'/'.join(p.funds)}{cat}): {money(p.eu_amount)} EU funding planned "
                f"({money(p.total_amount)} with national co-financing), of which {money(p.research_eu_amount)} for "
                f"thematic objectives 1-3 (research and innovation, ICT, SME competitiveness).", [n], p.cci))
            if p.scope == "regional":
                rows = self.funding.table(self.funding.rows([p.cci]), by=("to",))
                for r in rows.itertuples():
                    sec.table.append({"programme": p.title, "cci": p.cci, "thematic objective": r.to,
                                      "label": r.to_label or "(not given)", "EU amount (EUR)": round(r.eu_amount),
                                      "total (EUR)": round(r.total_amount), "cite": n})
        if not programmes:
            sec.statements.append(Statement(f"No 2014-2020 programme of the bundled cohesion data could be matched "
                                            f"to {region.name}."))
        return sec


def profile_filename(region: Region, ext: str) -> str:
    import re

    return "profile-" + re.sub(r"[^a-z0-9]+", "-", fold(region.name)).strip("-") + "." + ext


__all__ = ["ProfileBuilder", "RegionProfile", "Section", "Statement", "page_label", "profile_filename"]
