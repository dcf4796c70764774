"""BM25 keyword index (bm25s + Snowball stemming) and its Haystack retriever component."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document, component
from haystack.utils.filters import document_matches_filter

IDS_FILE = "passage_ids.json"


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def keyword_text(doc: Document) -> str:
    """What the keyword index reads: the passage, plus title, region and the English names of the
    concepts tagged in it, so that questions naming a document, a region or a concept ("living
    lab" for a German "Reallabor") find it."""
    m = doc.meta
    concepts = " ".join(t.split(".", 1)[-1].replace("_", " ") for t in m.get("tags", []))
    return f"{m.get('title', '')}\n{m.get('region', '')}\n{concepts}\n{doc.content or ''}"


class KeywordIndex:
    """A bm25s index over passages, saved in ``folder`` with the passage ids in index order."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._bm25 = None
        self._ids: list[str] = []
        self._stem = None
        self._df: np.ndarray | None = None

    @property
    def ids(self) -> list[str]:
        return self._ids

    def build(self, documents: list[Document]) -> None:
        import bm25s

        self._stem = self._stem or _stemmer()
        self._ids = [d.id for d in documents]
        bm25 = bm25s.BM25()
        if documents:
            tokens = bm25s.tokenize([keyword_text(d) for d in documents], stopwords="en", stemmer=self._stem, show_progress=False)
            bm25.index(tokens, show_progress=False)
        self._bm25 = bm25
        self._df = None
        self.folder.mkdir(parents=True, exist_ok=True)
        if documents:
            bm25.save(str(self.folder), show_progress=False)
        tmp = self.folder / (IDS_FILE + ".tmp")
        tmp.write_text(json.dumps(self._ids))
        tmp.replace(self.folder / IDS_FILE)

    def load(self) -> bool:
        import bm25s

        ids_file = self.folder / IDS_FILE
        if not ids_file.exists():
            return False
        self._ids = json.loads(ids_file.read_text())
        self._stem = _stemmer()
        self._bm25 = bm25s.BM25.load(str(self.folder), show_progress=False) if self._ids else None
        self._df = None
        return True

    def idf(self, stem: str) -> float:
        """BM25 inverse document frequency of a stemmed, lower-case term (0 when unknown)."""
        if self._bm25 is None or not self._ids:
            return 0.0
        if self._df is None:
            self._df = np.diff(self._bm25.scores["indptr"])
        i = self._bm25.vocab_dict.get(stem)
        if i is None or i >= len(self._df):
            return 0.0
        n, df = len(self._ids), int(self._df[i])
        return float(np.log((n - df + 0.5) / (df + 0.5) + 1.0))

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) pairs, best first; rows index ``ids``. Empty when nothing matches."""
        import bm25s

        if self._bm25 is None or not self._ids:
            return []
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=self._stem, show_progress=False, allow_empty=True)
        if not any(tokens.ids[0]) and not tokens.ids[0]:
            return []
        k = min(k, len(self._ids))
        rows, scores = self._bm25.retrieve(tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]


@component
class KeywordRetriever:
    """Haystack retriever over a :class:`KeywordIndex`. ``documents`` maps passage id to the
    passage Document returned (with BM25 score)."""

    def __init__(self, index: KeywordIndex, documents: dict[str, Document], top_k: int = 10):
        if top_k <= 0:
            raise ValueError(f"top_k must be > 0, got {top_k}")
        self.index = index
        self.documents = documents
        self.top_k = top_k
        self._masks: FilterMasks | None = None

    @component.output_types(documents=list[Document])
    def run(self, query: str, filters: dict[str, Any] | None = None, top_k: int | None = None) -> dict[str, Any]:
        k = top_k or self.top_k
        mask = None
        if filters:
            if self._masks is None or self._masks.ids is not self.index.ids:
                self._masks = FilterMasks(self.index.ids, self.documents)
            mask = self._masks.mask(filters).astype(float)
            if not mask.any():
                return {"documents": []}
        out = []
        for row, score in self.index.search(query, k, mask):
            doc = self.documents[self.index.ids[row]]
            out.append(Document(id=doc.id, content=doc.content, meta=doc.meta, score=score))
        return {"documents": out}



class FilterMasks:
    """Row masks of Haystack filters over passages in a fixed order (``ids``), for retrievers that
    score every row (BM25, the multilingual vectors)."""

    def __init__(self, ids: list[str], documents: dict[str, Document]):
        self.ids = ids
        self.documents = documents
        self._columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}

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
