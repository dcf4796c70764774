"""Haystack component: corpus files -> one cleaned Document per page, with document metadata.

Files are read in worker processes; long PDFs are cut into page ranges so that the pages of one
large programme are extracted in parallel too. A file that fails is reported in ``failures`` with
a one-line reason and the rest of the batch goes on.
"""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from haystack import Document, component

from .clean import clean_pages
from .errors import IngestError
from .extract import (
    RawPage,
    extract_docx_pages,
    extract_html_pages,
    extract_pdf_pages,
    extract_text_pages,
    pdf_page_count,
    sniff_kind,
)

PAGES_PER_TASK = 16
MIN_CHARS_PER_PAGE = 20  # below this on every page, a PDF has no usable text layer


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class _FileJob:
    path: Path
    meta: dict[str, Any]
    kind: str = ""
    n_pages: int = 0
    pdf_title: str = ""
    raw: dict[int, str] = field(default_factory=dict)
    error: str = ""


def _extract_task(kind: str, path: str, first: int, last: int) -> tuple[list[tuple[int, str]], str, dict]:
    """Runs in a worker process. Returns (pages, error, what was learnt about the file)."""
    p = Path(path)
    try:
        if kind == "pdf":
            pages: list[RawPage] = extract_pdf_pages(p, first, last)
        elif kind == "docx":
            pages = extract_docx_pages(p)
        elif kind == "html":
            pages = extract_html_pages(p)
        else:
            pages = extract_text_pages(p)
        info = {"encoding": pages[0].encoding} if pages and pages[0].encoding else {}
        return [(pg.number, pg.text) for pg in pages], "", info
    except IngestError as exc:
        return [], exc.reason, {}
    except Exception as exc:  # never let one file stop the batch
        return [], f"extraction failed ({type(exc).__name__}: {exc})", {}


@component
class CorpusConverter:
    """Convert PDF/DOCX/TXT/MD/HTML files into cleaned per-page Documents.

    :param workers: worker processes for extraction (0 = in this process).
    :param progress_bar: show a tqdm bar over pages.
    :param progress_callback: called as ``(pages_done, pages_total)`` as pages are extracted
        (for front ends that draw their own progress).
    """

    def __init__(self, workers: int = 2, progress_bar: bool = True,
                 progress_callback: Callable[[int, int], None] | None = None):
        if workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        self.workers = workers
        self.progress_bar = progress_bar
        self.progress_callback = progress_callback

    @component.output_types(documents=list[Document], failures=list[dict])
    def run(self, sources: list[Path], meta: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        metas = meta or [{} for _ in sources]
        if len(metas) != len(sources):
            raise ValueError("meta must have one dict per source")
        jobs = [_FileJob(Path(s), dict(m)) for s, m in zip(sources, metas)]
        tasks = self._plan(jobs)
        self._run_tasks(jobs, tasks)
        documents: list[Document] = []
        failures: list[dict] = []
        for job in jobs:
            pages = [] if job.error else self._page_documents(job)  # may find there is no text: job.error
            if job.error:
                failures.append({"file": str(job.path), "doc_id": job.meta.get("doc_id", ""), "reason": job.error})
                continue
            documents.extend(pages)
        return {"documents": documents, "failures": failures}

    def _plan(self, jobs: list[_FileJob]) -> list[tuple[int, str, str, int, int]]:
        tasks = []
        for i, job in enumerate(jobs):
            try:
                job.kind = sniff_kind(job.path)
                if job.kind == "pdf":
                    job.n_pages, job.pdf_title = pdf_page_count(job.path)
                    if job.n_pages == 0:
                        raise IngestError(job.path, "PDF has no pages")
                    for first in range(1, job.n_pages + 1, PAGES_PER_TASK):
                        last = min(first + PAGES_PER_TASK - 1, job.n_pages)
                        tasks.append((i, job.kind, str(job.path), first, last))
                else:
                    tasks.append((i, job.kind, str(job.path), 1, 0))
            except IngestError as exc:
                job.error = exc.reason
            except OSError as exc:
                job.error = f"cannot read file ({exc.strerror or exc})"
        return tasks

    def _run_tasks(self, jobs: list[_FileJob], tasks: list[tuple[int, str, str, int, int]]) -> None:
        from tqdm import tqdm

        total = sum((last - first + 1) if kind == "pdf" else 1 for _, kind, _, first, last in tasks)
        bar = tqdm(total=total, unit="page", desc="Extracting", disable=not self.progress_bar)
        if self.progress_callback:
            callback, update = self.progress_callback, bar.update

            def report(n: int) -> None:
                update(n)
                callback(bar.n, total)

            bar.update = report  # type: ignore[method-assign]
        try:
            if self.workers and len(tasks) > 1:
                with ProcessPoolExecutor(max_workers=min(self.workers, os.cpu_count() or 1)) as pool:
                    futures = [(t, pool.submit(_extract_task, *t[1:])) for t in tasks]
                    for t, fut in futures:
                        self._collect(jobs, t, fut.result(), bar)
            else:
                for t in tasks:
                    self._collect(jobs, t, _extract_task(*t[1:]), bar)
        finally:
            bar.close()

    @staticmethod
    def _collect(jobs, task, result, bar) -> None:
        i, kind, _, first, last = task
        pages, error, info = result
        job = jobs[i]
        job.meta.update(info)
        if error and not job.error:
            job.error = error
        for number, text in pages:
            job.raw[number] = text
        if kind != "pdf":
            job.n_pages = len(pages)
        bar.update((last - first + 1) if kind == "pdf" else 1)

    def _page_documents(self, job: _FileJob) -> list[Document]:
        numbers = sorted(job.raw)
        raw = [job.raw[n] for n in numbers]
        if not any(len(t.strip()) >= MIN_CHARS_PER_PAGE for t in raw):
            job.error = (
                "no text layer (scanned or image-only PDF?); OCR is not supported"
                if job.kind == "pdf" else "no text found in file"
            )
            return []
        cleaned = clean_pages(raw)
        meta = dict(job.meta)
        if not meta.get("title") or meta.get("inferred") and job.pdf_title:
            meta["title"] = job.pdf_title or meta.get("title") or job.path.stem
        meta.update(file_path=str(job.path), n_pages=job.n_pages, file_kind=job.kind)
        docs = []
        for number, text in zip(numbers, cleaned):
            if text.strip():
                docs.append(Document(content=text, meta={**meta, "page_number": number}))
        return docs
