"""Funding page: the 2014-2020 cohesion-policy programmes covering a region or a country, the
regional and the national/multi-regional programmes' sums (never added up), a programme's planned
amounts by thematic objective and fund (table, chart, CSV/XLSX download, as ``ris3 funding``
gives them), and a map of the country's regional programmes (a click opens a region's profile)."""
from __future__ import annotations

import streamlit as st

from analysis.funding import FundingData, Programme, country_code, money, scope_sums
from app.render import maps
from app.render.funding_formats import XLSX_MIME, export_csv, export_xlsx, funding_chart
from app.render.safe import code as code_span
from app.render.safe import md
from app.service import Asker

from .common import get_funding, get_resolver, get_settings, index_key, region_picker
from .region_map import shapes_or_note, show_map

AMOUNT = st.column_config.NumberColumn(format="localized", width=110)
COLUMNS = {"scope": "Scope", "fund": "Fund", "to": "TO", "to_label": "Thematic objective", "eu_amount": "EU amount",
           "national_amount": "National amount", "total_amount": "Total", "rows": "Rows", "lines": "CSV lines"}


def render(asker: Asker) -> None:
    st.title("Funding")
    try:
        data = get_funding(str(get_settings().corpus))
    except FileNotFoundError as exc:
        st.error(f"No cohesion finance data: {md(exc)}")
        return
    a = data.about
    st.caption(f"Planned ESIF 2014-2020 amounts in EUR, summed exactly as the source gives them. Source: "
               f"{md(a['source'])} ({md(a['from'])}, {code_span(a['file'])}); programmes matched to regions through "
               f"{md(a['programme_regions'])}.")
    by = st.radio("Programmes of", ("Region", "Country"), horizontal=True, key="funding_by")
    if by == "Region":
        c1, c2, _ = st.columns([2, 2, 2])
        query = region_picker(asker, "funding", c1, c2)
        if not query:
            st.info("Choose a region, or type any region name or NUTS code.")
            return
        try:
            region = get_resolver(asker, index_key(asker)).resolve(query)
            programmes = data.programmes_for(region)
        except (ValueError, FileNotFoundError) as exc:
            st.error(md(exc))
            return
        where = f"{md(region.name)}{f' ({md(region.nuts)})' if region.nuts else ''}"  # Markdown
        cc = region.country
    else:
        countries = _countries(data, str(get_settings().corpus))
        code = st.columns(3)[0].selectbox("Country", list(countries), index=None, key="funding_country",
                                          format_func=lambda c: f"{countries[c]} ({c})", placeholder="Choose a country")
        if not code:
            st.info("Choose a country.")
            return
        try:
            programmes = data.programmes_for(country=code)
        except ValueError as exc:
            st.error(md(exc))
            return
        where, cc = md(countries[code]), code
    if not programmes:
        st.warning(f"No 2014-2020 programme of the bundled cohesion data could be matched to {where}.")
        return
    _programmes(where, programmes)
    _sums(data, programmes, whole_country=by == "Country")
    _by_objective(data, programmes)
    _map(data, cc)


@st.cache_data(show_spinner=False)
def _countries(_data: FundingData, corpus: str) -> dict[str, str]:
    """Country code -> name, as the finance data of ``corpus`` gives them."""
    pairs = _data.df[["country", "country_name"]].drop_duplicates()
    return dict(sorted((country_code(c), n) for c, n in pairs.itertuples(index=False) if c))


def _programmes(where: str, programmes: list[Programme]) -> None:
    st.subheader(f"Programmes covering {where}")
    st.dataframe([{"Programme": p.title, "CCI": p.cci, "Scope": p.scope, "Funds": ", ".join(p.funds),
                   "EU amount": p.eu_amount, "Total": p.total_amount, "TO 1-3 (EU)": p.research_eu_amount}
                  for p in programmes],
                 hide_index=True, width="stretch",
                 column_config={"Programme": st.column_config.Column(width=265),
                                "Scope": st.column_config.Column(width=75), "Funds": st.column_config.Column(width=95),
                                "EU amount": AMOUNT, "Total": AMOUNT, "TO 1-3 (EU)": AMOUNT})
    st.caption("EUR, planned. Total = EU amount + national co-financing. TO 1-3 = thematic objectives 1-3 (research "
               "and innovation, ICT, SME competitiveness), EU amount. Multi-regional and national programmes cover "
               "the region among others: their amounts are not the region's share.")


def _sums(data: FundingData, programmes: list[Programme], whole_country: bool) -> None:
    """The regional programmes' sum and the national/multi-regional programmes' sum, apart."""
    sel = {p.cci: p.scope for p in programmes}
    table = data.table(data.rows(list(sel), scopes=sel), by=("programme",))
    sums = scope_sums(table, country=whole_country)
    st.markdown("\n".join(f"- **{md(s.label)}**: {money(s.eu_amount)} EU, {money(s.total_amount)} in total "
                          f"(EUR {s.eu_amount:,.0f} EU; {len(s.programmes)} programme"
                          f"{'s' if len(s.programmes) > 1 else ''})" for s in sums))
    if len(sums) > 1:
        st.caption("The two sums are not added up: national and multi-regional amounts are not the region's share.")


def _by_objective(data: FundingData, programmes: list[Programme]) -> None:
    by_cci = {p.cci: p for p in programmes}
    st.subheader("By thematic objective")
    cci = st.selectbox("Programme", list(by_cci), key="funding_programme",
                       format_func=lambda c: f"{by_cci[c].title} ({c})")
    p = by_cci[cci]
    table = data.table(data.rows([cci], scopes={cci: p.scope}), by=("fund", "to"))
    area = f" for {md(p.area)}" if p.area else ""
    categories = f"; {md(', '.join(p.categories).lower())} regions" if p.categories else ""
    st.markdown(f"**{md(p.title)}** ({md(p.cci)}, {md(p.scope)} programme{area}; {md(', '.join(p.funds))}{categories}): "
                f"{money(p.eu_amount)} EU funding planned, {money(p.total_amount)} in total.")
    st.dataframe(table.rename(columns=COLUMNS), hide_index=True, width="stretch",
                 column_config={"EU amount": AMOUNT, "National amount": AMOUNT, "Total": AMOUNT,
                                "TO": st.column_config.Column(width=45), "Fund": st.column_config.Column(width=55),
                                "Rows": st.column_config.Column(width=50), "Scope": st.column_config.Column(width=75),
                                "Thematic objective": st.column_config.Column(width=300)})
    st.caption(f"Each sum lists the lines of {code_span(data.finances.file)} it adds up (header = line 1).")
    st.altair_chart(funding_chart(table).properties(title="EU amount by thematic objective and fund"), width="stretch")
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button("Download CSV", export_csv(table), file_name=f"funding-{cci}.csv", mime="text/csv",
                       key="funding_csv")
    c2.download_button("Download XLSX", export_xlsx(table, data.about), file_name=f"funding-{cci}.xlsx",
                       mime=XLSX_MIME, key="funding_xlsx")


def _map(data: FundingData, cc: str) -> None:
    """The regional programmes of the country on the map."""
    shapes = shapes_or_note()
    if shapes is None or not cc:
        return
    areas, left_out = data.regional_areas(cc)
    if not areas:
        return
    st.subheader("Map: regional programmes")
    note = ("Planned EU amount of each regional programme on its area (NUTS 2013 codes drawn on NUTS 2021 "
            "boundaries, Eurostat GISCO). National programmes are not drawn.")
    if left_out:
        note += f" Not drawn, as their area contains other programmes' areas: {md(', '.join(left_out))}."
    nuts_cc = {"GR": "EL"}.get(country_code(cc), country_code(cc))  # the finance data writes Greece GR
    show_map(maps.funding_map(shapes, areas, nuts_cc), {c: label for c, (_, label) in areas.items()},
             "funding_map", note)
