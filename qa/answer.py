"""Extractive answers with citations (no LLM).

From the fused top passages, every sentence is scored against the question: cosine similarity of
all-MiniLM-L6-v2 embeddings plus the share of the question's content words it contains (names and
acronyms such as DIGIMAT or RIS3CAT weigh more), weighted as ``AnswerSettings`` says. The best
1-4 sentences, without near-duplicates, form the answer; each carries a citation record that
points to document, page and the sentence's span in the passage. When no sentence scores above
the threshold, the answer says the corpus does not seem to answer the question and the nearest
passages are still returned. So it does when an English question names something (a capitalised
word, not the first) that no indexed passage contains, e.g. a region the corpus does not cover:
"The corpus does not mention Bratislava".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from haystack import Document

from nlp.passages import sentence_spans, sentence_units
from nlp.text import WORD, passage_language

from .citations import cite
from .settings import AnswerSettings
from .terms import content_terms, term_overlap, translated_terms, unknown_names
from .types import Answer, Citation


@dataclass
class _Candidate:
    passage_rank: int
    passage: Document
    start: int
    end: int
    page: int
    page_offset: int
    text: str
    window: str = ""  # the sentence with its neighbours: proximity of the question's terms
    sentence_index: int = -1  # position in the passage's sentence map; -1 when extended (a list)
    members: tuple[int, ...] = ()  # a list block's sentences (its lead-in and items) in the sentence map


class AnswerBuilder:
    """:param embed: texts -> L2-normalised embeddings (the retriever's model).
    :param settings: thresholds, lengths and score weights (``AnswerSettings``).
    :param idf: lower-case word -> BM25 idf in the corpus (0 when unknown; the keyword index
        looks the word up under its stem in each indexed language).
    :param multilingual: texts -> L2-normalised multilingual embeddings; sentences in another
        language than the question's are scored with it (the English model cannot compare them)
        and with the question's translations for the word overlap."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], settings: AnswerSettings | None = None,
                 idf: Callable[[str], float] | None = None,
                 stored_vectors: Callable[[list[str]], dict[str, np.ndarray]] | None = None,
                 multilingual: Callable[[list[str]], np.ndarray] | None = None):
        self.embed = embed
        self.settings = settings or AnswerSettings()
        self.idf = idf
        self.stored_vectors = stored_vectors
        self.multilingual = multilingual

    def warm_up(self) -> None:
        """Load the English word list that tells prose from diagram text (~1-2 s on first use)."""
        from nlp.language import english_words

        english_words()

    def build(self, question: str, passages: list[Document], query_embedding: Sequence[float],
              language: str = "", translations: Sequence[dict] = ()) -> Answer:
        """``language``: the question's; ``translations``: its words in other languages
        (``QueryTranslations.as_list``), for sentences written in those languages."""
        s = self.settings
        missing = unknown_names(question, self.idf) if self.idf else []
        if missing:
            return Answer(question, False, [], [], passages, missing=missing)
        candidates = self._candidates(passages[: s.passages_read])
        if not candidates:
            return Answer(question, False, [], [], passages)
        q = np.asarray(query_embedding, dtype=np.float32)
        sent_emb = self._sentence_embeddings(candidates)
        cosine = sent_emb @ q
        q_terms = content_terms(question, self.idf)
        alternatives = [{} for _ in candidates]
        if language:
            cross = [i for i, c in enumerate(candidates) if passage_language(c.passage.meta) not in ("", language)]
            if cross and self.multilingual is not None:
                vectors = np.asarray(self.multilingual([question] + [candidates[i].text for i in cross]), dtype=np.float32)
                cosine[cross] = vectors[1:] @ vectors[0]
            for i in cross:
                alternatives[i] = translated_terms(translations, passage_language(candidates[i].passage.meta))
        overlap = np.array([term_overlap(q_terms, c.text, alt) for c, alt in zip(candidates, alternatives)])
        context = np.array([term_overlap(q_terms, c.window, alt) for c, alt in zip(candidates, alternatives)])
        rank_bonus = np.array([s.rank_bonus / (1 + c.passage_rank) for c in candidates])
        scores = s.similarity_weight * cosine + s.overlap_weight * overlap + s.context_weight * context + rank_bonus
        if s.passage_weight:
            scores = scores + s.passage_weight * _relative_scores(passages, candidates)
        if s.list_bonus:
            scores = scores + s.list_bonus * np.array([1.0 if c.members else 0.0 for c in candidates])
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        if best < s.threshold:
            return Answer(question, False, [], [], passages, scores=[best],
                          nearest=number_citations([candidates[int(order[0])]]))
        chosen: list[int] = []
        for i in order:
            if len(chosen) >= s.max_sentences or scores[i] < max(s.threshold, best - s.keep_within):
                break
            if any(float(sent_emb[i] @ sent_emb[j]) > s.duplicate_similarity for j in chosen):
                continue  # near-duplicate of a chosen sentence
            chosen.append(int(i))
        citations = number_citations([candidates[i] for i in chosen])
        return Answer(
            question, True, [(c.sentence, c.n) for c in citations], citations, passages,
            scores=[float(scores[i]) for i in chosen],
        )

    def _sentence_embeddings(self, candidates: list[_Candidate]) -> np.ndarray:
        """Stored vectors where the index has them (computed at ingestion); a list block's is the
        normalised mean of its sentences' stored vectors; the model encodes the rest."""
        stored = self.stored_vectors(sorted({c.passage.id for c in candidates})) if self.stored_vectors else {}
        rows: list[np.ndarray | None] = []
        for c in candidates:
            vecs = stored.get(c.passage.id)
            if vecs is not None and c.members and max(c.members) < len(vecs):
                mean = vecs[list(c.members)].mean(axis=0)
                rows.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
                continue
            ok = vecs is not None and 0 <= c.sentence_index < len(vecs)
            rows.append(vecs[c.sentence_index] if ok else None)
        missing = [i for i, r in enumerate(rows) if r is None]
        if missing:
            fresh = np.asarray(self.embed([candidates[i].text for i in missing]), dtype=np.float32)
            for i, v in zip(missing, fresh):
                rows[i] = v
        return np.vstack(rows).astype(np.float32)

    def _candidates(self, passages: list[Document]) -> list[_Candidate]:
        out: list[_Candidate] = []
        seen: set[str] = set()
        for rank, p in enumerate(passages):
            text = p.content or ""
            spans = sentence_spans(p)
            english = passage_language(p.meta) == "en"
            units = sentence_units(p)
            for k, (start, end, page, offset) in enumerate(spans):
                if units[k] in NOT_ANSWERS:
                    continue  # a heading, a contents line or a table cell is never an answer sentence
                s = text[start:end].strip()
                sentence_index, members = k, ()
                kept, last = _list_block(spans, units, text, k) if s.endswith(":") else ([], k)
                if not kept and k + 1 < len(spans) and _is_label(text[spans[k + 1][0]:spans[k + 1][1]]):
                    kept, last = _list_block(spans, units, text, k + 1)  # "Luxinnovation heads six clusters. These are: - ..."
                    kept = [k + 1, *kept] if kept else []
                if kept:
                    s = s + " " + " ".join(text[spans[j][0]:spans[j][1]].strip() for j in kept)
                    end = spans[last][1]
                    sentence_index, members = -1, (k, *kept)
                n = len(s.split())
                key = " ".join(s.lower().split())  # one text once, however its lines were broken
                if n < self.settings.min_words or n > self.settings.max_words or key in seen or not _looks_like_prose(s, english):
                    continue
                seen.add(key)
                lo, hi = spans[max(k - 1, 0)][0], spans[min(k + 1, len(spans) - 1)][1]
                out.append(_Candidate(rank, p, start, end, page, offset, s, text[lo:max(hi, end)], sentence_index,
                                      members))
        return out


def _relative_scores(passages: list[Document], candidates: list[_Candidate]) -> np.ndarray:
    """Each candidate's passage score over the best passage's (0 when scores are missing)."""
    top = max((float(p.score or 0.0) for p in passages), default=0.0)
    if top <= 0:
        return np.zeros(len(candidates), dtype=np.float32)
    return np.array([max(float(c.passage.score or 0.0), 0.0) / top for c in candidates], dtype=np.float32)


def number_citations(chosen: list[_Candidate]) -> list[Citation]:
    """One numbered citation per answer sentence, in answer order."""
    return [cite(n, c.passage, (c.start, c.end), c.page, c.page_offset, c.text) for n, c in enumerate(chosen, start=1)]


NOT_ANSWERS = ("h", "t", "c")  # unit codes (nlp/structure.py): heading, table of contents, table or diagram cell


def _list_block(spans: list[tuple[int, int, int, int]], units: str, text: str, k: int) -> tuple[list[int], int]:
    """The items of the list that sentence ``k`` introduces (as the structure typed them, else
    bullet or short lines up to ``_list_after``) and the last sentence the list reaches; ([], k)
    when none follows."""
    items = _items_after(units, k)
    last = items[-1] if items else _list_after(spans, k, text)
    if last <= k:
        return [], k
    return items or [j for j in range(k + 1, last + 1) if _BULLET.match(text[spans[j][0]:spans[j][1]])
                     or len(text[spans[j][0]:spans[j][1]].split()) <= 12], last


LABEL_WORDS = 4  # "These are:", "Sub-sectors:": a lead-in this short belongs to the sentence before it


def _is_label(sentence: str) -> bool:
    sentence = sentence.strip()
    return sentence.endswith(":") and len(sentence.split()) <= LABEL_WORDS


def _items_after(units: str, k: int, max_items: int = 10) -> list[int]:
    """The list items (unit code ``l``) right after sentence ``k``, as the structure typed them."""
    out = []
    for j in range(k + 1, min(len(units), k + 1 + max_items)):
        if units[j] != "l":
            break
        out.append(j)
    return out


_BROKEN_WORD = re.compile(r"[a-z]{2,}- [a-z]{2,}")  # "stakehol- ders": a word cut by a table or diagram cell


def _looks_like_prose(s: str, english: bool = False) -> bool:
    """Not a table of contents, a number table or text read across diagram cells. In English
    text, words cut by diagram cells ("stakehol- ders", "clu- sters", "econoimplementing") count
    against a sentence: three such fragments and it is not a sentence anyone wrote."""
    letters = sum(map(str.isalpha, s))
    if letters < 0.5 * len(s) or "...." in s or ". . . ." in s:
        return False
    broken = len(_BROKEN_WORD.findall(s))
    if english:
        from nlp.language import english_words

        known = english_words()
        broken += sum(1 for m in WORD.finditer(s) if m.group().isalpha() and m.group().islower()
                      and m.group() not in known)
    return broken < 3


_BULLET = re.compile(r"^\s*([•●○▪■◦‣∙·*\-–—]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s")


def _list_after(spans: list[tuple[int, int, int, int]], i: int, text: str, max_items: int = 10,
                max_gap: int = 6) -> int:
    """Index of the last sentence of the list introduced by sentence ``i`` ("...domains:"), or
    ``i`` when none follows. Items are bulleted or short; up to ``max_gap`` other sentences (a
    footnote dropped into the list) may stand between bulleted items."""
    last, items, gap = i, 0, 0
    bullet = None
    for j in range(i + 1, len(spans)):
        s = text[spans[j][0]:spans[j][1]]
        m = _BULLET.match(s)
        if m and (bullet is None or m.group(1) == bullet):
            bullet = m.group(1)
            last, items, gap = j, items + 1, 0
        elif bullet is None and len(s.split()) <= 12 and items < max_items:
            last, items = j, items + 1
        elif bullet is not None and gap < max_gap:
            gap += 1
            continue
        else:
            break
        if items >= max_items:
            break
    return last
