"""``ris3 serve``: the JSON HTTP API (FastAPI) over the same calls the CLI and the app make.

Cheap to import: ``api.create_app`` builds the application, ``state.ServeState`` holds what it
loads once, ``models`` the request and response models, ``payloads`` the JSON of an answer (shared
with ``ris3 ask --json``) and ``client`` what ``ris3 ask --server`` sends. See docs/serve.md."""
