"""The tagging vocabulary as data: the concepts of ``lexicon/terms.jsonl`` (support structures,
process and strategy terms, with variants per language and acronyms) and the priority domains of
``lexicon/domains.jsonl``, loaded and validated here for the taggers, filters and reports."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

LEXICON_DIR = Path(__file__).parent / "lexicon"
TERMS_FILE = LEXICON_DIR / "terms.jsonl"
DOMAINS_FILE = LEXICON_DIR / "domains.jsonl"


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    group: str
    variants: dict[str, list[str]]
    acronyms: list[str] = field(default_factory=list)
    not_before: list[str] = field(default_factory=list)
    not_after: list[str] = field(default_factory=list)
    policy: str = ""


@dataclass(frozen=True)
class DomainDef:
    id: str
    label: str
    nace: str
    keywords: dict[str, list[str]]


def _read_jsonl(path: Path) -> tuple[dict, list[dict]]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[0], lines[1:]


@lru_cache(maxsize=4)
def load_lexicon(path: Path = TERMS_FILE) -> tuple[str, tuple[Concept, ...]]:
    """(version, concepts). Raises ValueError naming the file and line on a malformed entry."""
    header, rows = _read_jsonl(Path(path))
    concepts = []
    for i, row in enumerate(rows, start=2):
        try:
            concepts.append(Concept(**row))
        except TypeError as exc:
            raise ValueError(f"{path}:{i}: bad concept entry ({exc})") from exc
    ids = [c.id for c in concepts]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate concept ids")
    return header["lexicon_version"], tuple(concepts)


@lru_cache(maxsize=4)
def load_taxonomy(path: Path = DOMAINS_FILE) -> tuple[str, tuple[DomainDef, ...]]:
    header, rows = _read_jsonl(Path(path))
    return header["taxonomy_version"], tuple(DomainDef(**row) for row in rows)


def flag(concept_or_domain: str) -> str:
    """Metadata key of a boolean filter flag: 'support.living_lab' -> 'tag__support_living_lab'."""
    prefix = "dom__" if concept_or_domain.startswith("domain.") else "tag__"
    return prefix + concept_or_domain.replace(".", "_")


ACRONYM = re.compile(r"^[A-Z][A-Z0-9&.\-]{3,}$")


def is_acronym(alias: str) -> bool:
    """An all-capitals name of 4+ characters (JIC, DIGIMAT) or a camel-case one (eHealth)."""
    return bool(ACRONYM.match(alias)) or (alias[:1].islower() and any(c.isupper() for c in alias[1:]))
