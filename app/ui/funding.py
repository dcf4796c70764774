"""Funding page: the 2014-2020 cohesion-policy programmes covering a region or a country, and a
programme's planned amounts by thematic objective (as ``ris3 funding`` gives them)."""
from __future__ import annotations

import streamlit as st

from analysis.funding import FundingData, Programme, country_code, money
from app.render.safe import code as code_span
from app.render.safe import md
from app.service import Asker

from .common import get_funding, get_resolver, get_settings, index_key, region_picker

AMOUNT = st.column_config.NumberColumn(format="localized", width=110)


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
        where = md(countries[code])
    if not programmes:
        st.warning(f"No 2014-2020 programme of the bundled cohesion data could be matched to {where}.")
        return
    _programmes(where, programmes)
    _by_objective(data, programmes)


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
               "and innovation, ICT, SME competitiveness), EU amount. National programmes cover the whole "
               "country: their amounts are not the region's share.")


def _by_objective(data: FundingData, programmes: list[Programme]) -> None:
    by_cci = {p.cci: p for p in programmes}
    st.subheader("By thematic objective")
    cci = st.selectbox("Programme", list(by_cci), key="funding_programme",
                       format_func=lambda c: f"{by_cci[c].title} ({c})")
    p = by_cci[cci]
    table = data.table(data.rows([cci]), by=("to",))
    area = f" for {md(p.area)}" if p.area else ""
    categories = f"; {md(', '.join(p.categories).lower())} regions" if p.categories else ""
    st.markdown(f"**{md(p.title)}** ({md(p.cci)}, {md(p.scope)} programme{area}; {md(', '.join(p.funds))}{categories}): "
                f"{money(p.eu_amount)} EU funding planned, {money(p.total_amount)} in total.")
    st.dataframe(table.rename(columns={"to": "TO", "to_label": "Thematic objective", "eu_amount": "EU amount",
                                       "national_amount": "National amount", "total_amount": "Total",
                                       "rows": "Rows", "lines": "CSV lines"}),
                 hide_index=True, width="stretch",
                 column_config={"EU amount": AMOUNT, "National amount": AMOUNT, "Total": AMOUNT,
                                "TO": st.column_config.Column(width=45), "Rows": st.column_config.Column(width=50),
                                "Thematic objective": st.column_config.Column(width=300)})
    st.caption(f"Each sum lists the lines of {code_span(data.finances.file)} it adds up (header = line 1).")
