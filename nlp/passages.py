"""Haystack component: per-page Documents -> passages sized for the embedding model.

A passage is a run of whole sentences of about ``target_words`` words (never more than
``max_words`` unless one sentence is longer), and may span a page break. Each passage carries its
provenance: ``doc_id``, ``page_start``/``page_end``, character offsets in those pages' cleaned text
(``char_start`` in page_start, ``char_end`` in page_end), and ``sent_map``, a JSON list of
``[offset_in_passage, length, page, offset_in_page]`` per sentence, so that any sentence of an
answer can be traced back to its page.
"""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from haystack import Document, component

from .sentences import Sentence, split_sentences


@component
class PassageSplitter:
    """:param target_words: close a passage once it reaches this many words.
    :param max_words: never grow a passage beyond this (all-MiniLM-L6-v2 reads ~256 tokens).
    :param min_words: a shorter last passage of a document is merged into the previous one."""

    def __init__(self, target_words: int = 140, max_words: int = 180, min_words: int = 30):
        if not 0 < min_words < target_words <= max_words:
            raise ValueError(f"need 0 < min_words < target_words <= max_words, got {min_words}, {target_words}, {max_words}")
        self.target_words = target_words
        self.max_words = max_words
        self.min_words = min_words

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        by_doc: dict[str, list[Document]] = defaultdict(list)
        for d in documents:
            by_doc[d.meta.get("doc_id", "")].append(d)
        out: list[Document] = []
        for doc_id, pages in by_doc.items():
            pages.sort(key=lambda d: d.meta.get("page_number", 0))
            out.extend(self._split_document(doc_id, pages))
        return {"documents": out}

    def _split_document(self, doc_id: str, pages: list[Document]) -> list[Document]:
        units: list[tuple[int, Sentence]] = []
        for page in pages:
            for sent in split_sentences(page.content or "", max_words=self.max_words):
                units.append((page.meta["page_number"], sent))
        groups: list[list[tuple[int, Sentence]]] = []
        current: list[tuple[int, Sentence]] = []
        words = 0
        for unit in units:
            n = unit[1].n_words
            if current and (words >= self.target_words or words + n > self.max_words):
                groups.append(current)
                current, words = [], 0
            current.append(unit)
            words += n
        if current:
            if groups and words < self.min_words and sum(u[1].n_words for u in groups[-1]) + words <= self.max_words:
                groups[-1].extend(current)
            else:
                groups.append(current)
        base_meta = {k: v for k, v in pages[0].meta.items() if k != "page_number"}
        key = str(base_meta.get("sha256", ""))[:10]
        return [self._passage(doc_id, key, i, g, base_meta) for i, g in enumerate(groups)]

    @staticmethod
    def _passage(doc_id: str, key: str, index: int, group: list[tuple[int, Sentence]], base_meta: dict) -> Document:
        text_parts: list[str] = []
        sent_map: list[list[int]] = []
        pos = 0
        prev: tuple[int, int] | None = None
        for page, sent in group:
            if text_parts:
                sep = " " if prev == (page, sent.paragraph) else "\n"
                text_parts.append(sep)
                pos += len(sep)
            sent_map.append([pos, len(sent.text), page, sent.start])
            text_parts.append(sent.text)
            pos += len(sent.text)
            prev = (page, sent.paragraph)
        text = "".join(text_parts)
        meta = {
            **base_meta,
            "passage_index": index,
            "page_start": group[0][0],
            "page_end": group[-1][0],
            "char_start": group[0][1].start,
            "char_end": group[-1][1].end,
            "n_words": len(text.split()),
            "sent_map": json.dumps(sent_map, separators=(",", ":")),
        }
        return Document(id=f"{doc_id}:{key}:{index:05d}", content=text, meta=meta)


def sentence_spans(doc: Document) -> list[tuple[int, int, int, int]]:
    """(start, end, page, offset_in_page) of each sentence of a passage."""
    raw = doc.meta.get("sent_map")
    if not raw:
        return [(0, len(doc.content or ""), int(doc.meta.get("page_start", 1)), int(doc.meta.get("char_start", 0)))]
    return [(s, s + n, page, off) for s, n, page, off in json.loads(raw)]
