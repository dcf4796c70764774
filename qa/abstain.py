"""Honest abstention: a question whose focus terms the searched scope never mentions is not
answered from it, and the answer says which term, which scope, and which other documents do
mention it ("The Northern Netherlands documents do not mention hydrogen; 3 other documents do").

- Focus terms: the question's nouns, proper nouns and adjectives (spaCy's English tagger), not
  stop words, not region names (a region named is the scope), and rare in the corpus (BM25 idf
  at least ``AbsenceSettings.min_idf``): a generic noun ("partners", "strategy") that a small
  scope happens to lack says nothing, a rare one ("hydrogen", "blockchain") does.
- A term is mentioned when any of its forms is: its stem in every indexed language, the folded
  word, and the question's translations of it (glossary and vocabulary, ``QueryTranslations``),
  so "hydrogen" is found as "Wasserstoff" in a German list.
- Scope: the question's filters, else the region(s) the question names (their passages:
  ``index.filters``), else the whole corpus, where only names count (capitalised terms: a
  paraphrase's common word, "workshop" for "focus group", may be in no document at all).

The settings were chosen on the dev half of the held-out gold questions (``confident`` with the
answer settings by ``ris3 eval answers``; docs/evaluation.md)."""
from __future__ import annotations

import math

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from index.keyword import FilterMasks
from index.retrieval import QueryTranslations
from index.store import PassageIndex

from .types import Answer

FOCUS_POS = ("NOUN", "PROPN", "ADJ")


@dataclass(frozen=True)
class AbsenceSettings:
    """:param min_idf: a focus term is at least this rare in the corpus (BM25 idf; 0 = any term).
    :param min_letters: shorter words are never focus terms.
    :param confident: an answer whose best sentence scores at least this (``AnswerBuilder``'s
        score) stands although a focus term is unmentioned: a paraphrase ("shrinkage" for
        "decline") is answered, a question about what the scope never discusses is not.
    :param absent_share: an answer abstains, however confident, when its scope's unmentioned
        terms carry at least this share of the question's focus terms' weight (idf; a term no
        passage holds: ``absent_weight_share``): "Does the SWOT tool also support a PEST or TOWS
        analysis?" is not answered from SWOT sentences. Above 1: never. On dev with
        ``confident``, 0.4 was best (eval/results/answers-2026-12-01-absent-share.json): no-answer
        accuracy 0.80 -> 0.90, false abstentions 1.5 % -> 3.1 %; on test 0.65 -> 0.70, false
        abstentions unchanged. A fresh-clone test then found a two-document index (an upload)
        where a paraphrase's word no document uses ("conclude"), weighed as the rarest, outweighed
        the rest: unseen lower-case words now weigh as the seen terms do (``absent_weight_share``).
        With sentence vectors pooled from the passage pass, ``ris3 eval answers`` chose it off
        (eval/results/answers-2026-12-02.json: ``confident`` 0.8 alone did better on dev).
    :param listed: how many other documents that mention the term are named.
    :param corpus_words: at the corpus scope, common words count as focus terms too, not only
        capitalised names: "average annual rainfall" abstains when no document says rainfall. On
        dev it changed no question; on test it turned one answerable question into an abstention
        (a paraphrase's word that no document uses: the abstention names it)."""

    min_idf: float = 0.0
    min_letters: int = 4
    confident: float = 0.8
    absent_share: float = 1.01
    listed: int = 5
    corpus_words: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Absence:
    """What the scope searched does not mention: the terms as typed, the scope's name, and the
    other documents that mention them: (doc_id, title, passages mentioning)."""

    terms: list[str]
    scope: str
    elsewhere: list[tuple[str, str, int]] = field(default_factory=list)  # the first few
    others: int = 0  # how many other documents mention them in all
    share: float = 1.0  # the unmentioned terms' share of the focus terms' idf weight

    @property
    def message(self) -> str:
        terms = " or ".join(self.terms)
        verb = "does" if not self.scope.endswith("documents") else "do"
        text = f"{self.scope} {verb} not mention {terms}"
        if self.elsewhere:
            n = max(self.others, len(self.elsewhere))
            names = "; ".join(f"{title} ({k} passage{'s' if k != 1 else ''})" for _, title, k in self.elsewhere)
            more = f"; and {n - len(self.elsewhere)} more" if n > len(self.elsewhere) else ""
            text += f"; {n} other document{'s' if n != 1 else ''} {'do' if n != 1 else 'does'}: {names}{more}"
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        return {"terms": self.terms, "scope": self.scope, "message": self.message, "other_documents": self.others,
                "share": round(self.share, 3),
                "elsewhere": [{"doc_id": d, "title": t, "passages": k} for d, t, k in self.elsewhere]}


def settle(answer: Answer, absence: "Absence | None", confident: float, absent_share: float = 1.01) -> Answer:
    """The answer once the scope's absences are known: it abstains when a focus term is
    unmentioned and its best sentence scores below ``confident``, or when the unmentioned terms
    carry at least ``absent_share`` of the focus weight; otherwise it stands, with the notice
    before it. An answer that abstained for an unknown name is left as it is."""
    if answer.missing or absence is None:
        return answer
    if (not answer.answered or max(answer.scores, default=0.0) < confident
            or absence.share >= absent_share):
        return Answer(answer.question, False, [], [], answer.passages, absent=absence.as_dict(),
                      nearest=answer.nearest or answer.citations[:1])
    answer.absent = absence.as_dict()
    return answer


class FocusCheck:
    """:param index: the passage index (its keyword index says which passages hold a word).
    :param settings: what counts as a focus term, how many other documents are named."""

    def __init__(self, index: PassageIndex, settings: AbsenceSettings | None = None):
        self.index = index
        self.settings = settings or AbsenceSettings()
        self._tagger = None
        self._masks: FilterMasks | None = None

    def warm_up(self) -> None:
        if self._tagger is None:
            import spacy

            from nlp.entities import MODEL

            self._tagger = spacy.load(MODEL, exclude=["parser", "ner", "lemmatizer", "senter"])

    def focus_terms(self, question: str, regions: set[str] = frozenset()) -> list[str]:
        """The question's rare nouns, proper nouns and adjectives, as typed (English questions)."""
        from nlp.text import fold, question_stopwords

        self.warm_up()
        stop = question_stopwords()
        region_words = {fold(w.lower()) for r in regions for w in r.replace("-", " ").split()}
        idf = self.index.keyword_index.idf
        out = []
        doc = self._tagger(question)
        verb = supported_verb(doc)
        for tok in doc:
            w = tok.text
            if (tok.i == verb or tok.pos_ not in FOCUS_POS or not w.replace("-", "").isalpha()
                    or len(w) < self.settings.min_letters or w.lower() in stop or fold(w.lower()) in region_words):
                continue
            if self.settings.min_idf and 0 < idf(w.lower()) < self.settings.min_idf:
                continue  # a common word of the corpus
            out.append(w)
        return list(dict.fromkeys(out))

    def check(self, question: str, translations: QueryTranslations, filters: dict | None = None,
              regions: set[str] = frozenset(), scope_name: str = "") -> Absence | None:
        """The focus terms that no passage of the scope mentions, or None when it mentions them
        all (or the question is not in English: the tagger is English)."""
        if translations.language not in ("en", ""):
            return None
        terms = self.focus_terms(question, regions)
        if not terms:
            return None
        kw = self.index.keyword_index
        if not kw.ids:
            return None
        scope = self._scope(filters)
        if scope is not None and not scope.any():
            return None  # nothing to search: the filters' own message says so
        if scope is None and not self.settings.corpus_words:  # names only (a paraphrase's common word may be nowhere)
            terms = [t for t in terms if t[:1].isupper()]
            if not terms:
                return None
        absent, holding = [], np.zeros(len(kw.ids), dtype=bool)
        for term in terms:
            rows = kw.scores([self._group(term, translations)]) > 0
            if not (rows if scope is None else rows & scope).any():
                absent.append(term)
                holding |= rows
        if not absent:
            return None
        listed, others = self._documents(holding)
        share = absent_weight_share(terms, absent, {t: kw.idf(t.lower()) for t in terms}, len(kw.ids))
        return Absence(absent, scope_name or ("The documents searched" if scope is not None else "The corpus"),
                       listed, others, share)

    def _group(self, term: str, translations: QueryTranslations):
        kw = self.index.keyword_index
        forms = set(kw.word_group(term))
        low = term.lower()
        for source, lang, words in translations.glossary + translations.vocabulary:
            if low in source.lower().split():
                forms |= set(kw.form_group((w, lang) for w in words))
        return tuple(sorted(forms))

    def _scope(self, filters: dict | None) -> np.ndarray | None:
        if not filters:
            return None
        kw = self.index.keyword_index
        if self._masks is None or self._masks.ids is not kw.ids:
            self._masks = FilterMasks(kw.ids, self.index.passages())
        return self._masks.mask(filters)

    def _documents(self, rows: np.ndarray) -> tuple[list[tuple[str, str, int]], int]:
        """The first documents of the passages in ``rows`` (most passages first), and how many
        documents they are."""
        passages = self.index.passages()
        ids = self.index.keyword_index.ids
        counts: dict[str, int] = {}
        for r in np.flatnonzero(rows):
            doc = passages[ids[int(r)]].meta.get("doc_id", "")
            counts[doc] = counts.get(doc, 0) + 1
        titles = {d.doc_id: d.meta.get("title") or d.doc_id for d in self.index.documents()}
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(d, titles.get(d, d), k) for d, k in ranked[: self.settings.listed]], len(ranked)


def absent_weight_share(terms: list[str], absent: list[str], idf: dict[str, float], n_passages: int) -> float:
    """The share of the focus terms' idf weight that the unmentioned ones carry. A term no
    passage of the index holds (idf 0) weighs as the rarest word when it is a name (capitalised,
    an acronym: the question's subject, which nothing mentions) and as the mean of the seen terms
    when it is a lower-case word (more often the asker's own paraphrase: "conclude")."""
    rarest = math.log(1 + (n_passages + 0.5) / 0.5)  # BM25's idf of a word no passage holds
    seen = [idf[t] for t in terms if idf.get(t)]
    common = sum(seen) / len(seen) if seen else rarest
    weight = {t: idf.get(t) or (rarest if t[:1].isupper() else common) for t in terms}
    return sum(weight[t] for t in absent) / max(sum(weight.values()), 1e-9)


DO_SUPPORT = {"do", "does", "did"}
SUBJECT_POS = ("DET", "NOUN", "PROPN", "ADJ", "NUM", "PART")


def supported_verb(doc) -> int:
    """The index of a question's main verb that the tagger read as a noun, else -1. In a
    wh-question with do-support ("What did the tourism focus group conclude?") the main verb
    closes the question right after its subject, and the small English tagger, having taken the
    subject for a run of nouns, often takes the verb for one more (NN): a focus term that is not one."""
    toks = [t for t in doc if not t.is_punct]
    aux = next((k for k, t in enumerate(toks[1:4], start=1) if t.lower_ in DO_SUPPORT and t.pos_ == "AUX"), None)
    if aux is None or toks[0].tag_ not in ("WP", "WDT", "WRB"):  # "What did ...", not "Does X cover Y?"
        return -1
    subject, last = toks[aux + 1:-1], toks[-1]
    if (last.tag_ == "NN" and subject and subject[-1].pos_ in ("NOUN", "PROPN")
            and all(t.pos_ in SUBJECT_POS for t in subject)):  # nothing but the subject between
        return last.i
    return -1

