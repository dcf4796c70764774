"""Sentence segmentation with character offsets, rule-based (spaCy's sentencizer on a blank
multilingual pipeline): no model, nothing downloaded. Lines are paragraph boundaries; very long
"sentences" (table rows, lists without punctuation) are cut into pieces of at most ``max_words``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Sentence:
    start: int  # character offset in the text given to split_sentences
    end: int
    text: str
    paragraph: int  # index of the line it came from

    @property
    def n_words(self) -> int:
        return len(self.text.split())


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 5_000_000
    return nlp


def split_sentences(text: str, max_words: int = 120) -> list[Sentence]:
    out: list[Sentence] = []
    nlp = _nlp()
    offset = 0
    lines = text.split("\n")
    spans: list[tuple[int, str]] = []
    for line in lines:
        if line.strip():
            spans.append((offset, line))
        offset += len(line) + 1
    for para, (doc, (base, _)) in enumerate(zip(nlp.pipe(line for _, line in spans), spans)):
        for sent in doc.sents:
            s, e = sent.start_char, sent.end_char
            piece = doc.text[s:e]
            lead = len(piece) - len(piece.lstrip())
            piece = piece.strip()
            if not piece:
                continue
            s += lead
            out.extend(_cap(base + s, piece, para, max_words))
    return out


def _cap(start: int, text: str, para: int, max_words: int) -> list[Sentence]:
    words = list(_WORD.finditer(text))
    if len(words) <= max_words:
        return [Sentence(start, start + len(text), text, para)]
    out = []
    for i in range(0, len(words), max_words):
        chunk = words[i:i + max_words]
        s, e = chunk[0].start(), chunk[-1].end()
        out.append(Sentence(start + s, start + e, text[s:e], para))
    return out
