"""The filters a user narrows a search to, defined once: document fields (``FILTER_FIELDS``) and
passage tags, turned into one Haystack filter that every retriever applies."""
from __future__ import annotations

from typing import Any, Protocol

FILTER_FIELDS = ("region", "country", "doc_type", "language", "year", "doc_id")
"""Document fields a question, report or KWIC can be filtered by (``tag`` filters passages)."""


class _Record(Protocol):
    doc_id: str
    meta: dict


def resolve_filters(documents: list[_Record], **criteria: str | None) -> dict[str, Any] | None:
    """Turn user filters (region, country, doc_type, language, year, doc_id, tag) into a Haystack
    filter. Document fields become a filter on ``meta.doc_id`` over ``documents``: region matches
    any of a document's regions, case-insensitively, by substring ("moravia" matches "South
    Moravia"); the others match exactly (case-insensitive). ``tag`` (concept or domain ids, comma =
    any of) keeps passages tagged with one of them. Raises ValueError naming the filter when no
    document matches or a tag id is unknown."""
    tags = criteria.pop("tag", None)
    tag_filter = _tag_filter(tags) if tags else None
    doc_filter = _doc_filter(documents, {k: v for k, v in criteria.items() if v})
    parts = [f for f in (doc_filter, tag_filter) if f]
    if len(parts) == 2:
        return {"operator": "AND", "conditions": parts}
    return parts[0] if parts else None


def _doc_filter(docs: list[_Record], active: dict[str, str]) -> dict[str, Any] | None:
    if not active:
        return None
    for key, value in active.items():
        if key not in FILTER_FIELDS:
            raise ValueError(f"unknown filter {key!r}; use one of {', '.join(FILTER_FIELDS)}")
        wanted = [v.strip().lower() for v in str(value).split(",") if v.strip()]
        kept = [d for d in docs if _matches(key, d, wanted)]
        if not kept:
            known = sorted({str(_field(key, d)) for d in docs if _field(key, d)})
            hint = f"; known values: {', '.join(known[:20])}" if known else ""
            raise ValueError(f"no indexed document matches {key}={value!r}{hint}")
        docs = kept
    return {"field": "meta.doc_id", "operator": "in", "value": [d.doc_id for d in docs]}


def _tag_filter(tags: str) -> dict[str, Any]:
    from nlp.lexicon import flag, load_lexicon, load_taxonomy

    known = [c.id for c in load_lexicon()[1]] + [d.id for d in load_taxonomy()[1]]
    wanted = [t.strip() for t in tags.split(",") if t.strip()]
    for t in wanted:
        if t not in known:
            raise ValueError(f"unknown tag {t!r}; known tags: {', '.join(known)}")
    conditions = [{"field": f"meta.{flag(t)}", "operator": "==", "value": True} for t in wanted]
    return conditions[0] if len(conditions) == 1 else {"operator": "OR", "conditions": conditions}


def _field(key: str, doc: _Record) -> str:
    return doc.doc_id if key == "doc_id" else str(doc.meta.get(key, ""))


def _matches(key: str, doc: _Record, wanted: list[str]) -> bool:
    value = _field(key, doc).lower()
    if key == "region":
        regions = [r.strip() for r in value.split(";") if r.strip()]
        return any(w in r for w in wanted for r in regions)
    return value in wanted
