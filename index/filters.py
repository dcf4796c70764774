"""The filters a user narrows a search to, defined once: document fields (``FILTER_FIELDS``),
passage tags and the regions passages are about, turned into one Haystack filter that every
retriever applies (Chroma, the keyword and multilingual retrievers' row masks, reports)."""
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
    Moravia"); the others match exactly (case-insensitive). A document that lists several regions
    (the seed report lists ten) counts for the region only through its passages about it: those
    flagged ``region__<slug>`` at tagging (``nlp.regions``). ``tag`` (concept or domain ids, comma =
    any of) keeps passages tagged with one of them. Raises ValueError naming the filter when no
    document matches or a tag id is unknown."""
    tags = criteria.pop("tag", None)
    tag_filter = _tag_filter(tags) if tags else None
    doc_filter = _doc_filter(documents, {k: v for k, v in criteria.items() if v})
    return _all([f for f in (doc_filter, tag_filter) if f])


def _doc_filter(docs: list[_Record], active: dict[str, str]) -> dict[str, Any] | None:
    if not active:
        return None
    for key, value in active.items():
        if key not in FILTER_FIELDS:
            raise ValueError(f"unknown filter {key!r}; use one of {', '.join(FILTER_FIELDS)}")
        wanted = _wanted(value)
        kept = [d for d in docs if _matches(key, d, wanted)]
        if not kept:
            known = sorted({str(_field(key, d)) for d in docs if _field(key, d)})
            hint = f"; known values: {', '.join(known[:20])}" if known else ""
            raise ValueError(f"no indexed document matches {key}={value!r}{hint}")
        docs = kept
    if "region" not in active:
        return _doc_ids(docs)
    return _region_filter(docs, _wanted(active["region"]))


def _region_filter(docs: list[_Record], wanted: list[str]) -> dict[str, Any] | None:
    """The documents' passages about a wanted region: those flagged ``region__<slug>`` at tagging
    (``nlp.regions``). A one-region document's passages all are, except those about places
    elsewhere (the OECD review's boxes on Tuscany in the Lubelskie review); a document of several
    regions, its passages about the wanted one."""
    from nlp.regions import document_regions, region_flag

    names = dict.fromkeys(r for d in docs for r in document_regions(d.meta.get("region"))
                          if any(w in r.lower() for w in wanted))
    flags = _any([{"field": f"meta.{region_flag(n)}", "operator": "==", "value": True} for n in names])
    return _all([_doc_ids(docs), flags]) if flags else _doc_ids(docs)


def _wanted(value: str) -> list[str]:
    return [v.strip().lower() for v in str(value).split(",") if v.strip()]


def _doc_ids(docs: list[_Record]) -> dict[str, Any]:
    return {"field": "meta.doc_id", "operator": "in", "value": [d.doc_id for d in docs]}


def _all(conditions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """AND of the conditions; one alone as itself (Chroma refuses an AND of one)."""
    return _join("AND", conditions)


def _any(conditions: list[dict[str, Any]]) -> dict[str, Any] | None:
    return _join("OR", conditions)


def _join(operator: str, conditions: list[dict[str, Any]]) -> dict[str, Any] | None:
    if len(conditions) > 1:
        return {"operator": operator, "conditions": conditions}
    return conditions[0] if conditions else None


def _tag_filter(tags: str) -> dict[str, Any]:
    from nlp.lexicon import flag, load_lexicon, load_taxonomy

    known = [c.id for c in load_lexicon()[1]] + [d.id for d in load_taxonomy()[1]]
    wanted = [t.strip() for t in tags.split(",") if t.strip()]
    for t in wanted:
        if t not in known:
            raise ValueError(f"unknown tag {t!r}; known tags: {', '.join(known)}")
    return _any([{"field": f"meta.{flag(t)}", "operator": "==", "value": True} for t in wanted])


def _field(key: str, doc: _Record) -> str:
    return doc.doc_id if key == "doc_id" else str(doc.meta.get(key, ""))


def _matches(key: str, doc: _Record, wanted: list[str]) -> bool:
    value = _field(key, doc).lower()
    if key == "region":
        from nlp.regions import document_regions

        return any(w in r for w in wanted for r in document_regions(value))
    return value in wanted
