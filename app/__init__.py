"""app: settings from the environment, answers with citations, the ris3 CLI and the Streamlit app."""
