"""Cohesion-policy funding context: which 2014-2020 programmes cover a region and what they plan,
by fund, thematic objective and category of region, from the bundled cohesiondata CSV.

A region's programmes come from the ERDF programme-to-region table: a programme whose NUTS area
is the region or lies inside it is *regional*; one whose area contains the region and more (Eastern
Poland for Lubelskie) is *multi-regional*; a programme of the region's country without a NUTS area
is *national*. Multi-regional and national programmes cover the region among others: their amounts
are not the region's share, so sums never add them to the regional programmes' (``scope_sums``).
Amounts are planned EU, national and total amounts in EUR, exactly as the CSV gives them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from ingest.datasets import load_finances, load_programme_regions

from .regions import Region
from .sources import DataCitation, Dataset, dataset

# cohesiondata writes Greece as GR; NUTS as EL
COUNTRY_ALIASES = {"EL": "GR", "GB": "UK"}
# Rows of the programme table that give no NUTS area but are not national programmes: their areas.
AREA_FIXES = {"2014UK16RFOP001": ("UKC", "UKD", "UKE", "UKF", "UKG", "UKH", "UKI", "UKJ", "UKK"),  # England
              "2014UK16RFOP002": ("GI",)}  # Gibraltar
RESEARCH_TOS = ("01", "02", "03")  # research & innovation, ICT, SME competitiveness
GROUP_FIELDS = ("programme", "fund", "to", "category", "priority", "country")
SCOPE_ORDER = {"regional": 0, "multi-regional": 1, "national": 2, "other": 3}
# The two sums a selection is given in, never added together: scope -> sum it counts in.
SUM_OF_SCOPE = {"regional": "regional", "multi-regional": "national", "national": "national", "other": "national",
                "": "national"}
SUM_LABELS = {"regional": "Regional programmes (their area is the region, or lies inside it)",
              "national": "National and multi-regional programmes (they cover the region among others: "
                          "not the region's share)"}
COUNTRY_SUM_LABELS = {"regional": "Regional programmes (each covers one region of the country)",
                      "national": "National and multi-regional programmes (each covers several regions or the "
                                  "whole country)"}


def country_code(code: str) -> str:
    code = (code or "").strip().upper()
    return COUNTRY_ALIASES.get(code, code)


@dataclass
class Programme:
    cci: str
    title: str
    scope: str  # "regional", "multi-regional", "national", or "other" (not in the ERDF table: rural, fisheries, ESF)
    area: str  # the region named in the programme table ("" for national programmes)
    funds: tuple[str, ...]
    categories: tuple[str, ...]
    eu_amount: float
    national_amount: float
    total_amount: float
    research_eu_amount: float  # thematic objectives 01-03
    lines: tuple[int, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        d["funds"], d["categories"], d["lines"] = list(self.funds), list(self.categories), list(self.lines)
        return d


@dataclass
class FundingSelection:
    """What a funding query covers: its programmes, and the CSV rows to sum (``FundingData.rows``
    with ``ccis`` and ``country``)."""
    programmes: list[Programme]
    ccis: list[str] | None  # None: every programme of ``country``
    country: str | None  # set only when the query is a whole country

    @property
    def scopes(self) -> dict[str, str]:
        """CCI -> the programme's scope, for ``FundingData.rows``."""
        return {p.cci: p.scope for p in self.programmes}


class FundingData:
    """:param finances: the ESIF planned-finances dataset; :param programme_regions: the ERDF
    programme-to-NUTS table."""

    def __init__(self, finances: Dataset, programme_regions: Dataset):
        self.finances = finances
        self.programme_regions = programme_regions
        self.df = load_finances(str(finances.path))
        self.areas = load_programme_regions(str(programme_regions.path))

    @classmethod
    def from_corpus(cls, corpus: Path) -> "FundingData":
        return cls(dataset(corpus, "finances"), dataset(corpus, "programme_regions"))

    @property
    def about(self) -> dict[str, str]:
        date = re.search(r"\d{4}-\d{2}-\d{2}", self.finances.title)
        return {"source": self.finances.title, "date": date.group() if date else "", "from": self.finances.source,
                "file": self.finances.file, "programme_regions": self.programme_regions.title,
                "amounts": "planned, EUR"}

    def programmes_for(self, region: Region | None = None, country: str | None = None) -> list[Programme]:
        """Regional programmes first (biggest first), then national ones."""
        regional: dict[str, tuple[str, str]] = {}  # cci -> (scope, area name)
        national: set[str] = set()
        code = region.nuts if region else ""
        cc = country_code(country or (region.country if region else ""))
        if not cc:
            raise ValueError("give a region or a country")
        for a in self.areas:
            if country_code(a.country) != cc:
                continue
            areas = AREA_FIXES.get(a.cci) or ((a.nuts,) if a.nuts else ())
            if not areas:
                national.add(a.cci)
            elif not code or len(code) <= 2 or any(n.startswith(code) for n in areas):
                regional.setdefault(a.cci, ("regional", a.region_name))
            elif any(code.startswith(n) for n in areas):
                regional.setdefault(a.cci, ("multi-regional", a.region_name))
        other: set[str] = set()
        if region is None or len(code) <= 2 or (not regional and not national):
            # a whole country: also its programmes the ERDF table does not list (EAFRD, EMFF, ESF-only)
            other = set(self.df.loc[self.df["country"].map(country_code) == cc, "cci"]) - national - set(regional)
        out = [self.programme(c, scope, area) for c, (scope, area) in regional.items()]
        out += [self.programme(c, "national") for c in sorted(national - set(regional))]
        out += [self.programme(c, "other") for c in sorted(other)]
        out = [p for p in out if p is not None]
        return sorted(out, key=lambda p: (SCOPE_ORDER.get(p.scope, 3), -p.eu_amount))

    def select_programmes(self, region: Region | None = None, cci: str | None = None,
                          country: str | None = None) -> FundingSelection:
        """The programmes of a region (as ``programmes_for``), else of the CCI codes given
        (comma-separated), else of a country; in that order of precedence. ValueError when none
        is given or a CCI code is not in the data."""
        if region is not None:
            programmes = self.programmes_for(region)
            return FundingSelection(programmes, [p.cci for p in programmes], None)
        if cci:
            ccis = [c.strip() for c in cci.split(",") if c.strip()]
            unknown = [c for c in ccis if self.programme(c) is None]
            if unknown:
                raise ValueError(f"no programme {', '.join(unknown)} in {self.finances.title}")
            return FundingSelection([self.programme(c, *self.scope_of(c)) for c in ccis], ccis, None)
        if country:
            return FundingSelection(self.programmes_for(country=country), None, country)
        raise ValueError("give a region, a CCI code or a country")

    def scope_of(self, cci: str) -> tuple[str, str]:
        """(scope, area name) of a programme by the ERDF table alone: "regional" with a NUTS area,
        "national" without one, "other" when the table does not list it."""
        rows = [a for a in self.areas if a.cci == cci]
        if not rows:
            return "other", ""
        if any(AREA_FIXES.get(a.cci) or a.nuts for a in rows):
            return "regional", rows[0].region_name
        return "national", ""

    def regional_areas(self, country: str | None = None) -> tuple[dict[str, tuple[float, str]], list[str]]:
        """For a map: ({NUTS 2013 code: (planned EU amount, label)} of the regional programmes of
        ``country`` (all countries if None), [CCI codes left out]). A programme whose area
        contains another programme's area (Eastern Poland, over the voivodeships' own) is left
        out, so no region shows two programmes; one of several areas (England) puts its whole
        amount on each, and its label says so."""
        cc = country_code(country) if country else ""
        areas: dict[str, tuple[str, ...]] = {}
        for a in self.areas:
            codes = AREA_FIXES.get(a.cci) or ((a.nuts,) if a.nuts else ())
            if codes and (not cc or country_code(a.country) == cc):
                areas[a.cci] = tuple(dict.fromkeys(areas.get(a.cci, ()) + codes))
        every = {c for codes in areas.values() for c in codes}
        out: dict[str, tuple[float, str]] = {}
        left_out = []
        for cci, codes in sorted(areas.items()):
            p = self.programme(cci)
            if p is None or any(o != c and o.startswith(c) for c in codes for o in every):
                left_out.append(cci)
                continue
            note = f" (the whole programme, over {len(codes)} areas)" if len(codes) > 1 else ""
            for c in codes:
                prev = out.get(c, (0.0, ""))
                label = f"{prev[1]}; {p.title}" if prev[1] else p.title
                out[c] = (prev[0] + p.eu_amount, label + note)
        return out, left_out

    def programme(self, cci: str, scope: str = "", area: str = "") -> Programme | None:
        rows = self.df[self.df["cci"] == cci]
        if rows.empty:
            return None
        research = rows[rows["to"].isin(RESEARCH_TOS)]
        return Programme(
            cci=cci, title=rows["programme"].iloc[0], scope=scope, area=area,
            funds=tuple(sorted(set(rows["fund"]))), categories=tuple(sorted(set(rows["category"]) - {""})),
            eu_amount=float(rows["eu_amount"].sum()), national_amount=float(rows["national_amount"].sum()),
            total_amount=float(rows["total_amount"].sum()), research_eu_amount=float(research["eu_amount"].sum()),
            lines=tuple(int(x) for x in rows["line"]),
        )

    def rows(self, ccis: Sequence[str] | None = None, country: str | None = None, fund: str | None = None,
             to: str | None = None, scopes: Mapping[str, str] | None = None) -> pd.DataFrame:
        """The CSV rows of the programmes ``ccis`` (or of ``country``), with a ``scope`` column:
        ``scopes`` (CCI -> scope, as ``FundingSelection.scopes``), else ``scope_of`` each."""
        df = self.df
        if ccis is not None:
            df = df[df["cci"].isin(list(ccis))]
        if country:
            df = df[df["country"].map(country_code) == country_code(country)]
        if fund:
            df = df[df["fund"].str.upper().isin([f.strip().upper() for f in fund.split(",")])]
        if to:
            df = df[df["to"].isin([t.strip().zfill(2) if t.strip().isdigit() else t.strip().upper()
                                   for t in to.split(",")])]
        known = dict(scopes or {})
        for c in set(df["cci"]) - set(known):
            known[c] = self.scope_of(c)[0]
        return df.assign(scope=df["cci"].map(known).fillna(""))

    def table(self, rows: pd.DataFrame, by: Sequence[str] = ("programme", "fund", "to")) -> pd.DataFrame:
        """Planned amounts summed by the given fields, with the source CSV lines of each sum. Rows
        of different scopes are never summed together (``scope`` is always the first key), and
        amounts by thematic objective are always by fund too (ERDF and ESF stay apart)."""
        unknown = [b for b in by if b not in GROUP_FIELDS]
        if unknown:
            raise ValueError(f"unknown grouping {', '.join(unknown)}; use {', '.join(GROUP_FIELDS)}")
        by = list(by)
        if "to" in by and "fund" not in by:
            by.insert(by.index("to"), "fund")
        keys = ["scope"] if "scope" in rows.columns else []
        for b in by:
            keys += {"programme": ["cci", "programme"], "to": ["to", "to_label"]}.get(b, [b])
        if rows.empty:
            return pd.DataFrame(columns=keys + ["eu_amount", "national_amount", "total_amount", "rows", "lines"])
        g = rows.groupby(keys, sort=True, dropna=False)
        out = g.agg(eu_amount=("eu_amount", "sum"), national_amount=("national_amount", "sum"),
                    total_amount=("total_amount", "sum"), rows=("line", "size"),
                    lines=("line", lambda s: " ".join(str(x) for x in s))).reset_index()
        if "scope" in out.columns:  # regional first, as the programmes are listed
            out = out.sort_values("scope", key=lambda s: s.map(SCOPE_ORDER).fillna(len(SCOPE_ORDER)), kind="stable")
        return out.reset_index(drop=True)

    def citation(self, n: str, programme: Programme) -> DataCitation:
        return DataCitation(n, self.finances.title, self.finances.file, f"CCI {programme.cci}", programme.lines,
                            key=programme.cci)


@dataclass(frozen=True)
class ScopeSum:
    """One of a selection's two sums (regional; national and multi-regional), never added up."""
    key: str  # "regional" or "national"
    label: str  # says which programmes it sums and what they cover
    eu_amount: float
    national_amount: float
    total_amount: float
    programmes: tuple[str, ...]  # CCI codes summed

    def to_json(self) -> dict:
        return {**self.__dict__, "programmes": list(self.programmes)}


def scope_sums(table: pd.DataFrame, country: bool = False) -> list[ScopeSum]:
    """The regional programmes' sum and the national/multi-regional programmes' sum of a table
    from ``FundingData.table`` (rows carry ``scope``; a table without it counts as national), each
    present only when it has rows. ``country``: word the labels for a whole country."""
    labels = COUNTRY_SUM_LABELS if country else SUM_LABELS
    scope = table["scope"] if "scope" in table.columns else pd.Series("", index=table.index)
    key = scope.map(lambda s: SUM_OF_SCOPE.get(s, "national"))
    out = []
    for k in ("regional", "national"):
        part = table[key == k]
        if part.empty:
            continue
        ccis = tuple(dict.fromkeys(part["cci"])) if "cci" in part.columns else ()
        out.append(ScopeSum(k, labels[k], float(part["eu_amount"].sum()), float(part["national_amount"].sum()),
                            float(part["total_amount"].sum()), ccis))
    return out


def money(amount: float) -> str:
    """EUR 100,416,755 -> "EUR 100.4 m"; exact figures stay in the tables."""
    if abs(amount) >= 1e9:
        return f"EUR {amount / 1e9:,.2f} bn"
    if abs(amount) >= 1e6:
        return f"EUR {amount / 1e6:,.1f} m"
    return f"EUR {amount:,.0f}"
