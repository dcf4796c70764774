"""Maps of values by NUTS region, drawn offline from the bundled NUTS 2021 boundaries
(``analysis.nuts.NutsShapes``): keyword rates, planned funding and hubs.

``region_map`` is the one drawing: an altair layer chart with the countries in grey and each
region with data in its own shape (at its own level: LU, NL1, PL81 and FI194 on one map), shaded
by its value, the shapes inline (no tiles, no fetch). The selection ``region`` (a click) gives
the data's own code (``source``: PL31, not the 2021 PL81), which the app opens as a profile.
``region_svg`` draws the same as a static SVG for the HTML report (no script, works offline).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html import escape

from analysis.nuts import NutsShapes, Placed
from analysis.reports import Report

SELECTION = "region"


@dataclass(frozen=True)
class MapSettings:
    """How a map is drawn."""
    height: int = 520  # px
    projection: str = "azimuthalEqualArea"  # vega projection; with ``rotate`` the EU's LAEA (EPSG:3035)
    rotate: tuple[float, float, float] = (-10.0, -52.0, 0.0)
    scheme: str = "blues"  # vega colour scheme of the values
    background: str = "#e3e6ea"  # countries without data
    svg_width: int = 640  # px, the HTML report's map


DEFAULT = MapSettings()


def _features(shapes: NutsShapes, placed: Iterable[Placed]) -> list[dict]:
    """GeoJSON features of the placed values, coarse regions first (smaller ones drawn on top)."""
    out = []
    for p in sorted(placed, key=lambda p: (shapes.shapes[p.code].level, p.code)):
        s = shapes.shapes[p.code]
        out.append({"type": "Feature", "geometry": s.geometry,
                    "properties": {"code": s.code, "name": s.name, "source": p.source, "value": p.value,
                                   "label": p.label or s.name}})
    return out


def region_map(shapes: NutsShapes, placed: list[Placed], value_title: str, title: str = "", fmt: str = ",.0f",
               settings: MapSettings = DEFAULT, countries: Iterable[str] | None = None):
    """An altair chart: the countries (``countries``: their codes; all by default) in grey, and
    each placed value on its 2021 shape, shaded by value, with a tooltip (region, code given,
    value) and a click selection named ``region`` over the data's code (``source``)."""
    import altair as alt

    wanted = set(countries) if countries else None
    ground = [{"type": "Feature", "geometry": s.geometry, "properties": {"code": s.code, "name": s.name}}
              for s in shapes.level(0) if wanted is None or s.code in wanted]
    projection = {"type": settings.projection, "rotate": list(settings.rotate)}
    base = alt.Chart(alt.Data(values=ground)).mark_geoshape(fill=settings.background, stroke="white",
                                                            strokeWidth=0.5).encode(
        tooltip=[alt.Tooltip("properties.name:N", title="country")]).project(**projection)
    pick = alt.selection_point(name=SELECTION, fields=["source"], on="click")
    data = alt.Chart(alt.Data(values=_features(shapes, placed))).transform_calculate(
        source="datum.properties.source", value="datum.properties.value", label="datum.properties.label",
        code="datum.properties.code",
    ).mark_geoshape(stroke="white", strokeWidth=0.6).encode(
        color=alt.Color("value:Q", title=value_title, scale=alt.Scale(scheme=settings.scheme)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.75)),
        tooltip=[alt.Tooltip("label:N", title="region"), alt.Tooltip("source:N", title="code in the data"),
                 alt.Tooltip("code:N", title="NUTS 2021"), alt.Tooltip("value:Q", title=value_title, format=fmt)],
    ).add_params(pick).project(**projection)
    return alt.layer(base, data).properties(height=settings.height, title=title)


# -- the three maps ---------------------------------------------------------------------------
def keyword_values(report: Report, term: str, measure: str, code_of: Callable[[str], str]) -> tuple[dict, dict, list]:
    """({NUTS code: value}, {code: region label}, labels without a code) of one term of a report
    grouped by region (first grouping field); ``code_of`` gives a region label's NUTS code ("" if
    none). A region named by two labels keeps the higher value."""
    if not report.by or report.by[0] != "region":
        raise ValueError("a keyword map needs a report grouped by region first")
    values: dict[str, float] = {}
    labels: dict[str, str] = {}
    unplaced = []
    for r in report.rows:
        if r.term != term:
            continue
        code = code_of(r.group[0])
        if not code:
            unplaced.append(r.group[0])
            continue
        v = float(getattr(r, measure))
        if v >= values.get(code, -1.0):
            values[code], labels[code] = v, r.group[0]
    return values, labels, sorted(set(unplaced))


def keyword_map(shapes: NutsShapes, report: Report, term: str, code_of: Callable[[str], str],
                measure: str = "per_10k_words", settings: MapSettings = DEFAULT):
    """A term's rate (or ``measure``) per region of a keyword report, on the map."""
    values, labels, _ = keyword_values(report, term, measure, code_of)
    label = next((t.label for t in report.terms if t.id == term), term)
    title = {"per_10k_words": "mentions per 10,000 words", "count": "mentions",
             "share_of_documents": "share of documents"}.get(measure, measure)
    return region_map(shapes, shapes.place(values, labels), title, f"{label}: {title} by region",
                      fmt=",.2f" if measure != "count" else ",.0f", settings=settings)


def funding_map(shapes: NutsShapes, areas: Mapping[str, tuple[float, str]], country: str = "",
                settings: MapSettings = DEFAULT):
    """Planned EU amounts of regional programmes on their areas (``areas``: NUTS code ->
    (EUR, label), as ``FundingData.regional_areas``); ``country`` zooms to that country."""
    values = {c: v for c, (v, _) in areas.items()}
    labels = {c: label for c, (_, label) in areas.items()}
    return region_map(shapes, shapes.place(values, labels), "EU amount (EUR)",
                      "Regional programmes: planned EU amount by programme area",
                      countries=[country] if country else None, settings=settings)


def hub_counts(countries: Iterable[str], code_of: Callable[[str], str]) -> tuple[dict[str, float], list[str]]:
    """({country code: hubs}, country names without a shape) from the hubs' country names."""
    counts = Counter(countries)
    values, unplaced = {}, []
    for name, n in counts.items():
        code = code_of(name)
        if code:
            values[code] = float(n)
        else:
            unplaced.append(name)
    return values, sorted(unplaced)


def hubs_map(shapes: NutsShapes, values: Mapping[str, float], settings: MapSettings = DEFAULT):
    """Catalogue hubs per country (the catalogue gives countries, not regions)."""
    return region_map(shapes, shapes.place(values), "hubs", "Digital Innovation Hubs in the catalogue, by country",
                      settings=settings)


# -- a static SVG for the HTML report ---------------------------------------------------------
def _project(lon: float, lat: float, lon0: float = 10.0, lat0: float = 52.0) -> tuple[float, float]:
    """Lambert azimuthal equal-area (spherical), centred as EPSG:3035."""
    lam, phi, phi0 = math.radians(lon - lon0), math.radians(lat), math.radians(lat0)
    k = math.sqrt(2 / (1 + math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(lam)))
    x = k * math.cos(phi) * math.sin(lam)
    y = k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam))
    return x, -y


def _rings(geometry: dict) -> list[list]:
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for poly in polys for ring in poly]


def _shade(value: float, top: float) -> str:
    a = 0.15 + 0.85 * (value / top if top else 0.0)
    r, g, b = (int(255 - (255 - c) * a) for c in (31, 78, 140))
    return f"#{r:02x}{g:02x}{b:02x}"


def region_svg(shapes: NutsShapes, placed: list[Placed], value_title: str, fmt: str = ",.2f",
               settings: MapSettings = DEFAULT) -> str:
    """The map as an inline SVG string: countries in grey, each value's shapes shaded (darkest =
    highest), a <title> per shape (hover text: region, code, value). Text is escaped."""
    ground = [(s, None) for s in shapes.level(0)]
    top = max((p.value for p in placed), default=0.0)
    drawn = ground + [(shapes.shapes[p.code], p) for p in sorted(placed, key=lambda p: shapes.shapes[p.code].level)]
    xy = [_project(*pt) for s, _ in ground for ring in _rings(s.geometry) for pt in ring]
    x0, x1 = min(x for x, _ in xy), max(x for x, _ in xy)
    y0, y1 = min(y for _, y in xy), max(y for _, y in xy)
    w = settings.svg_width
    h = int(w * (y1 - y0) / (x1 - x0))
    scale = w / (x1 - x0)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
           f'role="img" aria-label="{escape(value_title)} by region">']
    for s, p in drawn:
        d = " ".join("M" + " L".join(f"{(x - x0) * scale:.1f},{(y - y0) * scale:.1f}"
                                     for x, y in (_project(*pt) for pt in ring)) + " Z" for ring in _rings(s.geometry))
        fill = settings.background if p is None else _shade(p.value, top)
        tip = s.name if p is None else f"{p.label or s.name} ({p.source}): {format(p.value, fmt)} {value_title}"
        out.append(f'<path d="{d}" fill="{fill}" stroke="white" stroke-width="0.5" data-code="{escape(s.code)}">'
                   f"<title>{escape(tip)}</title></path>")
    out.append("</svg>")
    return "".join(out)


# -- the HTML keyword report's map ------------------------------------------------------------
def region_rates(report: Report, code_of: Callable[[str], str]) -> tuple[dict[str, float], dict[str, str], list[str]]:
    """({code: mentions per 10,000 words, all the report's terms}, {code: label}, labels without a
    code) of a report grouped by region first, as the HTML report's "all terms" column."""
    values: dict[str, float] = {}
    labels: dict[str, str] = {}
    unplaced: set[str] = set()
    for t in report.terms:
        v, lab, miss = keyword_values(report, t.id, "per_10k_words", code_of)
        for c, x in v.items():
            values[c] = values.get(c, 0.0) + x
        labels |= lab
        unplaced |= set(miss)
    return values, labels, sorted(unplaced)


def _code_finder(corpus):
    """Region label -> NUTS code: the manifest rows' own code for that region, else the NUTS names
    and the gazetteer (``RegionResolver`` without documents)."""
    from analysis.regions import RegionResolver
    from ingest.manifest import load_manifest

    rows = {}
    for m in load_manifest(corpus).values():
        codes = [c.strip() for c in m.nuts.split(";") if c.strip()]
        if len(codes) == 1 and ";" not in m.region:
            rows.setdefault(m.region.strip(), codes[0])
    resolver = RegionResolver(corpus / "data" / "nuts-regions.json", [])

    def code_of(label: str) -> str:
        if label in rows:
            return rows[label]
        try:
            return resolver.resolve(label, suggest=False).nuts
        except (ValueError, FileNotFoundError):
            return ""

    return code_of


def add_region_map(report: Report, html: str, corpus=None) -> str:
    """The HTML report with a map section (inline SVG) before ``</body>`` when it is grouped by
    region first; unchanged otherwise, or when no NUTS shapes are at hand (``corpus``: the
    settings' corpus, else the bundled one)."""
    if not report.by or report.by[0] != "region" or "</body>" not in html:
        return html
    from app.settings import Settings

    shapes = None
    for root in dict.fromkeys([corpus or Settings.from_env().corpus, Settings().corpus]):
        try:
            shapes = NutsShapes.from_corpus(root)
            break
        except FileNotFoundError:
            continue
    if shapes is None:
        return html
    values, labels, unplaced = region_rates(report, _code_finder(root))
    note = "NUTS 2021 boundaries (Eurostat GISCO); darker = more mentions per 10,000 words (all terms)."
    if unplaced:
        note += " Not on the map (no NUTS region): " + ", ".join(unplaced) + "."
    section = (f'<section id="map"><h2>Map: mentions per 10,000 words by region</h2>'
               f'{region_svg(shapes, shapes.place(values, labels), "mentions per 10,000 words")}'
               f"<p>{escape(note)}</p></section>")
    at = html.rindex("</body>")
    return html[:at] + section + html[at:]
