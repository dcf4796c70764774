"""Extractive answers with citations (no LLM).

From the fused top passages, every sentence is scored against the question: cosine similarity of
all-MiniLM-L6-v2 embeddings plus the share of the question's content words it contains (names and
acronyms such as DIGIMAT or RIS3CAT weigh more). The best 1-4 sentences, without near-duplicates,
form the answer; each carries a citation record that points to document, page and the sentence's
span in the passage. When no sentence scores above the threshold, the answer says the corpus does
not seem to answer the question and the nearest passages are still returned. So it does when an
English question names something (a capitalised word, not the first) that no indexed passage
contains, e.g. a region the corpus does not cover: "The corpus does not mention Bratislava".
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
from haystack import Document

from nlp.passages import sentence_spans

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "it": "Italian", "es": "Spanish", "pt": "Portuguese",
                  "pl": "Polish", "cs": "Czech", "lt": "Lithuanian", "nl": "Dutch", "fi": "Finnish", "sv": "Swedish",
                  "el": "Greek", "ro": "Romanian", "et": "Estonian", "mt": "Maltese", "sk": "Slovak", "hu": "Hungarian"}

NO_ANSWER = "The corpus does not seem to answer this question. The nearest passages are listed below."

_TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.U)


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    region: str
    country: str
    doc_type: str
    page: int
    sentence: str
    passage_id: str
    span: tuple[int, int]  # character span of the sentence in the passage text
    page_offset: int  # character offset of the sentence in the page's cleaned text
    language: str = ""
    file: str = ""


@dataclass
class Answer:
    question: str
    answered: bool
    sentences: list[tuple[str, int]]  # (sentence, citation number)
    citations: list[Citation]
    passages: list[Document]
    elapsed_ms: float = 0.0
    id: str | int | None = None
    scores: list[float] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # names in the question the corpus never mentions
    nearest: list[Citation] = field(default_factory=list)  # unanswered: the best sentence below the threshold
    question_language: str = ""  # detected (langdetect); "" when undecidable
    translations: list[dict] = field(default_factory=list)  # what joined the keyword query (index/retrieval.py)

    @property
    def other_languages(self) -> list[str]:
        """Languages of the cited sentences that differ from the question's: the answer was found
        in text written in another language (it is quoted as written, not translated)."""
        if not self.question_language:
            return []
        cited = self.citations or self.nearest
        return sorted({c.language for c in cited if c.language and c.language != self.question_language})

    @property
    def language_note(self) -> str:
        if not self.other_languages:
            return ""
        names = ", ".join(LANGUAGE_NAMES.get(x, x) for x in self.other_languages)
        return (f"Found in {names} text; your question is in {LANGUAGE_NAMES.get(self.question_language, self.question_language)}. "
                "Quoted as written.")

    @property
    def translation_note(self) -> str:
        """The words the question was also searched for in the languages the answer quotes
        ("Also searched the German text for: Flugschule (flight school), ..."); "" when the
        answer is in the question's language."""
        parts = []
        for lang in self.other_languages:
            words = list(dict.fromkeys(f"{w} ({t['source']})" for t in self.translations if t["language"] == lang
                                       for w in t["words"]))
            if words:
                more = f", +{len(words) - 8} more" if len(words) > 8 else ""
                parts.append(f"Also searched the {LANGUAGE_NAMES.get(lang, lang)} text for: {', '.join(words[:8])}{more}.")
        return " ".join(parts)

    @property
    def text(self) -> str:
        if not self.answered and self.missing:
            return f"The corpus does not mention {', '.join(self.missing)}: it does not seem to answer this question. " \
                   "The nearest passages are listed below."
        if not self.answered:
            return NO_ANSWER
        return " ".join(f"{s} [{n}]" for s, n in self.sentences)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "missing_terms": self.missing,
            "question_language": self.question_language,
            "answer_languages": sorted({c.language for c in (self.citations or self.nearest) if c.language}),
            "language_note": self.language_note,
            "translations": self.translations,
            "citations": [{**asdict(c), "span": list(c.span)} for c in self.citations],
            "nearest": [{**asdict(c), "span": list(c.span)} for c in self.nearest],
            "passages": [passage_json(rank, p) for rank, p in enumerate(self.passages, start=1)],
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def region_label(region: str, most: int = 3) -> str:
    """"A; B; C; D; E" -> "A; B; C +2 more": documents such as the seed report cover ten regions."""
    parts = [r.strip() for r in (region or "").split(";") if r.strip()]
    if len(parts) <= most:
        return "; ".join(parts)
    return "; ".join(parts[:most]) + f" +{len(parts) - most} more"


def page_label(meta: dict, page: int | None = None, page_end: int | None = None) -> str:
    """"p. 12", "pp. 12-13", or "no page numbers" for a text file without page breaks."""
    if meta.get("file_kind") == "text" and int(meta.get("n_pages") or 1) == 1:
        return "text file, no page numbers"
    if page is None:
        page, page_end = meta.get("page_start"), meta.get("page_end", meta.get("page_start"))
    page_end = page_end if page_end is not None else page
    return f"p. {page}" if page_end == page else f"pp. {page}-{page_end}"


def passage_json(rank: int, p: Document) -> dict:
    m = p.meta
    return {
        "rank": rank,
        "id": p.id,
        "doc_id": m.get("doc_id", ""),
        "title": m.get("title", ""),
        "file": m.get("file", ""),
        "doc_type": m.get("doc_type", ""),
        "region": m.get("region", ""),
        "country": m.get("country", ""),
        "language": m.get("passage_language") or m.get("language", ""),
        "page_start": m.get("page_start"),
        "page_end": m.get("page_end"),
        "text": p.content,
        "score": round(float(p.score or 0.0), 6),
    }


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


class AnswerBuilder:
    """:param embed: texts -> L2-normalised embeddings (the retriever's model).
    :param threshold: minimum score of the best sentence for an answer.
    :param max_sentences: answer length limit.
    :param idf: lower-case word -> BM25 idf in the corpus (0 when unknown; the keyword index
        looks the word up under its stem in each indexed language).
    :param multilingual: texts -> L2-normalised multilingual embeddings; sentences in another
        language than the question's are scored with it (the English model cannot compare them)
        and with the question's translations for the word overlap."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], threshold: float = 0.5,
                 max_sentences: int = 4, passages_read: int = 6, min_words: int = 5, max_words: int = 90,
                 idf: Callable[[str], float] | None = None,
                 stored_vectors: Callable[[list[str]], dict[str, np.ndarray]] | None = None,
                 multilingual: Callable[[list[str]], np.ndarray] | None = None):
        if not 1 <= max_sentences <= 10:
            raise ValueError(f"max_sentences must be 1..10, got {max_sentences}")
        self.embed = embed
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.passages_read = passages_read
        self.min_words = min_words
        self.max_words = max_words
        self.idf = idf
        self.stored_vectors = stored_vectors
        self.multilingual = multilingual

    def build(self, question: str, passages: list[Document], query_embedding: Sequence[float],
              language: str = "", translations: Sequence[dict] = ()) -> Answer:
        """``language``: the question's; ``translations``: its words in other languages
        (``QueryTranslations.as_list``), for sentences written in those languages."""
        missing = unknown_names(question, self.idf) if self.idf else []
        if missing:
            return Answer(question, False, [], [], passages, missing=missing)
        candidates = self._candidates(passages[: self.passages_read])
        if not candidates:
            return Answer(question, False, [], [], passages)
        q = np.asarray(query_embedding, dtype=np.float32)
        sent_emb = self._sentence_embeddings(candidates)
        cosine = sent_emb @ q
        q_terms = content_terms(question, self.idf)
        alternatives = [{} for _ in candidates]
        if language:
            cross = [i for i, c in enumerate(candidates) if _language(c.passage) not in ("", language)]
            if cross and self.multilingual is not None:
                vectors = np.asarray(self.multilingual([question] + [candidates[i].text for i in cross]), dtype=np.float32)
                cosine[cross] = vectors[1:] @ vectors[0]
            for i in cross:
                alternatives[i] = translated_terms(translations, _language(candidates[i].passage))
        overlap = np.array([term_overlap(q_terms, c.text, alt) for c, alt in zip(candidates, alternatives)])
        context = np.array([term_overlap(q_terms, c.window, alt) for c, alt in zip(candidates, alternatives)])
        rank_bonus = np.array([0.04 / (1 + c.passage_rank) for c in candidates])
        scores = 0.5 * cosine + 0.3 * overlap + 0.2 * context + rank_bonus
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        if best < self.threshold:
            return Answer(question, False, [], [], passages, scores=[best],
                          nearest=number_citations([candidates[int(order[0])]]))
        chosen: list[int] = []
        for i in order:
            if len(chosen) >= self.max_sentences or scores[i] < max(self.threshold, best - 0.15):
                break
            if any(float(sent_emb[i] @ sent_emb[j]) > 0.85 for j in chosen):
                continue  # near-duplicate of a chosen sentence
            chosen.append(int(i))
        citations = number_citations([candidates[i] for i in chosen])
        return Answer(
            question, True, [(c.sentence, c.n) for c in citations], citations, passages,
            scores=[float(scores[i]) for i in chosen],
        )

    def _sentence_embeddings(self, candidates: list[_Candidate]) -> np.ndarray:
        """Stored vectors where the index has them (computed at ingestion), the model otherwise."""
        stored = self.stored_vectors(sorted({c.passage.id for c in candidates})) if self.stored_vectors else {}
        rows: list[np.ndarray | None] = []
        for c in candidates:
            vecs = stored.get(c.passage.id)
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
            english = (p.meta.get("passage_language") or p.meta.get("language")) == "en"
            for k, (start, end, page, offset) in enumerate(spans):
                s = text[start:end].strip()
                sentence_index = k
                if s.endswith(":"):
                    last = _list_after(spans, k, text)
                    if last > k:
                        items = [text[a:b].strip() for a, b, _, _ in spans[k + 1:last + 1] if _BULLET.match(text[a:b])
                                 or len(text[a:b].split()) <= 12]
                        s = s + " " + " ".join(items)
                        end = spans[last][1]
                        sentence_index = -1
                n = len(s.split())
                key = s.lower()
                if n < self.min_words or n > self.max_words or key in seen or not _looks_like_prose(s, english):
                    continue
                seen.add(key)
                lo, hi = spans[max(k - 1, 0)][0], spans[min(k + 1, len(spans) - 1)][1]
                out.append(_Candidate(rank, p, start, end, page, offset, s, text[lo:max(hi, end)], sentence_index))
        return out


def number_citations(chosen: list[_Candidate]) -> list[Citation]:
    """One numbered citation per answer sentence, in answer order."""
    out = []
    for n, c in enumerate(chosen, start=1):
        m = c.passage.meta
        out.append(Citation(
            n=n, doc_id=m.get("doc_id", ""), title=m.get("title", ""), region=m.get("region", ""),
            country=m.get("country", ""), doc_type=m.get("doc_type", ""), page=int(c.page), sentence=c.text,
            passage_id=c.passage.id, span=(c.start, c.end), page_offset=int(c.page_offset),
            language=m.get("passage_language") or m.get("language", ""), file=m.get("file", ""),
        ))
    return out


_BROKEN_WORD = re.compile(r"[a-z]{2,}- [a-z]{2,}")  # "stakehol- ders": a word cut by a table or diagram cell


def _looks_like_prose(s: str, english: bool = False) -> bool:
    """Not a table of contents, a number table or text read across diagram cells. In English
    text, words cut by diagram cells ("stakehol- ders", "clu- sters", "econoimplementing") count
    against a sentence: three such fragments and it is not a sentence anyone wrote."""
    letters = sum(ch.isalpha() for ch in s)
    if letters < 0.5 * len(s) or "...." in s or ". . . ." in s:
        return False
    broken = len(_BROKEN_WORD.findall(s))
    if english:
        from nlp.language import english_words

        known = english_words()
        broken += sum(1 for m in _TOKEN.finditer(s) if m.group().isalpha() and m.group().islower()
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


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | {"does", "relate", "related", "regarding", "according", "tell", "explain", "describe"}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def unknown_names(question: str, idf: Callable[[str], float]) -> list[str]:
    """Capitalised words of an English question (not its first word) that the corpus never
    contains (BM25 idf 0 for the word, or for every part of a hyphenated one): names of places,
    programmes or organisations the corpus does not cover. Questions in other languages are left
    alone (German capitalises every noun)."""
    from nlp.language import detect_language

    names = []
    for i, m in enumerate(_TOKEN.finditer(question)):
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
    stop = _stopwords()
    out: dict[str, float] = {}
    for i, m in enumerate(_TOKEN.finditer(text)):
        w = m.group()
        if w.lower() in stop or len(w) < 2:
            continue
        stem = _stemmer().stemWord(w.lower())
        special = (w.isupper() and len(w) > 1) or any(ch.isdigit() for ch in w) or (i > 0 and w[0].isupper())
        if idf:
            weight = idf(w.lower()) or 3.0  # a term the corpus does not know counts as rare
        else:
            weight = 2.0 if special else 1.0
        out[stem] = max(out.get(stem, 0.0), weight)
    return out


def _stems(text: str) -> set[str]:
    return {_stemmer().stemWord(m.group().lower()) for m in _TOKEN.finditer(text)}


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
    if not q_terms:
        return 0.0
    words = _stems(text)
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
        stems = {x for w in t.get("words", ()) for x in _stems(w)}
        for source in _stems(t.get("source", "")):
            out.setdefault(source, set()).update(stems)
    return out


def _language(p: Document) -> str:
    return p.meta.get("passage_language") or p.meta.get("language") or ""
