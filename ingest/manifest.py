"""The corpus manifest: the source of document metadata.

``corpus/manifest.csv`` has one row per file (path relative to the manifest). Files without a row
still ingest; their metadata is inferred (title from the file, language detected later) and the
record is flagged ``inferred=True``.
"""
from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_NAME = "manifest.csv"
DOC_TYPES = ("ris3", "op", "op-operations", "report", "guide", "edp", "data")
COLUMNS = (
    "doc_id", "file", "title", "doc_type", "region", "nuts", "country", "language", "year",
    "pages", "publisher", "source_repo", "source_path",
)


@dataclass
class DocMeta:
    """Metadata of one document. All fields are strings (empty when unknown), except ``inferred``."""

    doc_id: str
    file: str
    title: str = ""
    doc_type: str = ""
    region: str = ""
    nuts: str = ""
    country: str = ""
    language: str = ""
    year: str = ""
    publisher: str = ""
    source: str = ""
    inferred: bool = False
    extra: dict = field(default_factory=dict)

    def regions(self) -> list[str]:
        """The region field may list several regions separated by ';'."""
        return [r.strip() for r in self.region.split(";") if r.strip()]

    def as_meta(self) -> dict:
        """Flat, scalar metadata for passages (Chroma accepts only scalars)."""
        d = asdict(self)
        d.pop("extra")
        return d


def doc_id_for(path: Path) -> str:
    """A stable id from the file name: lower-case, [a-z0-9-] only."""
    stem = path.stem.lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or "doc"


def load_manifest(corpus_dir: Path, problems: list[str] | None = None) -> dict[str, DocMeta]:
    """Rows of ``corpus_dir/manifest.csv`` keyed by resolved file path.

    A malformed row (no file, unknown doc_type) raises ``ValueError`` naming the row number; with
    ``problems`` given, the message is appended there instead and the row is left out (its file
    is then described from the file itself), so that one bad row does not stop an ingest.
    """
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    out: dict[str, DocMeta] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), start=2):
            file = (row.get("file") or "").strip()
            doc_type = (row.get("doc_type") or "").strip()
            error = ""
            if not file:
                error = f"{path}:{lineno}: row has no 'file'"
            elif doc_type and doc_type not in DOC_TYPES:
                error = f"{path}:{lineno}: unknown doc_type {doc_type!r} (one of {', '.join(DOC_TYPES)})"
            if error:
                if problems is None:
                    raise ValueError(error)
                problems.append(error)
                continue
            src = " / ".join(x for x in ((row.get("source_repo") or "").strip(), (row.get("source_path") or "").strip()) if x)
            meta = DocMeta(
                doc_id=(row.get("doc_id") or "").strip() or doc_id_for(Path(file)),
                file=file,
                title=(row.get("title") or "").strip(),
                doc_type=doc_type,
                region=(row.get("region") or "").strip(),
                nuts=(row.get("nuts") or "").strip(),
                country=(row.get("country") or "").strip(),
                language=(row.get("language") or "").strip(),
                year=(row.get("year") or "").strip(),
                publisher=(row.get("publisher") or "").strip(),
                source=src,
            )
            out[str((corpus_dir / file).resolve())] = meta
    return out


def infer_meta(path: Path, root: Path | None = None) -> DocMeta:
    """Metadata for a file with no manifest row: flagged as inferred."""
    rel = str(path.relative_to(root)) if root and path.is_relative_to(root) else path.name
    title = re.sub(r"[-_]+", " ", path.stem).strip()
    return DocMeta(doc_id=doc_id_for(path), file=rel, title=title, inferred=True)


def copy_subset(corpus_dir: Path, dest: Path, files: list[str]) -> Path:
    """A corpus folder at ``dest`` with some of ``corpus_dir``'s files (paths relative to it) and
    their manifest rows: for tests and benchmarks on real documents."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    with (corpus_dir / MANIFEST_NAME).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r["file"] in files]
        fields = reader.fieldnames
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus_dir / f, dest / f)
    with (dest / MANIFEST_NAME).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return dest
