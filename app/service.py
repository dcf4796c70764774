"""What the CLI and the Streamlit app share: the index, the Asker and ingestion, built from the one
settings object; uploads stored with their manifest rows. No UI code here."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.library import library_rows
from index.ingestion import FileOutcome, IngestReport, ingest_paths
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
    run = ingest_paths
    if settings.ingest_cluster:  # per-file work on a Dask cluster, this process the one writer
        from functools import partial

        from index.distributed import ingest_on_cluster
        run = partial(ingest_on_cluster, cluster=settings.ingest_cluster)
    return run(index, paths or [settings.corpus], workers=settings.workers, progress=progress,
               on_progress=on_progress, hub_catalogue=settings.hub_catalogue)


UPLOAD_TYPES = ("pdf", "docx", "txt", "md", "html", "htm")
MAX_UPLOAD_MB = 200  # per file: the Streamlit default (server.maxUploadSize in .streamlit/config.toml)
MAX_BATCH_MB = 500  # all files of one upload together


@dataclass
class SavedUploads:
    """What ``save_uploads`` did: the files stored (to ingest) and, per refused or duplicate
    upload, (name, one-line reason)."""

    paths: list[Path] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)


def upload_name(name: str) -> str:
    """A safe file name for an upload: its last path part, characters other than letters,
    digits, '.', '-' and '_' replaced by '_' ("a b.txt" -> "a_b.txt")."""
    return re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._") or "upload"


def save_uploads(settings: Settings, files: list[tuple[str, bytes]], meta: dict[str, str],
                 max_file_mb: float = MAX_UPLOAD_MB, max_batch_mb: float = MAX_BATCH_MB) -> SavedUploads:
    """Store uploaded files under ``$RIS3_HOME/uploads/`` with a manifest row each (the metadata
    the user gave), so that they ingest like bundled documents and survive re-ingestion.

    Distinct uploads get distinct stored names, never overwriting another upload: a name taken by
    a file with other content gets a numbered suffix ("a_b-2.txt"); a file with the same content
    as a stored upload is a duplicate and is not stored again. A file over ``max_file_mb``, or a
    batch over ``max_batch_mb``, is refused with a one-line reason."""
    import csv
    import hashlib

    from ingest.manifest import COLUMNS, doc_id_for

    out = SavedUploads()
    total = sum(len(data) for _, data in files)
    if total > max_batch_mb * 1e6:
        out.refused = [(name, f"the upload is {total / 1e6:,.1f} MB in all; at most {max_batch_mb:,.0f} MB at once")
                       for name, _ in files]
        return out
    folder = settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    rows: dict[str, dict] = {}
    if manifest.exists():
        with manifest.open(encoding="utf-8", newline="") as fh:
            rows = {r["file"]: r for r in csv.DictReader(fh)}
    stored = {hashlib.sha256(p.read_bytes()).hexdigest(): p.name for p in folder.iterdir()
              if p.is_file() and p.name != manifest.name}
    for name, data in files:
        if len(data) > max_file_mb * 1e6:
            out.refused.append((name, f"{len(data) / 1e6:,.1f} MB; files of at most {max_file_mb:,.0f} MB are accepted"))
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha in stored:
            out.duplicates.append((name, f"same content as the upload stored as {stored[sha]}; not stored again"))
            continue
        safe = upload_name(name)
        stem, suffix = Path(safe).stem, Path(safe).suffix
        n = 1
        while (folder / safe).exists():
            n += 1
            safe = f"{stem}-{n}{suffix}"
        path = folder / safe
        path.write_bytes(data)
        stored[sha] = safe
        out.paths.append(path)
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
    return out


def add_documents(settings: Settings, files: list[tuple[str, bytes]], meta: dict[str, str],
                  on_progress=None, max_file_mb: float = MAX_UPLOAD_MB) -> IngestReport:
    """Save uploads and ingest them; a bad, refused or duplicate file is an outcome of the report
    (named as uploaded, with its reason), never an exception."""
    saved = save_uploads(settings, files, meta, max_file_mb=max_file_mb,
                         max_batch_mb=max(settings.upload_batch_mb, max_file_mb))
    report = ingest(settings, saved.paths, progress=False, on_progress=on_progress) if saved.paths else IngestReport()
    report.outcomes += [FileOutcome("", name, "failed", reason) for name, reason in saved.refused]
    report.outcomes += [FileOutcome("", name, "skipped", reason) for name, reason in saved.duplicates]
    return report


def open_asker(settings: Settings) -> Asker:
    """The Asker over the index of ``settings`` (models load on first question or ``warm_up``)."""
    return Asker(open_index(settings), settings.answer, settings.rerank, settings.absence)


def open_data_answerer(settings: Settings, index):
    """Answers from the corpus's datasets (funding, hubs, Czech domains) beside the text."""
    from analysis.data_answers import DataAnswerer

    return DataAnswerer(settings.corpus, index)


def add_data_answer(answerer, answer) -> None:
    """Put the data's answer to ``answer.question`` on the answer (``Answer.data``), if any; a
    dataset that cannot be read leaves the text answer alone."""
    try:
        found = answerer.answer(answer.question)
    except (FileNotFoundError, KeyError, ValueError):
        return
    if found is not None:
        answer.data = found.to_json()
