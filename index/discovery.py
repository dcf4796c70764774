"""Which files an ingest considers, and the id each document gets.

Every file seen under an ingested folder gets a line in the report: hidden files and folders
(names starting with '.') are listed as skipped, symbolic links are followed only to files inside
the ingested folder (a link to a file outside it, or a broken link, is reported, not followed).
A document id belongs to one file: the manifest's doc_id or the one inferred from the file name,
with a suffix from the file's path when another file already holds it."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.manifest import MANIFEST_NAME, DocMeta, load_manifest

from .records import DocumentRecord

IGNORED_NAMES = {MANIFEST_NAME, "README.md", "SOURCES.md"}
Note = tuple[Path, str, str]  # (file, status, reason) for the report


def discover(paths: list[Path]) -> tuple[list[Path], list[Path], list[Note]]:
    """Files to consider (resolved), the folders among ``paths`` (whose missing files get
    removed), and a note for each file seen but not considered."""
    files: list[Path] = []
    roots: list[Path] = []
    notes: list[Note] = []
    for p in map(Path, paths):
        if p.is_dir():
            root = p.resolve()
            roots.append(root)
            files.extend(_walk(p, root, notes))
        else:
            files.append(p)  # named explicitly: followed wherever it points
    return [f.resolve() for f in files], roots, notes


def _walk(folder: Path, root: Path, notes: list[Note]) -> list[Path]:
    out: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            what = "folder" if entry.is_dir() and not entry.is_symlink() else "file"
            notes.append((entry, "skipped", f"hidden {what} (name starts with '.'); not ingested"))
        elif entry.is_symlink():
            target = Path(entry).resolve()
            if not target.exists():
                notes.append((entry, "skipped", f"broken symbolic link (to {entry.readlink()}); not ingested"))
            elif not target.is_relative_to(root):
                notes.append((entry, "skipped", f"symbolic link to {target}, outside the ingested folder {root}; "
                                                "not followed"))
            elif target.is_file():
                if entry.name not in IGNORED_NAMES:
                    out.append(entry)  # resolved to its target: the same file is indexed once
            else:
                notes.append((entry, "skipped", f"symbolic link to the folder {target}; not followed"))
        elif entry.is_dir():
            out.extend(_walk(entry, root, notes))
        elif entry.is_file() and entry.name not in IGNORED_NAMES:
            out.append(entry)
        elif not entry.is_file():
            notes.append((entry, "skipped", "not a regular file; not ingested"))
    return out


def manifest_for(path: Path, cache: dict[Path, dict[str, DocMeta]],
                 problems: list[str]) -> tuple[DocMeta | None, Path | None]:
    """The manifest row describing ``path`` (in its folder or up to three folders above)."""
    for parent in list(path.parents)[:4]:
        if parent not in cache:
            cache[parent] = load_manifest(parent, problems)
        if str(path) in cache[parent]:
            return cache[parent][str(path)], parent
    return None, None


def path_key(path: Path) -> str:
    """A short key of a file's full path: the suffix that makes its document id its own."""
    return hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:8]


def path_of(record: DocumentRecord) -> str:
    return record.meta.get("file_path") or record.file


def own_id(known: dict[str, DocumentRecord], path: Path, wanted: str, sha: str, taken: set[str],
           by_path: dict[str, str] | None = None) -> str:
    """The id of the document at ``path``: the one its path already has in the index, when it is
    ``wanted`` or ``wanted`` with a suffix (so ids stay stable across runs); else ``wanted`` (the manifest's doc_id, or the one inferred from the file
    name) when no other file holds it; else ``wanted-<path key>``. A record whose file is gone is
    taken over only by the same content at a new path (a moved file). ``by_path``: path -> id of
    the known records (``ids_by_path(known)``), computed once per run."""
    held = (by_path if by_path is not None else ids_by_path(known)).get(str(path))
    if held and held not in taken and (held == wanted or held.startswith(f"{wanted}-")):
        return held
    for doc_id in (wanted, f"{wanted}-{path_key(path)}"):
        if doc_id in taken:
            continue
        prev = known.get(doc_id)
        if prev is None or path_of(prev) == str(path):
            return doc_id
        if prev.sha256 == sha and not Path(path_of(prev)).exists():
            return doc_id  # the same file, moved: re-indexed under its new path
    n = 2
    while f"{wanted}-{path_key(path)}-{n}" in taken:
        n += 1
    return f"{wanted}-{path_key(path)}-{n}"


def ids_by_path(known: dict[str, DocumentRecord]) -> dict[str, str]:
    """File path -> the id its record has (a path recorded twice keeps its first id, by id order)."""
    out: dict[str, str] = {}
    for doc_id in sorted(known):
        out.setdefault(path_of(known[doc_id]), doc_id)
    return out
