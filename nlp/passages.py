"""Haystack component: per-page Documents -> passages sized for the embedding model.

A passage is a run of whole sentences of about ``target_words`` words (never more than
``max_words`` unless one sentence is longer), and may span a page break. Each passage carries its
provenance: ``doc_id``, ``page_start``/``page_end``, character offsets in those pages' cleaned text
(``char_start`` in page_start, ``char_end`` in page_end), and ``sent_map``, a JSON list of
``[offset_in_passage, length, page, offset_in_page]`` per sentence, so that any sentence of an
answer can be traced back to its page.

Each sentence also carries its text unit (nlp/structure.py): ``units`` is a string of one unit code
per sentence (``h`` heading, ``t`` table of contents, ``l`` list item, ``c`` cell, ``b`` body),
``sections`` a JSON list of ``[first_sentence_index, section_path]`` at each change of section, and
``section`` the section path of the passage's first sentence. Sentences never span a line, and
headings are lines of their own, so no sentence spans a heading.
"""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from haystack import Document, component

from .sentences import Sentence, split_sentences
from .structure import SectionTracker, type_lines

Unit = tuple[int, Sentence, str, str]  # (page, sentence, unit code, section path)


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
        units: list[Unit] = []
        tracker = SectionTracker()
        for page in pages:
            text = page.content or ""
            lines = type_lines(text)
            seen = -1
            for sent in split_sentences(text, max_words=self.max_words):
                line = lines[sent.paragraph] if sent.paragraph < len(lines) else None
                if line is not None and sent.paragraph != seen:
                    tracker.see(line)
                    seen = sent.paragraph
                units.append((page.meta["page_number"], sent, line.kind if line else "b", tracker.path))
        groups: list[list[Unit]] = []
        current: list[Unit] = []
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
    def _passage(doc_id: str, key: str, index: int, group: list[Unit], base_meta: dict) -> Document:
        text_parts: list[str] = []
        sent_map: list[list[int]] = []
        sections: list[list] = []
        pos = 0
        prev: tuple[int, int] | None = None
        for k, (page, sent, _, path) in enumerate(group):
            if not sections or sections[-1][1] != path:
                sections.append([k, path])
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
            "units": "".join(u[2] for u in group),
            "sections": json.dumps(sections, separators=(",", ":"), ensure_ascii=False),
            "section": group[0][3],
        }
        return Document(id=f"{doc_id}:{key}:{index:05d}", content=text, meta=meta)


def sentence_spans(doc: Document) -> list[tuple[int, int, int, int]]:
    """(start, end, page, offset_in_page) of each sentence of a passage."""
    raw = doc.meta.get("sent_map")
    if not raw:
        return [(0, len(doc.content or ""), int(doc.meta.get("page_start", 1)), int(doc.meta.get("char_start", 0)))]
    return [(s, s + n, page, off) for s, n, page, off in json.loads(raw)]


def sentence_units(doc: Document) -> str:
    """One unit code per sentence of a passage (``b`` for each when the passage has none stored)."""
    units = str(doc.meta.get("units") or "")
    n = len(sentence_spans(doc))
    return units if len(units) == n else "b" * n


def sentence_sections(doc: Document) -> list[str]:
    """The section path of each sentence of a passage ("" where none is known)."""
    n = len(sentence_spans(doc))
    raw = doc.meta.get("sections")
    runs = json.loads(raw) if raw else [[0, str(doc.meta.get("section") or "")]]
    out = [""] * n
    for (first, path), nxt in zip(runs, [*runs[1:], [n, ""]]):
        out[first:nxt[0]] = [path] * max(0, min(nxt[0], n) - first)
    return out[:n]


def section_of_span(doc: Document, start: int) -> str:
    """The section path of the sentence of a passage that holds character ``start``."""
    spans = sentence_spans(doc)
    paths = sentence_sections(doc)
    k = next((i for i, (s, e, _, _) in enumerate(spans) if s <= start < max(e, s + 1)), 0)
    return paths[k] if k < len(paths) else ""
