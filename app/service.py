"""What the CLI and the Streamlit app share: the index, the Asker and ingestion, built from the one
settings object; uploads stored with their manifest rows. No UI code here."""
from __future__ import annotations

from pathlib import Path

from analysis.library import library_rows
from index.ingestion import IngestReport, ingest_paths
from index.store import PassageIndex
from qa.service import Asker, Filters

from .settings import Settings, quiet_third_parties

__all__ = ["Asker", "Filters", "IngestReport", "UPLOAD_TYPES", "add_documents", "ingest", "library_rows",
           "open_asker", "open_index", "save_uploads"]


def open_index(settings: Settings) -> PassageIndex:
    quiet_third_parties()
    return PassageIndex(settings.home, settings.index, chroma_url=settings.chroma_url)


def ingest(settings: Settings, paths: list[Path] | None = None, progress: bool = True,
           on_progress=None) -> IngestReport:
    index = open_index(settings)
    return ingest_paths(index, paths or [settings.corpus], workers=settings.workers, progress=progress,
                        on_progress=on_progress, hub_catalogue=settings.hub_catalogue)


UPLOAD_TYPES = ("pdf", "docx", "txt", "md", "html", "htm")


def save_uploads(settings: Settings, files: list[tuple[str, bytes]], meta: dict[str, str]) -> list[Path]:
    """Store uploaded files under ``$RIS3_HOME/uploads/`` with a manifest row each (the metadata
    the user gave), so that they ingest like bundled documents and survive re-ingestion."""
    import csv
    import re

    from ingest.manifest import COLUMNS, doc_id_for

    folder = settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    rows: dict[str, dict] = {}
    if manifest.exists():
        with manifest.open(encoding="utf-8", newline="") as fh:
            rows = {r["file"]: r for r in csv.DictReader(fh)}
    paths = []
    for name, data in files:
        safe = re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._") or "upload"
        path = folder / safe
        path.write_bytes(data)
        paths.append(path)
        rows[safe] = {c: "" for c in COLUMNS} | {
            "doc_id": doc_id_for(path), "file": safe, "title": meta.get("title") or Path(name).stem,
            "doc_type": meta.get("doc_type", ""), "region": meta.get("region", ""), "country": meta.get("country", ""),
            "year": meta.get("year", ""), "language": meta.get("language", ""), "publisher": meta.get("publisher", ""),
            "source_repo": "uploaded",
        }
    with manifest.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        w.writeheader()
        w.writerows(rows.values())
    return paths


def add_documents(settings: Settings, files: list[tuple[str, bytes]], meta: dict[str, str],
                  on_progress=None) -> IngestReport:
    """Save uploads and ingest them; a bad file is reported in the report, never raised."""
    paths = save_uploads(settings, files, meta)
    return ingest(settings, paths, progress=False, on_progress=on_progress)


def open_asker(settings: Settings) -> Asker:
    """The Asker over the index of ``settings`` (models load on first question or ``warm_up``)."""
    return Asker(open_index(settings), settings.answer)
