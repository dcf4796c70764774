"""Haystack component: seeded langdetect per passage and per document.

Per passage: ``passage_language`` (falls back to the document's language for short passages).
Per document: ``language_detected`` (the language of most words), and ``language`` set from it
when the manifest gave none.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache
from typing import Any

from haystack import Document, component

MIN_WORDS = 12


def detect_language(text: str) -> str:
    """ISO 639-1 code, or '' when undecidable. Deterministic (seeded)."""
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        return detect(text)
    except LangDetectException:
        return ""


@lru_cache(maxsize=2)
def english_words(max_logprob: float = -18.0) -> frozenset[str]:
    """English word forms: spaCy lookups (lemmas, words more frequent than ``max_logprob``) and
    stop words. -18 takes in rare words (and some foreign ones); -14 only common ones."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from ingest.clean import known_words

    from .organisations import common_words

    return known_words() | common_words(max_logprob) | frozenset(STOP_WORDS)


def question_language(question: str) -> str:
    """A question's language. Short questions are hard for langdetect, so a question whose
    lower-case words are all English words (names and acronyms aside) counts as English."""
    words = [w.strip("?.,;:!()\"'") for w in question.split()]
    words = [w for w in words if w.isalpha() and w.islower()]
    if words and all(w in english_words(-14.0) for w in words):
        return "en"
    return detect_language(question)


@component
class LanguageTagger:
    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        detected: dict[str, str] = {}
        by_doc: dict[str, list[Document]] = defaultdict(list)
        for d in documents:
            by_doc[d.meta.get("doc_id", "")].append(d)
        for doc_id, passages in by_doc.items():
            votes: Counter[str] = Counter()
            for p in passages:
                n = len((p.content or "").split())
                lang = detect_language(p.content or "") if n >= MIN_WORDS else ""
                p.meta["passage_language"] = lang
                if lang:
                    votes[lang] += n
            detected[doc_id] = votes.most_common(1)[0][0] if votes else ""
        for d in documents:
            doc_lang = detected[d.meta.get("doc_id", "")]
            d.meta["language_detected"] = doc_lang
            if not d.meta.get("language") or d.meta.get("language") == "multi":
                d.meta["language"] = doc_lang or d.meta.get("language", "")
            if not d.meta["passage_language"]:
                d.meta["passage_language"] = d.meta["language"]
        return {"documents": documents}
