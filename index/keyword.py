"""BM25 keyword index (bm25s) with per-language Snowball stemming, and its Haystack retriever.

Each passage is tokenised, stripped of stop words and stemmed in its own detected language
(``passage_language``: a German passage with the German Snowball stemmer, so "Begünstigten" and
"Begünstigter" are one term). A query word is looked up under its stem in every language the
index holds, taking the best of those alternatives (a structured query: the alternatives of one
word never add up), so "Sepsis" in an English question finds the German "Sepsis" whose German
stem differs from the English one.

Terms are folded after stemming (``nlp.text.fold``: lower case, no accents): each word is stemmed
as written, so the Snowball stemmers see the accents they expect ("Förderungen" and "Förderung"
are one term), and the stem is then folded, so "Wurttemberg" finds "Württemberg" and "Fryslan"
"Fryslân". Query words are stemmed and folded the same way. (A word typed without its accents
whose stemmer strips an accented ending, Portuguese "inovacao" for "inovação", still misses.)
Hyphenated, spaced and closed compounds meet where it measured sensible: bm25s's tokens split
"one-stop-shop" into its words as they split "one stop shop"; a passage's hyphenated words are
also indexed closed up ("co-operation" also as "cooperation", "e-health" as "ehealth"), and a
query's hyphenated words are also tried closed up when the index holds the closed-up word
("co-operation" finds "cooperation", "test-bed" "testbed": ``query_groups``). Words apart are not
closed up ("test bed" does not find "testbed"): on the gold questions that cost more than it
found, run-together words of bad PDF text ("onlines3") drawing the ranking (docs/tagging.md), and
a closed-up query word is not split ("healthcare" does not find "health care"). Queries can carry extra groups of alternatives (translations
from the glossary or the vocabulary vectors), scored the same way: the best alternative of a
group counts, and groups add up.

This module is the bm25s adapter, the only one that builds, loads or reads a bm25s index
(nlp/text.py borrows only its stop-word lists). Scoring groups of alternatives and the IDF of a
word need what bm25s keeps inside a ``BM25`` object rather than its public ``retrieve``:
``vocab_dict`` (term -> column) and the precomputed score matrix ``scores`` (CSC arrays
``indptr``, ``indices``, ``data``), as laid out by bm25s 0.3.x. An upgrade of bm25s is checked
here (``KeywordIndex.idf``, ``KeywordIndex._term_scores``).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from haystack import Document, component
from haystack.utils.filters import document_matches_filter

from nlp.text import closed_compounds, fold, fold_words, index_words, passage_language, stemmer, stopwords

IDS_FILE = "passage_ids.json"
SCHEME_FILE = "scheme.json"
# How passages are tokenised; an index saved under another scheme is not loaded and is rebuilt
# from the stored passages (PassageIndex.keyword_index, repair).
SCHEME = "per-language-snowball-folded-2"
COMPOUND_PARTS = 3  # at most this many hyphenated query words are tried closed up as one word
JOINER = re.compile(r"\s*[-\u00ad\u2010\u2011]\s*")  # what stands between them: one hyphen
# An alternative is a tuple of stemmed tokens (one word, or the words of a phrase); a group is the
# alternatives of one query word or concept.
NOTHING = ""  # a token that scores nothing but counts in its alternative's mean: ("testbed", NOTHING) is half "testbed"
Group = tuple[tuple[str, ...], ...]


@lru_cache(maxsize=32)
def _stop(lang: str) -> frozenset[str]:
    """Stop words of a language as written and folded ("für", "fur")."""
    words = stopwords(lang)
    return words | frozenset(fold_words(sorted(words)))


def analyse(text: str, lang: str, compounds: bool = False) -> list[str]:
    """Index terms of a text in ``lang``: lower-case words of 2+ characters, not stop words of
    ``lang``, stemmed with its Snowball stemmer (kept as they are for a language without one),
    then folded (no accents). ``compounds``: hyphenated words also closed up ("e-health" gives
    "health" and "ehealth"), as passages are indexed."""
    stop = _stop(lang)
    words = [w for w in index_words(text) + (closed_compounds(text) if compounds else []) if w not in stop]
    s = stemmer(lang)
    return fold_words(s.stemWords(words) if s else words)


def term(word: str, lang: str) -> str:
    """The index term of one lower-case word in ``lang``: its stem, folded."""
    s = stemmer(lang)
    return fold(s.stemWord(word) if s else word)


def keyword_text(doc: Document) -> str:
    """What the keyword index reads: the passage, plus title, region and the English names of the
    concepts tagged in it, so that questions naming a document, a region or a concept ("living
    lab" for a German "Reallabor") find it."""
    m = doc.meta
    concepts = " ".join(t.split(".", 1)[-1].replace("_", " ") for t in m.get("tags", []))
    return f"{m.get('title', '')}\n{m.get('region', '')}\n{concepts}\n{doc.content or ''}"


class KeywordIndex:
    """A bm25s index over passages, saved in ``folder`` with the passage ids in index order and
    the languages its passages were stemmed in."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._bm25 = None
        self._ids: list[str] = []
        self._languages: tuple[str, ...] = ("en",)
        self._df: np.ndarray | None = None

    @property
    def ids(self) -> list[str]:
        return self._ids

    @property
    def languages(self) -> tuple[str, ...]:
        """The passage languages of the index (each stemmed with its own stemmer)."""
        return self._languages

    def build(self, documents: list[Document]) -> None:
        import bm25s

        self._ids = [d.id for d in documents]
        self._languages = tuple(sorted({passage_language(d.meta, "en") for d in documents})) or ("en",)
        bm25 = bm25s.BM25()
        if documents:
            corpus = [analyse(keyword_text(d), passage_language(d.meta, "en"), compounds=True) for d in documents]
            bm25.index([c or [""] for c in corpus], show_progress=False)
        self._bm25 = bm25
        self._df = None
        self.folder.mkdir(parents=True, exist_ok=True)
        if documents:
            bm25.save(str(self.folder), show_progress=False)
        for name, value in ((SCHEME_FILE, {"scheme": SCHEME, "languages": list(self._languages)}), (IDS_FILE, self._ids)):
            tmp = self.folder / (name + ".tmp")
            tmp.write_text(json.dumps(value))
            tmp.replace(self.folder / name)

    def saved_current(self) -> bool:
        """Is an index saved in the folder, under the current tokenisation scheme?"""
        scheme_file = self.folder / SCHEME_FILE
        return scheme_file.exists() and json.loads(scheme_file.read_text()).get("scheme") == SCHEME

    def load(self) -> bool:
        """Load the saved index; False when there is none or it was built another way (then the
        caller rebuilds it)."""
        import bm25s

        ids_file, scheme_file = self.folder / IDS_FILE, self.folder / SCHEME_FILE
        if not ids_file.exists() or not scheme_file.exists():
            return False
        scheme = json.loads(scheme_file.read_text())
        if scheme.get("scheme") != SCHEME:
            return False
        self._ids = json.loads(ids_file.read_text())
        self._languages = tuple(scheme.get("languages") or ("en",))
        self._bm25 = bm25s.BM25.load(str(self.folder), show_progress=False) if self._ids else None
        self._df = None
        return True

    # -- query side --------------------------------------------------------------------------
    def word_group(self, word: str) -> Group:
        """One query word's alternatives: its folded stem in each language of the index, stemmed
        as typed and without accents, and the folded word itself. (A stemmer reads accented
        letters as it reads no vowel: an English passage's "Jihomoravský" is stored whole as
        "jihomoravsky", while "Jihomoravsky" typed stems to "jihomoravski".)"""
        w = word.lower()
        plain = fold(w)
        return tuple(sorted({(plain,)} | {(term(x, lang),) for lang in self._languages for x in {w, plain}}))

    def query_groups(self, query: str, language: str | None = None) -> list[Group]:
        """A query's word groups, without the stop words of its ``language`` (English by default).
        Runs of 2-3 hyphenated words ("test-bed", "e-health", "one-stop-shop") are also tried
        closed up when the index holds the closed-up word: one more alternative of each of their
        n words' groups, at 1/n of its score in each, so that a passage saying "testbed" scores
        its "testbed" once, as one saying "test bed" scores "test" and "bed"."""
        stop = _stop(language or "en")
        groups = {fold(w): self.word_group(w) for w in index_words(query) if w not in stop}
        for run, closed in self._closed_compounds(query, stop):
            words = [w for w in run if w in groups]
            # the compound's share in each of its words' groups: once in all of them together
            share = {(t, *[NOTHING] * (len(words) - 1)) for (t,) in self.word_group(closed)}
            for w in words:
                groups[w] = tuple(sorted(set(groups[w]) | share))
        return list(dict.fromkeys(groups.values()))

    def _closed_compounds(self, query: str, stop: frozenset[str]) -> list[tuple[list[str], str]]:
        """(the folded words, the closed-up word) of each run of 2-3 query words joined by hyphens
        whose closed-up form is a term of the index. No stop word or number takes part, nor a
        single letter but at the start ("e-health")."""
        if self._bm25 is None:
            return []
        vocab, text = self._bm25.vocab_dict, fold(query)
        parts = list(re.finditer(r"[^\W_]+", text))
        out = []
        for i in range(len(parts) - 1):
            for n in range(2, COMPOUND_PARTS + 1):
                run = parts[i:i + n]
                if len(run) < n:
                    break
                gap = text[run[-2].end():run[-1].start()]
                if not JOINER.fullmatch(gap) or any(m.group() in stop or m.group().isdigit() for m in run) \
                        or len(run[-1].group()) == 1:
                    break
                closed = "".join(m.group() for m in run)
                if any(term(closed, lang) in vocab for lang in self._languages):
                    out.append(([m.group() for m in run], closed))
        return out

    @staticmethod
    def form_group(forms: Iterable[tuple[str, str]]) -> Group:
        """Alternatives from (word or phrase, language) pairs: a translation's words stemmed in
        the translation's language."""
        out = {tuple(analyse(text, lang)) for text, lang in forms}
        return tuple(sorted(a for a in out if a))

    def idf(self, word: str) -> float:
        """BM25 inverse document frequency of a word: the largest over its folded stems in the
        index's languages (0 when the index does not know it)."""
        if self._bm25 is None or not self._ids:
            return 0.0
        if self._df is None:
            self._df = np.diff(self._bm25.scores["indptr"])
        best = 0.0
        for (stem,) in self.word_group(word):
            i = self._bm25.vocab_dict.get(stem)
            if i is None or i >= len(self._df):
                continue
            n, df = len(self._ids), int(self._df[i])
            best = max(best, float(np.log((n - df + 0.5) / (df + 0.5) + 1.0)))
        return best

    def _term_scores(self, token: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, BM25 scores) of the passages holding a term (bm25s's precomputed column)."""
        i = self._bm25.vocab_dict.get(token)
        if i is None or not token:
            return None
        sc = self._bm25.scores
        lo, hi = sc["indptr"][i], sc["indptr"][i + 1]
        return sc["indices"][lo:hi], sc["data"][lo:hi]

    def scores(self, groups: Sequence[Group]) -> np.ndarray:
        """Every passage's score: the sum over groups of the group's best alternative, an
        alternative scoring the mean of its terms' BM25 scores (a phrase counts as one word: the
        five words of "Europäischer Fonds für regionale Entwicklung" must not outweigh the rare
        company name next to "ERDF" in the question)."""
        total = np.zeros(len(self._ids), dtype=np.float32)
        if self._bm25 is None or not self._ids:
            return total
        for group in groups:
            best = None
            for alternative in group:
                alt = None
                for token in alternative:
                    hit = self._term_scores(token)
                    if hit is None:
                        continue
                    alt = np.zeros(len(self._ids), dtype=np.float32) if alt is None else alt
                    alt[hit[0]] += hit[1] / len(alternative)  # a term's rows are distinct
                if alt is not None:
                    best = alt if best is None else np.maximum(best, alt)
            if best is not None:
                total += best
        return total

    def search_groups(self, groups: Sequence[Group], k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) pairs of a structured query, best first; rows index ``ids``."""
        if self._bm25 is None or not self._ids or not groups:
            return []
        scores = self.scores(groups)
        if mask is not None:
            scores = scores * mask
        k = min(k, len(self._ids))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(r), float(scores[r])) for r in best if scores[r] > 0]

    def search(self, query: str, k: int, mask: np.ndarray | None = None, language: str | None = None) -> list[tuple[int, float]]:
        """(row, score) pairs, best first; rows index ``ids``. Empty when nothing matches."""
        return self.search_groups(self.query_groups(query, language), k, mask)


@component
class KeywordRetriever:
    """Haystack retriever over a :class:`KeywordIndex`. ``documents`` maps passage id to the
    passage Document returned (with BM25 score). ``language``: the query's (for its stop words);
    ``groups``: extra groups of alternatives (translations: :meth:`KeywordIndex.form_group`)
    scored with the query's words."""

    def __init__(self, index: KeywordIndex, documents: dict[str, Document], top_k: int = 10, light: bool = False):
        if top_k <= 0:
            raise ValueError(f"top_k must be > 0, got {top_k}")
        self.index = index
        self.documents = documents
        self.top_k = top_k
        self.light = light  # ids and scores only: a pipeline that looks passages up after fusion
        self._masks: FilterMasks | None = None

    def filter_masks(self) -> "FilterMasks":
        """Row masks of filters over the indexed passages (built once per index state)."""
        if self._masks is None or self._masks.ids is not self.index.ids:
            self._masks = FilterMasks(self.index.ids, self.documents)
        return self._masks

    @component.output_types(documents=list[Document])
    def run(self, query: str, filters: dict[str, Any] | None = None, top_k: int | None = None,
            language: str | None = None, groups: list[Group] | None = None) -> dict[str, Any]:
        k = top_k or self.top_k
        mask = None
        if filters:
            mask = self.filter_masks().mask(filters).astype(float)
            if not mask.any():
                return {"documents": []}
        out = []
        query_groups = self.index.query_groups(query, language)
        query_groups += [g for g in (groups or []) if g and g not in query_groups]
        for row, score in self.index.search_groups(query_groups, k, mask):
            pid = self.index.ids[row]
            if self.light:
                out.append(Document(id=pid, score=score))
            else:
                doc = self.documents[pid]
                out.append(Document(id=doc.id, content=doc.content, meta=doc.meta, score=score))
        return {"documents": out}


class FilterMasks:
    """Row masks of Haystack filters over passages in a fixed order (``ids``), for retrievers that
    score every row (BM25, the multilingual vectors)."""

    def __init__(self, ids: list[str], documents: dict[str, Document]):
        self.ids = ids
        self.documents = documents
        self._columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._rows: dict[str, int] | None = None

    def row(self, passage_id: str) -> int:
        """The row of a passage id, -1 for an id not in ``ids``."""
        if self._rows is None:
            self._rows = {pid: i for i, pid in enumerate(self.ids)}
        return self._rows.get(passage_id, -1)

    def mask(self, filters: dict[str, Any]) -> np.ndarray:
        fast = self.fast(filters)
        if fast is not None:
            return fast
        return np.array([document_matches_filter(filters, self.documents[i]) for i in self.ids], dtype=bool)

    def _column(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(distinct values as text, row -> value position) of a metadata field, computed once."""
        if key not in self._columns:
            values = [str(self.documents[i].meta.get(key)) for i in self.ids]
            self._columns[key] = np.unique(np.array(values, dtype=object), return_inverse=True)
        return self._columns[key]

    def fast(self, filters: dict[str, Any]) -> np.ndarray | None:
        """Row mask of the filters the app makes (AND/OR of ``meta.x == v`` and ``meta.x in [...]``)
        computed on cached columns instead of testing every passage; None for any other shape
        (``mask`` then uses Haystack's ``document_matches_filter``). At 50k passages this takes a
        filtered keyword search from ~100-200 ms to a few ms."""
        if "conditions" in filters:
            parts = [self.fast(c) for c in filters["conditions"]]
            if not parts or any(p is None for p in parts):
                return None
            op = filters.get("operator")
            return np.logical_and.reduce(parts) if op == "AND" else np.logical_or.reduce(parts) if op == "OR" else None
        field, op, value = filters.get("field", ""), filters.get("operator"), filters.get("value")
        if not field.startswith("meta.") or op not in ("==", "in"):
            return None
        wanted = [value] if op == "==" else list(value or [])
        if any(not isinstance(v, (str, bool, int)) for v in wanted):
            return None
        distinct, rows = self._column(field[len("meta."):])
        return np.isin(distinct, [str(v) for v in wanted])[rows]
