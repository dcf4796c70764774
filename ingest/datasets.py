"""Structured datasets shipped in ``corpus/data/``: the JRC Digital Innovation Hubs catalogue, the
ESIF 2014-2020 planned finances, the ERDF programme-to-region table, NUTS names and the Czech
regional RIS3 domains. Loaders take explicit paths and return plain records (or a pandas frame
for the finances); nothing here reads the environment or the index.

Each loader keeps enough of the source (record id, CSV line numbers) for a statement built on it
to be cited and checked by hand.
"""
from __future__ import annotations

import csv
import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching names ("Fryslân" ~ "fryslan")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


# -- JRC Digital Innovation Hubs catalogue (NGSI-LD JSON) -------------------------------------
@dataclass(frozen=True)
class Hub:
    id: str  # "dih:4423", the same id the organisation tagger gives a catalogue hub
    name: str
    country: str
    locality: str
    region: str
    street: str
    website: str
    description: str
    sectors: tuple[str, ...] = field(default_factory=tuple)
    technologies: tuple[str, ...] = field(default_factory=tuple)
    services: tuple[str, ...] = field(default_factory=tuple)
    source_id: str = ""  # the catalogue's own id (urn:ngsi-ld:DigitalInnovationHub:s3jrc:4423)

    def to_json(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _value(record: dict, key: str, default=None):
    return (record.get(key) or {}).get("value", default) if isinstance(record.get(key), dict) else default


def _strings(values) -> tuple[str, ...]:
    return tuple(str(v).strip() for v in (values or []) if str(v).strip())


@lru_cache(maxsize=2)
def load_hubs(path: str) -> tuple[Hub, ...]:
    """The hubs of the catalogue snapshot, in file order. ``technologies`` are the catalogue's
    ``competences`` and ``services`` the identifiers of its ``service`` relations; both are empty
    for most hubs of this snapshot."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    hubs = []
    for rec in raw:
        name = (_value(rec, "title") or "").replace("&amp;", "&").strip()
        if not name:
            continue
        address = _value(rec, "address") or {}
        relations = _value(rec, "relation") or []
        hubs.append(Hub(
            id="dih:" + rec["id"].rsplit(":", 1)[-1], name=" ".join(name.split()),
            country=address.get("addressCountry", "").strip(), locality=address.get("addressLocality", "").strip(),
            region=address.get("addressRegion", "").strip(), street=address.get("streetAddress", "").strip(),
            website=(_value(rec, "website") or "").strip(), description=(_value(rec, "description") or "").strip(),
            sectors=_strings(_value(rec, "domain")), technologies=_strings(_value(rec, "competences")),
            services=_strings(r.get("relationIdentifier") for r in relations if r.get("relationType") == "service"),
            source_id=rec["id"],
        ))
    return tuple(hubs)


# -- NUTS ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NutsRegion:
    code: str
    name: str  # national-language name
    en: str  # English name where the source has one (countries), else the name

    @property
    def level(self) -> int:
        return max(len(self.code) - 2, 0)


@lru_cache(maxsize=2)
def load_nuts(path: str) -> dict[str, NutsRegion]:
    """NUTS 0-3 codes and names (``nuts-regions.json``: {"levels": [[{id, name, en?}, ...], ...]})."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for level in raw["levels"]:
        for r in level:
            out[r["id"]] = NutsRegion(r["id"], r.get("name", r["id"]), r.get("en") or r.get("name", r["id"]))
    return out


# -- ERDF programmes and their regions --------------------------------------------------------
@dataclass(frozen=True)
class ProgrammeRegion:
    cci: str
    country: str
    nuts1: str
    nuts2: str
    region_name: str
    line: int  # line in the CSV file (header = 1)

    @property
    def nuts(self) -> str:
        """The most precise NUTS code of the programme's area; "" for a national programme."""
        return self.nuts2 or self.nuts1


@lru_cache(maxsize=2)
def load_programme_regions(path: str) -> tuple[ProgrammeRegion, ...]:
    """``erdf-2014-2020-programme-regions.csv`` (semicolon-separated, BOM): one row per programme
    and area. A row without NUTS codes is a national (or multi-region) programme."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    return tuple(ProgrammeRegion(r["CCI"].strip(), r["MS"].strip(), r["NUTS 1"].strip(), r["NUTS 2"].strip(),
                                 r["Region.Name"].strip(), line) for line, r in enumerate(rows, start=2))


# -- ESIF 2014-2020 planned finances ----------------------------------------------------------
FINANCE_COLUMNS = {
    "MS": "country", "MS Name": "country_name", "CCI": "cci", "Ver": "version", "Programme Title": "programme",
    "Fund": "fund", "Priority": "priority", "TO_code": "to", "To short": "to_label", "TO long": "to_long",
    "Category of region": "category", "EU Amount": "eu_amount", "National Amount": "national_amount",
    "Total Amount": "total_amount", "EU co-financing": "eu_cofinancing_rate",
}


@lru_cache(maxsize=2)
def load_finances(path: str) -> pd.DataFrame:
    """Planned ESIF 2014-2020 amounts (EUR) by programme, fund, priority axis, thematic objective
    and category of region, one row per line of the cohesiondata CSV (``line`` keeps the line
    number). "VOID" in the source becomes an empty string; thematic objectives keep their
    two-digit codes ("01" = research and innovation)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in FINANCE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: not the ESIF planned-finances CSV (missing columns {', '.join(missing)})")
    df = df[list(FINANCE_COLUMNS)].rename(columns=FINANCE_COLUMNS)
    df.insert(0, "line", range(2, len(df) + 2))
    for c in ("eu_amount", "national_amount", "total_amount", "eu_cofinancing_rate"):
        df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0.0)
    for c in ("category", "to", "to_label"):
        df[c] = df[c].replace("VOID", "")
    return df


# -- Czech regional RIS3 domains ------------------------------------------------------------
@dataclass(frozen=True)
class CzDomain:
    region: str  # Czech region name as in the source ("Jihomoravský kraj")
    nuts: str
    index: int  # position in the region's list in the source file
    name: str
    description: str
    nace: tuple[str, ...]


@lru_cache(maxsize=2)
def load_cz_domains(domains_path: str, regions_path: str) -> tuple[str, dict[str, list[CzDomain]]]:
    """(source, NUTS 3 code -> domains of specialisation) from the Czech national RIS3 annex data
    (``cz-ris3-regional-domains.json``, region names keyed to NUTS by ``cz-regions.json``)."""
    data = json.loads(Path(domains_path).read_text(encoding="utf-8"))
    regions = json.loads(Path(regions_path).read_text(encoding="utf-8"))
    code = {r["nazev"]: r["kod_nuts"] for r in regions["kraje"]}
    out: dict[str, list[CzDomain]] = {}
    for region, body in data["kraje"].items():
        nuts = code.get(region, "")
        out[nuts or region] = [CzDomain(region, nuts, i, d["nazev"].strip(), (d.get("popis") or "").strip(),
                                        _strings(d.get("cz_nace"))) for i, d in enumerate(body.get("domeny", []))]
    return (data.get("meta") or {}).get("zdroj", ""), out
