"""The library: one row per file the index knows, as the Library page and ``ris3 status`` show it."""
from __future__ import annotations

from index.store import PassageIndex


def library_rows(index: PassageIndex) -> list[dict]:
    """One row per known file (ingested, skipped or failed) with its metadata and tag counts."""
    rows = []
    for d in index.documents():
        m = d.meta
        rows.append({
            "doc_id": d.doc_id, "title": m.get("title", ""), "doc_type": m.get("doc_type", ""),
            "region": m.get("region", ""), "country": m.get("country", ""), "language": m.get("language", ""),
            "year": m.get("year", ""), "pages": d.n_pages, "passages": d.n_passages, "status": d.status,
            "reason": d.reason, "file": d.file, "file_path": m.get("file_path", ""),
            "file_kind": m.get("file_kind", ""), "inferred": bool(m.get("inferred")),
            "publisher": m.get("publisher", ""), "source": m.get("source", ""), "nuts": m.get("nuts", ""),
            "tag_counts": m.get("tag_counts", {}), "domain_shares": m.get("domain_shares", {}),
            "org_counts": m.get("org_counts", {}), "org_names": m.get("org_names", {}),
        })
    return rows
