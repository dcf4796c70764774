"""NUTS 2021 region shapes, and the join of NUTS 2013 codes (the 2014-2020 data, the manifest)
onto them, for maps.

The shapes are ``corpus/data/nuts-2021-regions-60m.geojson`` (Eurostat GISCO, 1:60 million, all
levels, lon/lat). The 2014-2020 datasets use NUTS 2013 codes (``corpus/data/nuts-2013.csv``);
a 2013 code maps to 2021 shapes, in order:

1. the same code, when NUTS 2021 has it (most regions: FI194, NL1, LT, UKM);
2. the 2021 regions of the same country and level with the same name (a renumbered region:
   PL31 Lubelskie is PL81 in 2021);
3. when the 2013 region was its parent's only child, the 2021 children of the parent (a split:
   LT00 Lietuva is LT01 and LT02 in 2021);
4. else, when each of its 2013 children maps, their 2021 shapes together (a region whose parts
   were regrouped: PL3 Region Wschodni is drawn as Lubelskie, Podkarpackie, Podlaskie and
   Świętokrzyskie, which NUTS 2021 puts in PL8 and PL7).

A code none of these rules maps has no shape (``NutsShapes.missing`` says which).
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from ingest.datasets import fold

SHAPES_FILE = "nuts-2021-regions-60m.geojson"
NUTS_2013_FILE = "nuts-2013.csv"
# English country names the NUTS files do not give (nuts-regions.json names the EU-28 in English,
# the GeoJSON names the others in their own languages); folded name -> NUTS country code.
COUNTRY_NAMES = {"norway": "NO", "switzerland": "CH", "north macedonia": "MK", "albania": "AL", "montenegro": "ME",
                 "turkey": "TR", "iceland": "IS", "greece": "EL", "united kingdom": "UK", "czechia": "CZ"}


@dataclass(frozen=True)
class Shape:
    code: str  # NUTS 2021 code
    level: int
    country: str
    name: str
    geometry: dict  # GeoJSON geometry, lon/lat


@dataclass(frozen=True)
class Placed:
    """One value of the data on one 2021 shape: ``source`` is the code the data gave."""
    code: str
    source: str
    value: float
    label: str = ""


@dataclass
class NutsShapes:
    """:param geojson: the NUTS 2021 boundaries; :param nuts_2013: the NUTS 2013 code list (CSV)."""
    geojson: Path
    nuts_2013: Path
    shapes: dict[str, Shape] = field(default_factory=dict, repr=False)
    names_2013: dict[str, str] = field(default_factory=dict, repr=False)
    _joined: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_corpus(cls, corpus: Path) -> "NutsShapes":
        geo, old = Path(corpus) / "data" / SHAPES_FILE, Path(corpus) / "data" / NUTS_2013_FILE
        for p in (geo, old):
            if not p.exists():
                raise FileNotFoundError(f"the corpus has no {p.name} (expected in {p.parent})")
        return cls(geo, old).warm_up()

    def warm_up(self) -> "NutsShapes":
        if not self.shapes:
            self.shapes, self.names_2013 = _load(str(self.geojson), str(self.nuts_2013))
        return self

    def level(self, level: int) -> list[Shape]:
        return [s for s in self.shapes.values() if s.level == level]

    def to_2021(self, code: str) -> tuple[str, ...]:
        """The NUTS 2021 codes whose shapes together draw ``code`` (NUTS 2013 or 2021); () if none."""
        code = (code or "").strip().upper()
        if code not in self._joined:
            self._joined[code] = _to_2021(self, code)
        return self._joined[code]

    def place(self, values: Mapping[str, float], labels: Mapping[str, str] | None = None) -> list[Placed]:
        """Each value on the 2021 shapes of its code (a split region's value on each of its parts)."""
        labels = labels or {}
        return [Placed(c, src, float(v), labels.get(src, "")) for src, v in values.items() for c in self.to_2021(src)]

    def missing(self, codes: Iterable[str]) -> list[str]:
        return [c for c in codes if not self.to_2021(c)]

    def country_code(self, name: str, english: Mapping[str, str] | None = None) -> str:
        """A country's NUTS code from its name ("Lithuania" -> "LT"): ``english`` (code -> English
        name, from nuts-regions.json), the GeoJSON's own names, ``COUNTRY_NAMES``; "" if unknown."""
        key = fold(name).strip()
        names = {fold(n): c for c, n in (english or {}).items()}
        names |= {fold(s.name): s.code for s in self.level(0)}
        return names.get(key) or COUNTRY_NAMES.get(key, "")


@lru_cache(maxsize=2)
def _load(geojson: str, nuts_2013: str) -> tuple[dict[str, Shape], dict[str, str]]:
    try:
        data = json.loads(Path(geojson).read_text(encoding="utf-8"))
        shapes = {}
        for f in data["features"]:
            p = f["properties"]
            shapes[p["NUTS_ID"]] = Shape(p["NUTS_ID"], int(p["LEVL_CODE"]), p["CNTR_CODE"], p.get("NAME_LATN", ""),
                                         f["geometry"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{geojson}: not a NUTS GeoJSON file ({exc})") from exc
    with open(nuts_2013, encoding="utf-8", newline="") as fh:
        names = {r["NUTS-Code"].strip(): r["Description"].strip() for r in csv.DictReader(fh) if r.get("NUTS-Code")}
    return shapes, names


def _same_name(a: str, b: str) -> bool:
    """Names equal but for case, accents, spaces, punctuation and a bracketed country tag
    ("South-East (IE)" ~ "South-East", "Nord - Pas-de-Calais" ~ "Nord-Pas de Calais")."""
    def key(n: str) -> str:
        return re.sub(r"\s*\([A-Z]{2}\)\s*$", "", n.strip()).casefold()
    return re.sub(r"\W", "", fold(key(a))) == re.sub(r"\W", "", fold(key(b)))


def _to_2021(nuts: NutsShapes, code: str, up: bool = True, down: bool = True) -> tuple[str, ...]:
    """Rules 1-4 of the module docstring; ``up``/``down``: may rule 3 look at the parent, rule 4
    at the children (never back the way it came)."""
    if not code:
        return ()
    if code in nuts.shapes:
        return (code,)
    level = len(code) - 2
    same_level = [s for s in nuts.shapes.values() if s.country == code[:2] and s.level == level]
    name = nuts.names_2013.get(code, "")
    if name:
        named = tuple(s.code for s in same_level if _same_name(s.name, name))
        if named:
            return named
    if up and level >= 1 and _children(nuts, code[:-1]) == [code]:
        parents = _to_2021(nuts, code[:-1], down=False)
        found = tuple(sorted(s.code for s in same_level if any(s.code.startswith(p) for p in parents)))
        if found:
            return found
    children = _children(nuts, code) if down and level < 3 else []
    parts = [_to_2021(nuts, c, up=False) for c in children]
    if children and all(parts):
        union = {c for part in parts for c in part}
        return tuple(sorted(union | _unclaimed_siblings(nuts, union)))
    return ()


def _unclaimed_siblings(nuts: NutsShapes, union: set[str]) -> set[str]:
    """2021 regions beside the union's (same 2021 parent) that no 2013 region names by code or
    name: units created after 2013 out of the region's parts (PL926 Żyrardowski, in PL12)."""
    out = set()
    for code in union:
        for s in nuts.shapes.values():
            if (s.level == nuts.shapes[code].level and s.code[:-1] == code[:-1] and s.code not in union
                    and s.code not in nuts.names_2013
                    and not any(len(c) == len(s.code) and c[:2] == s.country and _same_name(n, s.name)
                                for c, n in nuts.names_2013.items())):
                out.add(s.code)
    return out


def _children(nuts: NutsShapes, code: str) -> list[str]:
    """The 2013 regions one level below ``code``, without the extra-regio ones (..Z)."""
    return [c for c in nuts.names_2013 if len(c) == len(code) + 1 and c.startswith(code) and not c.endswith("Z")]
