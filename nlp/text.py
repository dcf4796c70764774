"""The words of a text, once for the whole project: how text is cut into words, which words are
stop words, how a word is stemmed in its language, and which language a passage is in.

Three ways of cutting text are used, each for a reason, and all are defined here:

- ``words``: words with their inner hyphens and apostrophes ("cross-border", "l'innovation"),
  digits included: questions, answer sentences and the glossary.
- ``index_words``: bm25s's default tokens (runs of 2+ word characters, lower-cased): what the
  keyword index stores and looks up.
- ``vocabulary_words``: words of 3+ letters, no digits (hyphenated compounds kept): the indexed
  vocabulary that questions are translated through.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Mapping

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
    """Lower-case keyword-index tokens (bm25s's pattern)."""
    return INDEX_TOKEN.findall(text.lower())


def vocabulary_words(text: str) -> list[str]:
    """Words of 3+ letters as written (no digits)."""
    return VOCABULARY_WORD.findall(text)


def fold(text: str) -> str:
    """Lower case without accents: "Württemberg" -> "wurttemberg"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


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
