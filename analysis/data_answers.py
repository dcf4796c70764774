"""Answers from the bundled data, beside the text answer: planned funding (region, programme,
fund, thematic objective), hubs of the JRC DIH catalogue (region, country, sector, technology)
and the Czech regions' official RIS3 domains. Each answer cites its data (file, record, CSV
lines, source and date) as ``DataCitation``s.

An intent is recognised by a rule (its words: "how much", "ERDF", "budget"; "DIH", "hubs";
"domains", "priorities") together with an entity the data knows (a region or a country), and
confirmed by similarity to the intent's example questions (multilingual vectors): a rule alone
with a weak similarity, or a similar question without an entity, is no data question."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.store import PassageIndex
from ingest.datasets import fold, load_cz_domains, load_nuts

from .funding import FundingData
from .hubs import HubCatalogue
from .regions import Region, RegionResolver
from .sources import DataCitation, dataset, datasets

EXAMPLES = {
    "funding": ("How much ERDF did the region plan for research and innovation?",
                "What is the planned EU funding of the regional operational programme?",
                "How much money does the programme allocate to SME competitiveness?",
                "What budget does the ESF plan for employment in the region?"),
    "hubs": ("Which digital innovation hubs support manufacturing in the region?",
             "Which DIHs are there in this country?",
             "Which hubs offer services on artificial intelligence?",
             "List the digital innovation hubs for agriculture."),
    "cz_domains": ("What are the domains of specialisation of the Czech region?",
                   "Which RIS3 domains did the region choose?",
                   "What are the regional priority domains in the national RIS3 annex?"),
}
RULES = {
    "funding": re.compile(r"\b(how much|fund(s|ing|ed)?|budget|allocat\w*|planned|money|eur|euro|erdf|esf|eafrd|"
                          r"cohesion fund|yei|financ\w*)\b", re.I),
    "hubs": re.compile(r"\b(dihs?|digital innovation hubs?|innovation hubs?|hubs?)\b", re.I),
    "cz_domains": re.compile(r"\b(domains?|domén\w*|specialisation fields?|specialization fields?|priorit\w*)\b", re.I),
}
FUNDS = {"erdf": "ERDF", "esf": "ESF", "cohesion fund": "CF", "eafrd": "EAFRD", "emff": "EMFF", "yei": "YEI"}
THEMATIC_OBJECTIVES = {  # TO code -> words that name it in a question
    "01": ("research", "innovation", "r&d", "rdi", "rtdi"), "02": ("ict", "digital", "broadband"),
    "03": ("sme", "smes", "competitiveness"), "04": ("low-carbon", "low carbon", "energy efficiency", "renewable"),
    "05": ("climate",), "06": ("environment", "resource efficiency"), "07": ("transport",),
    "08": ("employment", "jobs", "labour"), "09": ("social inclusion", "poverty"),
    "10": ("education", "training", "skills"), "11": ("institutional capacity", "public administration"),
}


@dataclass(frozen=True)
class DataAnswerSettings:
    """:param min_similarity: a rule's intent stands when the question is at least this similar
        (multilingual cosine) to one of the intent's example questions.
    :param rows: most table rows an answer lists."""

    min_similarity: float = 0.3
    rows: int = 12


@dataclass
class DataAnswer:
    intent: str  # "funding", "hubs", "cz_domains"
    text: str  # the answer, with [D1]-style markers
    rows: list[dict] = field(default_factory=list)
    citations: list[DataCitation] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"intent": self.intent, "text": self.text, "rows": self.rows,
                "citations": [c.to_json() for c in self.citations]}


class DataAnswerer:
    """:param corpus: the corpus folder (its ``data/`` datasets); :param index: for region names."""

    def __init__(self, corpus: Path, index: PassageIndex, settings: DataAnswerSettings | None = None):
        self.corpus = Path(corpus)
        self.index = index
        self.settings = settings or DataAnswerSettings()
        self._ready = False

    def warm_up(self) -> None:
        if self._ready:
            return
        from index.multilingual import MultilingualEncoder

        found = datasets(self.corpus)
        self.funding = FundingData(found["finances"], found["programme_regions"]) \
            if "finances" in found and "programme_regions" in found else None
        self.hubs = HubCatalogue(found["hubs"]) if "hubs" in found else None
        self.resolver = RegionResolver.for_index(self.corpus / "data" / "nuts-regions.json", self.index) \
            if "nuts" in found or (self.corpus / "data" / "nuts-regions.json").exists() else None
        self.names = sorted(self.resolver.known_names(), key=len, reverse=True) if self.resolver else []
        self.nuts = load_nuts(str(self.corpus / "data" / "nuts-regions.json")) if self.resolver else {}
        self.encoder = MultilingualEncoder()
        self.examples = {k: self.encoder.encode(list(v)) for k, v in EXAMPLES.items()}
        self._ready = True

    # -- recognising ----------------------------------------------------------------------
    def region_in(self, question: str) -> Region | None:
        """The first region the question names (longest name first), as the resolver knows it."""
        words = re.sub(r"[^\w&-]+", " ", fold(question)).split()
        q = f" {' '.join(words)} "
        for name in self.names:
            if f" {fold(name)} " in q:
                try:
                    return self.resolver.resolve(name, suggest=False)
                except ValueError:
                    continue
        return None

    def country_in(self, question: str) -> str | None:
        q = fold(question)
        for c in (self.hubs.countries() if self.hubs else []):
            if re.search(rf"\b{re.escape(fold(c))}\b", q):
                return c
        return None

    def intent(self, question: str) -> str | None:
        """The data intent of a question, or None."""
        self.warm_up()
        fired = [k for k, rule in RULES.items() if rule.search(question)]
        if not fired:
            return None
        v = self.encoder.encode_query(question)
        sims = {k: float(np.max(self.examples[k] @ v)) for k in fired}
        best = max(sims, key=sims.get)
        return best if sims[best] >= self.settings.min_similarity else None

    def answer(self, question: str) -> DataAnswer | None:
        """The data's answer to a data question (None: not one, or the data has nothing)."""
        intent = self.intent(question)
        region = self.region_in(question) if intent else None
        if intent == "funding" and self.funding is not None and region is not None:
            return self._funding(question, region)
        if intent == "hubs" and self.hubs is not None:
            country = self.country_in(question)
            if region is not None or country is not None:
                return self._hubs(question, region, country)
        if intent == "cz_domains" and region is not None and region.country == "CZ":
            return self._cz_domains(region)
        return None

    # -- answering ------------------------------------------------------------------------
    def _funding(self, question: str, region: Region) -> DataAnswer | None:
        q = f" {question.lower()} "
        fund = next((code for word, code in FUNDS.items() if re.search(rf"\b{word}\b", q)), None)
        to = next((code for code, words in THEMATIC_OBJECTIVES.items() if any(re.search(rf"\b{re.escape(w)}\b", q)
                                                                               for w in words)), None)
        programmes = [p for p in self.funding.programmes_for(region) if p.scope == "regional"]
        if not programmes:
            return None
        rows = self.funding.rows([p.cci for p in programmes], fund=fund, to=to, scopes={p.cci: p.scope for p in programmes})
        table = self.funding.table(rows, by=("programme", "fund", "to"))
        if table.empty:
            return None
        cites, out_rows, parts = [], [], []
        for i, p in enumerate(programmes, start=1):
            mine = table[table["cci"] == p.cci]
            if mine.empty:
                continue
            lines = tuple(int(x) for s in mine["lines"] for x in str(s).split())
            cites.append(DataCitation(f"D{len(cites) + 1}", self.funding.finances.title, self.funding.finances.file,
                                      f"CCI {p.cci}", lines, key=p.cci))
            total = float(mine["eu_amount"].sum())
            label = str(mine["to_label"].iloc[0]) if to and len(mine) else ""
            what = " ".join(x for x in (f"of {fund}" if fund else "", f"for TO {to} ({label})" if to else "") if x)
            parts.append(f"{p.title} ({p.cci}, regional programme) plans EUR {total:,.0f} EU funding "
                         f"{what or 'in all'} [{cites[-1].n}].")
            for _, r in mine.head(self.settings.rows).iterrows():
                out_rows.append({"programme": p.cci, "fund": r["fund"], "to": r["to"], "to_label": r["to_label"],
                                 "eu_amount": float(r["eu_amount"]), "lines": r["lines"]})
        if not parts:
            return None
        note = (" National and multi-regional programmes also cover the region; their amounts are not the region's "
                f"share (ris3 funding {region.name!r}).")
        return DataAnswer("funding", " ".join(parts) + note, out_rows, cites)

    def _hubs(self, question: str, region: Region | None, country: str | None) -> DataAnswer | None:
        country = country or _COUNTRY_NAMES.get(region.country if region else "", None)
        topic = _topic(question, region, country)
        found = self.hubs.search(topic, country=country, limit=50) if country else self.hubs.search(topic, limit=50)
        hubs = list(found.named) + [h for h, _ in found.related]
        if region is not None and region.nuts:
            inside = [h for h in hubs if self._hub_nuts(h).startswith(region.nuts)]
            hubs = inside or hubs
        hubs = hubs[: self.settings.rows]
        if not hubs:
            return None
        cites = [self.hubs.citation(f"D{i}", h) for i, h in enumerate(hubs, start=1)]
        where = region.name if region is not None and region.nuts else country
        names = "; ".join(f"{h.name} ({h.locality}) [{c.n}]" for h, c in zip(hubs, cites))
        text = f"Hubs of the DIH catalogue in {where}{f' for {topic}' if topic else ''}: {names}."
        rows = [{"id": h.id, "name": h.name, "locality": h.locality, "country": h.country,
                 "sectors": list(h.sectors[:5])} for h in hubs]
        return DataAnswer("hubs", text, rows, cites)

    def _hub_nuts(self, hub) -> str:
        """The NUTS 3 code of a hub's locality ("Milano" -> ITC4C), "" when the names don't meet."""
        town = fold(hub.locality).split(" ")[0] if hub.locality else ""
        if not town:
            return ""
        for code, r in self.nuts.items():
            if len(code) == 5 and town in (fold(r.name), fold(r.en)):
                return code
        return ""

    def _cz_domains(self, region: Region) -> DataAnswer | None:
        if "cz_domains" not in datasets(self.corpus) or "cz_regions" not in datasets(self.corpus):
            return None
        ds, reg = dataset(self.corpus, "cz_domains"), dataset(self.corpus, "cz_regions")
        _, by_nuts = load_cz_domains(str(ds.path), str(reg.path))
        domains = by_nuts.get(region.nuts, [])
        if not domains:
            return None
        cites = [DataCitation(f"D{i}", ds.title, ds.file, f"{d.region}, domain {d.index + 1}")
                 for i, d in enumerate(domains, start=1)]
        text = (f"The Czech national RIS3 annex lists {len(domains)} domains of specialisation for {region.name}: "
                + "; ".join(f"{d.name} [{c.n}]" for d, c in zip(domains, cites)) + " (in Czech, as published).")
        rows = [{"domain": d.name, "description": d.description, "cz_nace": list(d.nace)} for d in domains]
        return DataAnswer("cz_domains", text, rows, cites)


_COUNTRY_NAMES = {"AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "CY": "Cyprus", "CZ": "Czech Republic",
                  "DE": "Germany", "DK": "Denmark", "EE": "Estonia", "EL": "Greece", "ES": "Spain", "FI": "Finland",
                  "FR": "France", "HR": "Croatia", "HU": "Hungary", "IE": "Ireland", "IT": "Italy", "LT": "Lithuania",
                  "LU": "Luxembourg", "LV": "Latvia", "MT": "Malta", "NL": "Netherlands", "PL": "Poland",
                  "PT": "Portugal", "RO": "Romania", "SE": "Sweden", "SI": "Slovenia", "SK": "Slovakia",
                  "UK": "United Kingdom"}
_HUB_WORDS = re.compile(r"\b(which|what|are|is|the|there|do|does|list|show|in|of|for|dihs?|digital|innovation|hubs?|"
                        r"support|supports|supporting|operate|operating|offer|offers|services?|on|and|region|country)\b",
                        re.I)


def _topic(question: str, region: Region | None, country: str | None) -> str:
    """The question without its hub words, region and country names: the sector or technology."""
    q = question
    for name in ((region.names if region else ()) + ((country,) if country else ())):
        q = re.sub(re.escape(name), " ", q, flags=re.I)
    q = _HUB_WORDS.sub(" ", q)
    return " ".join(re.sub(r"[^\w\s-]", " ", q).split())
