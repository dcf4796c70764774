"""A question's terms and how much of them a sentence holds: content words weighted by rarity,
names the corpus never mentions, overlap with translations. Words are cut, stemmed and filtered
by nlp/text.py."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Sequence

from nlp.text import WORD, question_stopwords, stemmer


STEMS_CACHE = 20_000  # sentences whose stems are remembered (a few MB)


def _english():
    return stemmer("en")


def unknown_names(question: str, idf: Callable[[str], float]) -> list[str]:
    """Capitalised words of an English question (not its first word) that the corpus never
    contains (BM25 idf 0 for the word, or for every part of a hyphenated one): names of places,
    programmes or organisations the corpus does not cover. Questions in other languages are left
    alone (German capitalises every noun)."""
    from nlp.language import detect_language

    names = []
    for i, m in enumerate(WORD.finditer(question)):
        w = m.group()
        if i == 0 or len(w) < 4 or not w[0].isupper() or not w.replace("-", "").replace("'", "").isalpha():
            continue
        parts = [p for p in re.split(r"[-']", w) if len(p) > 1]
        if parts and all(idf(p.lower()) == 0 for p in parts):
            names.append(w)
    if names and detect_language(question) != "en":
        return []
    return list(dict.fromkeys(names))


def content_terms(text: str, idf: Callable[[str], float] | None = None) -> dict[str, float]:
    """Stemmed content words of a question, weighted by rarity in the corpus (BM25 idf) when
    ``idf`` is given (terms the corpus does not know count as rare); without it, names and
    acronyms (DIGIMAT, RIS3CAT) weigh 2 and other words 1."""
    stop = question_stopwords()
    out: dict[str, float] = {}
    for i, m in enumerate(WORD.finditer(text)):
        w = m.group()
        if w.lower() in stop or len(w) < 2:
            continue
        stem = _english().stemWord(w.lower())
        special = (w.isupper() and len(w) > 1) or any(ch.isdigit() for ch in w) or (i > 0 and w[0].isupper())
        if idf:
            weight = idf(w.lower()) or 3.0  # a term the corpus does not know counts as rare
        else:
            weight = 2.0 if special else 1.0
        out[stem] = max(out.get(stem, 0.0), weight)
    return out


@lru_cache(maxsize=STEMS_CACHE)
def stems_of(text: str) -> frozenset[str]:
    """The English stems of a text's words (what question terms are matched against). Remembered:
    re-ranking and answering read the same sentences."""
    return frozenset(_english().stemWords(WORD.findall(text.lower())))



class TermMatcher:
    """The question's terms, and their ``alternatives`` (stemmed translations), indexed for
    matching many texts: a term is found by its exact stem, or by a shared prefix of 6+ letters
    ("moravian" ~ "moravia": one starts with the other). Built once per question and language;
    matching a sentence is one look-up per word of it (re-ranking matches ~400 sentences a
    question: 27 ms when each term was looked for in each sentence, under load)."""

    def __init__(self, q_terms: dict[str, float], alternatives: dict[str, set[str]] | None = None):
        self.q_terms = q_terms
        self.exact: dict[str, set[str]] = {}  # stem -> the question terms it stands for
        self.prefixed: dict[str, list[tuple[str, str]]] = {}  # first six letters -> (stem, term)
        for term in q_terms:
            for stem in {term, *(alternatives or {}).get(term, ())}:
                self.exact.setdefault(stem, set()).add(term)
                if len(stem) >= 6:
                    self.prefixed.setdefault(stem[:6], []).append((stem, term))

    def matched(self, words: frozenset[str] | set[str]) -> set[str]:
        """The question terms that a text's stems (``stems_of``) hold."""
        found: set[str] = set()
        exact, prefixed = self.exact, self.prefixed
        for w in words:
            terms = exact.get(w)
            if terms:
                found |= terms
            if len(w) >= 6:
                for stem, term in prefixed.get(w[:6], ()):
                    if stem.startswith(w) or w.startswith(stem):
                        found.add(term)
        return found

    def weight(self, words: frozenset[str] | set[str]) -> float:
        """The weighted share of the question's terms that a text's stems hold."""
        return weight_of(self.q_terms, self.matched(words))


def term_overlap(q_terms: dict[str, float], text: str, alternatives: dict[str, set[str]] | None = None) -> float:
    """Weighted share of the question's terms found in ``text``; a term also counts when one of
    its ``alternatives`` (stemmed translations) is there."""
    return terms_found(q_terms, stems_of(text), alternatives) if q_terms else 0.0


def matched_terms(q_terms: dict[str, float], words: set[str], alternatives: dict[str, set[str]] | None = None) -> set[str]:
    """The question terms that a text's stems (``stems_of``) hold, themselves or by one of their
    ``alternatives``."""
    if not q_terms or not words:
        return set()
    return TermMatcher(q_terms, alternatives).matched(words)


def weight_of(q_terms: dict[str, float], matched: set[str]) -> float:
    """The weighted share of the question's terms that ``matched`` holds."""
    total = sum(q_terms.values())
    return sum(q_terms[t] for t in matched) / total if total else 0.0


def terms_found(q_terms: dict[str, float], words: set[str], alternatives: dict[str, set[str]] | None = None) -> float:
    """``term_overlap`` on a text's stems already computed (``stems_of``)."""
    return weight_of(q_terms, matched_terms(q_terms, words, alternatives)) if q_terms else 0.0


def translated_terms(translations: Sequence[dict], language: str) -> dict[str, set[str]]:
    """Question term (stem) -> stems of its translations into ``language`` ("flight school" ->
    Flugschule counts for both "flight" and "school")."""
    out: dict[str, set[str]] = {}
    for t in translations:
        if t.get("language") != language:
            continue
        stems = {x for w in t.get("words", ()) for x in stems_of(w)}
        for source in stems_of(t.get("source", "")):
            out.setdefault(source, set()).update(stems)
    return out
