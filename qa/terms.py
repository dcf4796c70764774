"""A question's terms and how much of them a sentence holds: content words weighted by rarity,
names the corpus never mentions, overlap with translations. Words are cut, stemmed and filtered
by nlp/text.py."""
from __future__ import annotations

import re
from typing import Callable, Sequence

from nlp.text import WORD, question_stopwords, stemmer


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


def stems_of(text: str) -> set[str]:
    """The English stems of a text's words (what question terms are matched against)."""
    return set(_english().stemWords([m.group().lower() for m in WORD.finditer(text)]))



def _term_in(term: str, words: set[str]) -> bool:
    """Exact stem, or a shared prefix of 6+ letters ("moravian" ~ "moravia")."""
    if term in words:
        return True
    if len(term) < 6:
        return False
    return any(len(w) >= 6 and (w.startswith(term[:6]) and (term.startswith(w) or w.startswith(term))) for w in words)


def term_overlap(q_terms: dict[str, float], text: str, alternatives: dict[str, set[str]] | None = None) -> float:
    """Weighted share of the question's terms found in ``text``; a term also counts when one of
    its ``alternatives`` (stemmed translations) is there."""
    return terms_found(q_terms, stems_of(text), alternatives) if q_terms else 0.0


def terms_found(q_terms: dict[str, float], words: set[str], alternatives: dict[str, set[str]] | None = None) -> float:
    """``term_overlap`` on a text's stems already computed (``stems_of``)."""
    if not q_terms:
        return 0.0
    alternatives = alternatives or {}
    return sum(w for t, w in q_terms.items()
               if _term_in(t, words) or any(_term_in(a, words) for a in alternatives.get(t, ()))) / sum(q_terms.values())


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
