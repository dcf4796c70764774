"""Organisations and hubs: a gazetteer of curated names (``nlp/lexicon/organisations.jsonl``,
from the seed report) and of the ~700 hubs of the JRC Digital Innovation Hubs catalogue, matched
in passages and linked to their catalogue entry.

Aliases come from the catalogue titles: the full title, its parts around ":", "|" or " - ", and
acronyms (in brackets, or a leading capitalised word such as PRODUTECH). Acronyms are matched
case-sensitively; one-word aliases that are ordinary English words are dropped.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from .lexicon import ACRONYM, is_acronym

ORGS_FILE = Path(__file__).parent / "lexicon" / "organisations.jsonl"
ALIAS_RULES_VERSION = 3  # bump when the alias rules below change: stored passages are re-tagged


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    aliases: tuple[str, ...]
    country: str = ""
    kind: str = ""
    description: str = ""
    website: str = ""
    sectors: tuple[str, ...] = field(default_factory=tuple)
    catalogue_id: str = ""  # the JRC DIH catalogue entry this organisation is, when it is one


@lru_cache(maxsize=1)
def common_words(max_logprob: float = -14.0) -> frozenset[str]:
    """Frequent English words (spacy-lookups-data word probabilities): an alias made only of
    these ("Innovation Hub", "Smart Manufacturing", "DIGITAL") would match ordinary prose."""
    import gzip

    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        probs = json.load(fh)
    return frozenset(w for w, p in probs.items() if p > max_logprob)


def _catalogue_aliases(title: str, known_words: frozenset[str]) -> list[str]:
    title = re.sub(r"\s+", " ", title.replace("&amp;", "&")).strip()
    aliases = {title, re.sub(r"\s*\([^)]*\)", "", title).strip()}
    for part in re.split(r"\s*(?::|\||\s-\s|\s–\s)\s*", title):
        if len(part) >= 4:
            aliases.add(part)
    for acro in re.findall(r"\(([^)]{4,20})\)", title):
        if ACRONYM.match(acro):
            aliases.add(acro)
    first = title.split(" ")[0]
    if not title.isupper() and ACRONYM.match(first) and len(first) >= 5:
        aliases.add(first)
    out = []
    for a in aliases:
        a = re.sub(r"\s*\([^)]*\)\s*", " ", a).strip() if len(a.split()) > 1 and a != title else a
        words = re.findall(r"[^\W\d_]+", a.lower())
        generic = all(w in known_words for w in words)
        if len(a) < 4 or (generic and len(words) < 4) or (len(words) == 1 and not is_acronym(a) and len(a) < 6):
            continue
        out.append(a)
    return sorted(set(out))


@lru_cache(maxsize=4)
def load_organisations(catalogue: str | None = None) -> tuple[str, tuple[Organisation, ...]]:
    """(version, organisations): the curated list plus, when ``catalogue`` is given, the hubs of
    the JRC DIH catalogue (NGSI-LD JSON). The version changes with either file."""
    from ingest.clean import known_words

    lines = [json.loads(x) for x in ORGS_FILE.read_text(encoding="utf-8").splitlines() if x.strip()]
    header, rows = lines[0], lines[1:]
    orgs = [Organisation(r["id"], r["name"], tuple(r["aliases"]), r.get("country", ""), r.get("kind", "")) for r in rows]
    version = f"{header['organisations_version']}.r{ALIAS_RULES_VERSION}"
    if catalogue:
        raw = Path(catalogue).read_bytes()
        version += "+catalogue-" + hashlib.sha256(raw).hexdigest()[:8]
        from .lexicon import load_lexicon

        terms = {v.lower() for c in load_lexicon()[1] for vs in c.variants.values() for v in vs}
        known = common_words() | known_words() | terms  # "Kompetenzzentrum" is a term, not a name
        curated = {a.lower(): i for i, o in enumerate(orgs) for a in o.aliases}
        for hub in json.loads(raw):
            title = (hub.get("title") or {}).get("value") or ""
            if not title:
                continue
            hub_id = "dih:" + hub["id"].rsplit(":", 1)[-1]
            all_aliases = _catalogue_aliases(title, known)
            same = {curated[a.lower()] for a in all_aliases if a.lower() in curated}
            for i in same:  # a curated organisation that is this catalogue hub: link it
                if not orgs[i].catalogue_id:
                    orgs[i] = replace(orgs[i], catalogue_id=hub_id,
                                      aliases=tuple(sorted(set(orgs[i].aliases) | set(all_aliases))))
            if same:
                continue
            address = (hub.get("address") or {}).get("value") or {}
            orgs.append(Organisation(
                id=hub_id, name=title.replace("&amp;", "&"), aliases=tuple(all_aliases), catalogue_id=hub_id,
                country=address.get("addressCountry", ""), kind="digital innovation hub (JRC catalogue)",
                description=((hub.get("description") or {}).get("value") or "")[:500],
                website=(hub.get("website") or {}).get("value") or "",
                sectors=tuple(s for s in ((hub.get("domain") or {}).get("value") or []) if s),
            ))
    return version, tuple(orgs)
