"""Cohesion-policy funding context: which 2014-2020 programmes cover a region and what they plan,
by fund, thematic objective and category of region, from the bundled cohesiondata CSV.

A region's programmes come from the ERDF programme-to-region table: a programme whose NUTS area
contains the region or lies inside it is *regional*; a programme of the region's country without a
NUTS area is *national* (it covers the region among others: its amounts are not the region's
share). Amounts are planned EU, national and total amounts in EUR, exactly as the CSV gives them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

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


def country_code(code: str) -> str:
    code = (code or "").strip().upper()
    return COUNTRY_ALIASES.get(code, code)


@dataclass
class Programme:
    cci: str
    title: str
    scope: str  # "regional", "national", or "other" (not in the ERDF table: rural, fisheries, ESF programmes)
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
        regional: dict[str, str] = {}
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
            elif not code or len(code) <= 2 or any(n.startswith(code) or code.startswith(n) for n in areas):
                regional.setdefault(a.cci, a.region_name)
        other: set[str] = set()
        if region is None or len(code) <= 2 or (not regional and not national):
            # a whole country: also its programmes the ERDF table does not list (EAFRD, EMFF, ESF-only)
            other = set(self.df.loc[self.df["country"].map(country_code) == cc, "cci"]) - national - set(regional)
        out = [self.programme(c, "regional", area) for c, area in regional.items()]
        out += [self.programme(c, "national") for c in sorted(national - set(regional))]
        out += [self.programme(c, "other") for c in sorted(other)]
        out = [p for p in out if p is not None]
        order = {"regional": 0, "national": 1, "other": 2}
        return sorted(out, key=lambda p: (order.get(p.scope, 3), -p.eu_amount))

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
            return FundingSelection([self.programme(c) for c in ccis], ccis, None)
        if country:
            return FundingSelection(self.programmes_for(country=country), None, country)
        raise ValueError("give a region, a CCI code or a country")

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
             to: str | None = None) -> pd.DataFrame:
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
        return df

    def table(self, rows: pd.DataFrame, by: Sequence[str] = ("programme", "fund", "to")) -> pd.DataFrame:
        """Planned amounts summed by the given fields, with the source CSV lines of each sum."""
        unknown = [b for b in by if b not in GROUP_FIELDS]
        if unknown:
            raise ValueError(f"unknown grouping {', '.join(unknown)}; use {', '.join(GROUP_FIELDS)}")
        keys = []
        for b in by:
            keys += {"programme": ["cci", "programme"], "to": ["to", "to_label"]}.get(b, [b])
        if rows.empty:
            return pd.DataFrame(columns=keys + ["eu_amount", "national_amount", "total_amount", "rows", "lines"])
        g = rows.groupby(keys, sort=True, dropna=False)
        out = g.agg(eu_amount=("eu_amount", "sum"), national_amount=("national_amount", "sum"),
                    total_amount=("total_amount", "sum"), rows=("line", "size"),
                    lines=("line", lambda s: " ".join(str(x) for x in s))).reset_index()
        return out

    def citation(self, n: str, programme: Programme) -> DataCitation:
        return DataCitation(n, self.finances.title, self.finances.file, f"CCI {programme.cci}", programme.lines,
                            key=programme.cci)


def money(amount: float) -> str:
    """EUR 100,416,755 -> "EUR 100.4 m"; exact figures stay in the tables."""
    if abs(amount) >= 1e9:
        return f"EUR {amount / 1e9:,.2f} bn"
    if abs(amount) >= 1e6:
        return f"EUR {amount / 1e6:,.1f} m"
    return f"EUR {amount:,.0f}"
