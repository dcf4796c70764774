"""Cross-language query expansion from curated vocabulary: the cohesion-policy glossary
(``lexicon/glossary.jsonl``: beneficiary / Begünstigter / bénéficiaire ...) and the tagging
lexicon's concepts with their variants in every language (``lexicon/terms.jsonl``: living lab /
Reallabor / laboratoire vivant ...).

A query term matches a glossary form when their Snowball stems agree word by word, each side
stemmed in its own language (so "trade fairs" matches "trade fair" and "Radwege" matches
"Radweg"). Every form of a matched entry in the *other* languages is added to the keyword query,
so that an English question reaches a German passage by its German words, and the other way
round. Expansion feeds only the keyword retriever; the dense retrievers see the question as asked.

Acronyms of the lexicon's concepts (``acronyms`` in ``terms.jsonl``: EDP, DIH, S3, ...) stand for
their concept in every language, the question's own included: a question naming "EDP" (written as
the lexicon writes it, case-sensitive) is also searched for "entrepreneurial discovery process"
and its other-language forms, and one naming "digital innovation hubs" also for "DIH", "EDIH".
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .text import fold, stemmer
from .text import words as split_words

GLOSSARY_FILE = Path(__file__).parent / "lexicon" / "glossary.jsonl"


def stems(text: str, lang: str) -> tuple[str, ...]:
    """Lower-case words of ``text`` stemmed in ``lang`` (compared without accents)."""
    words = [w.lower() for w in split_words(text)]
    s = stemmer(lang)
    return tuple(fold(x) for x in (s.stemWords(words) if s else words))


@dataclass(frozen=True)
class Entry:
    forms: dict[str, tuple[str, ...]]  # language -> forms
    source: str  # "glossary" or a lexicon concept id
    acronyms: tuple[str, ...] = ()  # a lexicon concept's acronyms, in no language and case-sensitive


@dataclass
class Expansion:
    query: str
    matched: list[tuple[str, str]] = field(default_factory=list)  # (query words, entry's English label)
    added: list[str] = field(default_factory=list)  # forms added to the keyword query
    groups: list[list[tuple[str, str]]] = field(default_factory=list)  # per matched entry: (form, language) in other languages
    sources: list[str] = field(default_factory=list)  # the query words each group translates

    @property
    def text(self) -> str:
        return " ".join([self.query, *self.added])


@lru_cache(maxsize=2)
def load_glossary(path: Path = GLOSSARY_FILE) -> tuple[str, tuple[Entry, ...]]:
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    entries = tuple(Entry({lang: tuple(forms) for lang, forms in row.items()}, "glossary") for row in lines[1:])
    return lines[0]["glossary_version"], entries


@lru_cache(maxsize=2)
def _entries(include_lexicon: bool = True) -> tuple[Entry, ...]:
    entries = list(load_glossary()[1])
    if include_lexicon:
        from .lexicon import load_lexicon

        entries += [Entry({lang: tuple(v) for lang, v in c.variants.items()}, c.id, tuple(c.acronyms))
                    for c in load_lexicon()[1]]
    return tuple(entries)


@lru_cache(maxsize=2)
def _index(include_lexicon: bool = True) -> dict[str, dict[tuple[str, ...], set[int]]]:
    """language -> stemmed form -> entry numbers."""
    out: dict[str, dict[tuple[str, ...], set[int]]] = {}
    for i, e in enumerate(_entries(include_lexicon)):
        for lang, forms in e.forms.items():
            for f in forms:
                key = stems(f, lang)
                if key:
                    out.setdefault(lang, {}).setdefault(key, set()).add(i)
    return out


@lru_cache(maxsize=2)
def _acronyms(include_lexicon: bool = True) -> dict[str, set[int]]:
    """acronym as written -> entry numbers."""
    out: dict[str, set[int]] = {}
    for i, e in enumerate(_entries(include_lexicon)):
        for a in e.acronyms:
            out.setdefault(a, set()).add(i)
    return out


def _acronym_key(word: str) -> str:
    """An acronym compared without case and its plural ("DIHs", "DIH's" -> "dih")."""
    w = fold(word)
    return w[:-2] if w.endswith("'s") else w[:-1] if w.endswith("s") and len(w) > 2 else w


def expand_query(query: str, languages: frozenset[str] | None = None, max_added: int = 40,
                 include_lexicon: bool = True) -> Expansion:
    """The query with the other-language forms of every glossary or lexicon entry it names;
    ``languages``: add forms of these languages only (those of the indexed passages). A lexicon
    acronym in the query adds its concept's forms in every language, the query's too; a concept
    named by its words adds its acronyms too."""
    index = _index(include_lexicon)
    entries = _entries(include_lexicon)
    result = Expansion(query)
    hits: dict[int, tuple[str | None, str]] = {}  # entry -> (language matched, None for an acronym; words)
    words = split_words(query)
    for lang, forms in index.items():
        q = stems(query, lang)
        longest = max((len(k) for k in forms), default=0)
        for n in range(min(longest, len(q)), 0, -1):
            for start in range(len(q) - n + 1):
                for e in forms.get(q[start:start + n], ()):
                    hits.setdefault(e, (lang, " ".join(words[start:start + n])))
    acronyms = _acronyms(include_lexicon)
    for w in words:
        for e in acronyms.get(w, ()):
            hits.setdefault(e, (None, w))
    seen = {fold(w) for w in words}
    typed = {_acronym_key(w) for w in words}
    for e, (lang, text) in hits.items():
        entry = entries[e]
        label = (entry.forms.get("en") or next(iter(entry.forms.values())))[0]
        result.matched.append((text, label))
        group = []
        for other, forms in entry.forms.items():
            if other == lang or (languages is not None and other not in languages):
                continue
            group += [(f, other) for f in forms]
        if lang is not None:  # named by its words: its acronyms too, read as the query's language
            group += [(a, lang) for a in entry.acronyms if _acronym_key(a) not in typed]
        for f, _ in group:
            if fold(f) not in seen and len(result.added) < max_added:
                result.added.append(f)
                seen.add(fold(f))
        if group:
            result.groups.append(group)
            result.sources.append(text)
    return result
