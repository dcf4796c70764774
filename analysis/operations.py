"""Funded operations as a table: the stored rows of the lists of operations (index/operations.py)
with their document's title, region and country, filtered (region, beneficiary, amount range,
year, term, document) and exported to CSV, XLSX or JSON. Every row cites its page
("<title>, p. <page>")."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pandas as pd

from index.operations import OperationStore
from index.store import PassageIndex

EXPORT_FORMATS = ("csv", "xlsx", "json")

FIELDS = ("beneficiary", "name", "amount", "currency", "amount_text", "paid_amount", "total_amount", "year",
          "start_date", "end_date", "location", "description", "category", "reference", "priority", "rate")
COLUMNS = ("doc_id", "title", "region", "country", "page", "row", *FIELDS, "citation", "cells")
"""The columns of an operations table, in order. ``cells``: the row as on the page, {header: text}."""

SEARCHED = ("beneficiary", "name", "description", "location", "category", "reference", "cells")


@dataclass(frozen=True)
class OperationFilter:
    """What to keep (all given criteria at once). Text criteria are case-insensitive substrings;
    ``region`` and ``doc_id`` take a comma-separated list (any of); ``year`` the year of approval
    or allocation (or the start date's year when the list has no year column); amounts in the
    list's currency, bounds included."""

    region: str | None = None
    beneficiary: str | None = None
    term: str | None = None
    year: int | None = None
    min_amount: float | None = None
    max_amount: float | None = None
    doc_id: str | None = None

    def __post_init__(self) -> None:
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise ValueError(f"minimum amount {self.min_amount:g} is above the maximum {self.max_amount:g}")


def citation(title: str, page: int) -> str:
    """How a row cites its source: "<title>, p. <page>"."""
    return f"{title}, p. {page}"


def operations_frame(index: PassageIndex, store: OperationStore | None = None) -> pd.DataFrame:
    """Every stored row of an ingested document, with its document's metadata (``COLUMNS``)."""
    own = store is None
    store = store or OperationStore.for_index(index)
    try:
        docs = {d.doc_id: d.meta for d in index.documents() if d.status == "ingested"}
        rows = store.rows(list(docs))
    finally:
        if own:
            store.close()
    records = []
    for r in rows:
        meta = docs[r.doc_id]
        title = str(meta.get("title") or r.doc_id)
        records.append({"doc_id": r.doc_id, "title": title, "region": str(meta.get("region") or ""),
                        "country": str(meta.get("country") or ""), "page": r.page, "row": r.row,
                        **{f: r.fields.get(f) for f in FIELDS}, "citation": citation(title, r.page),
                        "cells": json.dumps(dict(zip(r.columns, r.cells)), ensure_ascii=False)})
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    for col in ("amount", "paid_amount", "total_amount"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    return frame


def _any_of(series: pd.Series, values: str) -> pd.Series:
    wanted = [v.strip().lower() for v in values.split(",") if v.strip()]
    low = series.fillna("").astype(str).str.lower()
    mask = pd.Series(False, index=series.index)
    for v in wanted:
        mask |= low.str.contains(v, regex=False)
    return mask


def filter_operations(frame: pd.DataFrame, f: OperationFilter) -> pd.DataFrame:
    """The rows of ``frame`` that meet ``f``. A region or document matching no list is a
    ValueError naming the known ones."""
    for key, column in (("region", "region"), ("doc_id", "doc_id")):
        value = getattr(f, key)
        if value and not _any_of(frame[column], value).any():
            known = ", ".join(sorted(set(frame[column]))) or "none (no list of operations is indexed)"
            raise ValueError(f"no list of operations matches {key}={value!r}; known values: {known}")
    if frame.empty:
        return frame
    mask = pd.Series(True, index=frame.index)
    if f.region:
        mask &= _any_of(frame["region"], f.region)
    if f.doc_id:
        wanted = {d.strip() for d in f.doc_id.split(",")}
        mask &= frame["doc_id"].isin(wanted)
    if f.beneficiary:
        mask &= frame["beneficiary"].fillna("").str.lower().str.contains(f.beneficiary.lower(), regex=False)
    if f.term:
        text = frame[list(SEARCHED)].fillna("").astype(str).agg(" ".join, axis=1).str.lower()
        mask &= text.str.contains(f.term.lower(), regex=False)
    if f.year is not None:
        mask &= frame["year"].eq(f.year).fillna(False).astype(bool)
    if f.min_amount is not None:
        mask &= frame["amount"].ge(f.min_amount).fillna(False).astype(bool)
    if f.max_amount is not None:
        mask &= frame["amount"].le(f.max_amount).fillna(False).astype(bool)
    return frame[mask].reset_index(drop=True)


def search_operations(index: PassageIndex, f: OperationFilter | None = None) -> pd.DataFrame:
    """The stored rows meeting ``f`` (all rows without one)."""
    return filter_operations(operations_frame(index), f or OperationFilter())


def export_operations(frame: pd.DataFrame, fmt: str) -> bytes:
    """``frame`` as CSV (UTF-8), XLSX (one sheet, "operations") or JSON (records)."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name="operations")
        return buf.getvalue()
    if fmt == "json":
        return frame.to_json(orient="records", force_ascii=False, indent=1).encode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}; formats: {', '.join(EXPORT_FORMATS)}")


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows and summed amount per list (document) and currency."""
    return (frame.groupby(["doc_id", "title", "currency"], dropna=False)
            .agg(rows=("row", "size"), amount=("amount", "sum")).reset_index())
