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



def _term_in(term: str, words: frozenset[str] | set[str], by_prefix: dict[str, list[str]]) -> bool:
    """Exact stem, or a shared prefix of 6+ letters ("moravian" ~ "moravia"); ``by_prefix``: the
    words of 6+ letters by their first six (``_by_prefix``)."""
    if term in words:
        return True
    if len(term) < 6:
        return False
    return any(term.startswith(w) or w.startswith(term) for w in by_prefix.get(term[:6], ()))


def _by_prefix(words: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for w in words:
        if len(w) >= 6:
            out.setdefault(w[:6], []).append(w)
    return out


def term_overlap(q_terms: dict[str, float], text: str, alternatives: dict[str, set[str]] | None = None) -> float:
    """Weighted share of the question's terms found in ``text``; a term also counts when one of
    its ``alternatives`` (stemmed translations) is there."""
    return terms_found(q_terms, stems_of(text), alternatives) if q_terms else 0.0


def matched_terms(q_terms: dict[str, float], words: set[str], alternatives: dict[str, set[str]] | None = None) -> set[str]:
    """The question terms that a text's stems (``stems_of``) hold, themselves or by one of their
    ``alternatives``."""
    if not q_terms or not words:
        return set()
    alternatives = alternatives or {}
    by_prefix = _by_prefix(words)
    return {t for t in q_terms
            if _term_in(t, words, by_prefix) or any(_term_in(a, words, by_prefix) for a in alternatives.get(t, ()))}


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
