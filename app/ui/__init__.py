"""Streamlit pages. Each module renders one page from functions in app.service; no retrieval or
ingestion logic lives here."""
