"""ingest: files in, cleaned pages out (with 1-based page numbers and document metadata)."""
