"""Operations page: the rows of the lists of funded operations (as ``ris3 operations search``),
filtered by region, beneficiary, term, year and amount, each citing its document and page, with
CSV/XLSX downloads and Open page."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analysis.operations import OperationFilter, export_operations, filter_operations, operations_frame
from app.service import Asker

from .common import index_key, open_reader

MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SHOWN = {"beneficiary": "Beneficiary", "name": "Operation", "amount": "Amount", "currency": "Currency", "year": "Year",
         "location": "Location", "citation": "Source (document, page)", "region": "Region"}
MAX_SHOWN = 2000


@st.cache_data(show_spinner=False)
def _frame(_asker: Asker, key: tuple) -> pd.DataFrame:
    """Every stored row with its document (recomputed when the index changes: ``key``)."""
    return operations_frame(_asker.index)


def render(asker: Asker) -> None:
    st.title("Operations")
    frame = _frame(asker, index_key(asker))
    if frame.empty:
        st.info("No list of funded operations is indexed. Add one on Add documents with the type op-operations.")
        return
    st.caption("Rows of the lists of funded operations (document type op-operations), read as tables from the PDF "
               "pages at ingestion. Amounts in the list's currency; each row cites its document and page.")
    c1, c2, c3 = st.columns(3)
    regions = c1.multiselect("Region", sorted(set(frame["region"])), key="ops_region")
    beneficiary = c2.text_input("Beneficiary contains", key="ops_beneficiary")
    term = c3.text_input("Term (name, description, any cell)", key="ops_term")
    c4, c5, c6 = st.columns(3)
    years = sorted({int(y) for y in frame["year"].dropna()})
    year = c4.selectbox("Year", years, index=None, key="ops_year", placeholder="Any year")
    low = c5.number_input("Amount from", min_value=0.0, value=None, step=1000.0, key="ops_min")
    high = c6.number_input("Amount to", min_value=0.0, value=None, step=1000.0, key="ops_max")
    try:
        f = OperationFilter(region=",".join(regions) or None, beneficiary=beneficiary or None, term=term or None,
                            year=year, min_amount=low, max_amount=high)
        rows = filter_operations(frame, f)
    except ValueError as exc:
        st.error(str(exc))
        return
    st.markdown(f"**{len(rows)}** of {len(frame)} operations"
                + (f" (first {MAX_SHOWN} shown; the downloads have all)" if len(rows) > MAX_SHOWN else ""))
    st.dataframe(rows.head(MAX_SHOWN)[list(SHOWN)].rename(columns=SHOWN), hide_index=True, width="stretch",
                 column_config={"Beneficiary": st.column_config.Column(width=220),
                                "Operation": st.column_config.Column(width=300),
                                "Amount": st.column_config.NumberColumn(format="localized", width=110),
                                "Currency": st.column_config.Column(width=70),
                                "Year": st.column_config.NumberColumn(format="%d", width=55)})
    _downloads(rows)
    _open_page(rows)


def _downloads(rows: pd.DataFrame) -> None:
    stamp = date.today().isoformat()
    d1, d2, _ = st.columns([1, 1, 4])
    for col, fmt in ((d1, "csv"), (d2, "xlsx")):
        col.download_button(fmt.upper(), export_operations(rows, fmt), file_name=f"operations-{stamp}.{fmt}",
                            mime=MIME[fmt], key=f"ops_dl_{fmt}")


def _open_page(rows: pd.DataFrame) -> None:
    if rows.empty:
        return
    shown = rows.head(MAX_SHOWN)
    choice = st.selectbox("Row", list(range(len(shown))), key="ops_row",
                          format_func=lambda i: f"{shown.at[i, 'name'] or '-'} ({shown.at[i, 'citation']})")
    st.button("Open page", key="ops_open", on_click=open_reader,
              args=(shown.at[choice, "doc_id"], int(shown.at[choice, "page"]), str(shown.at[choice, "name"] or "")))
