"""The words of a text, once for the whole project: how text is cut into words, which words are
stop words, how a word is stemmed in its language, and which language a passage is in.

Three ways of cutting text are used, each for a reason, and all are defined here:

- ``words``: words with their inner hyphens and apostrophes ("cross-border", "l'innovation"),
  digits included: questions, answer sentences and the glossary.
- ``index_words``: bm25s's default tokens (runs of 2+ word characters, lower-cased): what the
  keyword index stores and looks up (stemmed, then folded: ``fold``).
- ``vocabulary_words``: words of 3+ letters, no digits (hyphenated compounds kept): the indexed
  vocabulary that questions are translated through.

``fold`` is how text is compared without case and accents ("Württemberg" = "wurttemberg",
"Fryslân" = "fryslan", "Łódź" = "lodz"): the keyword index, its queries, the glossary and the
free phrases of reports and KWIC (``phrase_pattern``, ``folded_matches``, which give spans in the
original text) all fold the same way.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterator, Mapping

WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.U)
INDEX_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default token pattern
VOCABULARY_WORD = re.compile(r"[^\W\d_]{3,}(?:-[^\W\d_]+)*", re.U)

# Snowball stemmers (PyStemmer) for the lexicon's languages; others are matched unstemmed.
STEMMERS = {"en": "english", "de": "german", "fr": "french", "it": "italian", "es": "spanish", "pt": "portuguese",
            "nl": "dutch", "lt": "lithuanian", "ro": "romanian", "sv": "swedish", "fi": "finnish", "el": "greek",
            "hu": "hungarian", "da": "danish"}
# bm25s's stop-word lists by language.
_BM25S_STOPWORDS = {"en": "STOPWORDS_EN", "de": "STOPWORDS_GERMAN", "fr": "STOPWORDS_FRENCH",
                    "it": "STOPWORDS_ITALIAN", "es": "STOPWORDS_SPANISH", "pt": "STOPWORDS_PORTUGUESE",
                    "nl": "STOPWORDS_DUTCH", "sv": "STOPWORDS_SWEDISH", "da": "STOPWORDS_DANISH",
                    "no": "STOPWORDS_NORWEGIAN"}
# Question words that carry no content in an English question ("How does X relate to Y?").
QUESTION_FILLERS = frozenset({"does", "relate", "related", "regarding", "according", "tell", "explain", "describe"})


def words(text: str) -> list[str]:
    """Words as written, with inner hyphens and apostrophes."""
    return WORD.findall(text)


def index_words(text: str) -> list[str]:
    """Lower-case keyword-index tokens (bm25s's pattern), accents kept (the stemmers need them);
    decomposed input (an accent typed as its own character) is composed first."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return INDEX_TOKEN.findall(text.lower())


HYPHENATED = re.compile(r"[^\W_]+(?:[-\u00ad\u2010\u2011][^\W_]+)+", re.U)
HYPHENS = re.compile(r"[-\u00ad\u2010\u2011]")


def closed_compounds(text: str) -> list[str]:
    """Lower-case closed-up forms of the hyphenated words of a text ("e-health" -> "ehealth",
    "co-operation" -> "cooperation"), each part with a letter ("RIS3-CAT" yes; "2014-2020",
    "COVID-19" no): what the keyword index adds to a passage's words, so that the hyphenated and
    the closed spelling meet."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    out = []
    for m in HYPHENATED.findall(text):
        parts = HYPHENS.split(m)
        if all(not p.isdigit() for p in parts):
            out.append("".join(parts).lower())
    return out


def vocabulary_words(text: str) -> list[str]:
    """Words of 3+ letters as written (no digits)."""
    return VOCABULARY_WORD.findall(text)


# Latin letters with no Unicode decomposition that are typed without their stroke.
_STROKES = {"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h", "ı": "i",
            "ŧ": "t", "Ŧ": "t", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe"}
_FOLD: dict[int, str] = {}  # character -> its folded form, filled as characters are met
_SEEN: set[str] = set()
_RESIZING: set[str] = set()  # characters that fold to more or fewer than one ("ß" -> "ss")


def _fold_char(ch: str) -> str:
    """One character folded: Latin and Greek letters lose their accents (NFKD, combining marks
    dropped; "ﬁ" -> "fi"), every character is case-folded; letters of other scripts (Cyrillic
    "й", Devanagari vowel signs, Hangul) keep their marks."""
    if ch in _STROKES:
        return _STROKES[ch]
    if "\u0300" <= ch <= "\u036f":  # an accent on its own (decomposed text) goes with its letter
        return ""
    decomposed = unicodedata.normalize("NFKD", ch)
    base = decomposed[:1] or ch
    if base.isascii() or unicodedata.name(base, "").startswith(("LATIN", "GREEK")):
        return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return ch.casefold()


def _learn(text: str) -> None:
    for ch in set(text).difference(_SEEN):
        folded = _fold_char(ch)
        _FOLD[ord(ch)] = folded
        if len(folded) != 1:
            _RESIZING.add(ch)
        _SEEN.add(ch)  # last: a character in _SEEN is complete for other threads


def fold(text: str) -> str:
    """Lower case without accents: "Württemberg" -> "wurttemberg", "Fryslân" -> "fryslan",
    "Καινοτομία" -> "καινοτομια"; other scripts are only case-folded."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFC", text)
    _learn(text)
    return text.translate(_FOLD)


def fold_words(words: list[str]) -> list[str]:
    """``fold`` of each word (one call for the list: what the keyword index does per passage)."""
    joined = fold("\n".join(words))
    out = joined.split("\n")
    return out if len(out) == len(words) else [fold(w) for w in words]


def fold_offsets(text: str) -> tuple[str, list[int] | None]:
    """(``fold`` of ``text`` character by character, the position in ``text`` of each folded
    character, or None when they are the same positions): to find folded matches and report
    them in the original text. No composition first: positions are the text's own."""
    if text.isascii():
        return text.lower(), None
    _learn(text)
    folded = text.translate(_FOLD)
    if _RESIZING.isdisjoint(text):
        return folded, None
    starts: list[int] = []
    for i, ch in enumerate(text):
        starts.extend([i] * len(_FOLD[ord(ch)]))
    return folded, starts


# Between the words of a phrase: spaces, line breaks, hyphens, apostrophes, or nothing (a closed
# compound: "test bed" = "test-bed" = "testbed").
PHRASE_GAP = r"[\s\-\u00ad\u2010\u2011'\u2019]*"


def phrase_pattern(phrase: str, plural: bool = False) -> str:
    """A regular expression, over folded text, for a phrase in any case, with or without accents,
    its words apart, hyphenated or closed up ("one-stop shop" finds "One-Stop-Shop", "one stop
    shop", "onestop shop"); whole words only. ``plural``: the English plural of the last word
    too ("-s", "-es", "-y" -> "-ies"). "" when the phrase has no word."""
    parts = re.findall(r"[^\W_]+", fold(phrase))
    if not parts:
        return ""
    last = parts[-1]
    forms = {last}
    if plural:
        forms |= {last + "s", last + "es"} | ({last[:-1] + "ies"} if last.endswith("y") and len(last) > 2 else set())
    ending = "(?:" + "|".join(map(re.escape, sorted(forms, key=len, reverse=True))) + ")"
    return r"(?<!\w)" + PHRASE_GAP.join([*map(re.escape, parts[:-1]), ending]) + r"(?!\w)"


def folded_matches(pattern: re.Pattern, text: str) -> Iterator[tuple[int, int, re.Match]]:
    """(start, end, match) of each match of a pattern over ``fold_offsets(text)``, with start and
    end in ``text`` itself (a match in "Württemberg" spans its original characters)."""
    folded, starts = fold_offsets(text)
    for m in pattern.finditer(folded):
        a, b = m.span()
        if b <= a:
            continue
        if starts is None:
            yield a, b, m
            continue
        end = starts[b - 1] + 1
        while end < len(text) and unicodedata.combining(text[end]):  # the accents of the last letter
            end += 1
        yield starts[a], end, m


@lru_cache(maxsize=32)
def stemmer(lang: str):
    """The Snowball stemmer of ``lang``, or None for a language without one."""
    import Stemmer

    name = STEMMERS.get(lang)
    return Stemmer.Stemmer(name) if name else None


@lru_cache(maxsize=32)
def stopwords(lang: str) -> frozenset[str]:
    """bm25s's stop words of a language (none for languages it has no list for): what the keyword
    index leaves out. For English its short list: the longer one (NLTK's, with "what", "which",
    "did") raised MRR but lost a monolingual gold question at 5 (docs/evaluation.md)."""
    import bm25s.stopwords

    name = _BM25S_STOPWORDS.get(lang)
    return frozenset(getattr(bm25s.stopwords, name)) if name else frozenset()


@lru_cache(maxsize=32)
def full_stopwords(lang: str) -> frozenset[str]:
    """The keyword index's stop words and spaCy's fuller list for the language (question words:
    "which", "welche", "quels"): words not worth translating or translating into."""
    import importlib

    try:
        extra = importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS
    except (ImportError, AttributeError):
        extra = ()
    return stopwords(lang) | frozenset(w.lower() for w in extra)


@lru_cache(maxsize=1)
def question_stopwords() -> frozenset[str]:
    """spaCy's English stop words and question fillers: what a question's content terms leave out."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | QUESTION_FILLERS


def passage_language(meta: Mapping, default: str = "") -> str:
    """The language a passage is written in: detected per passage at ingestion, else its document's."""
    return meta.get("passage_language") or meta.get("language") or default
