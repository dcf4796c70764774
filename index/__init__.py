"""index: embeddings in Chroma, a BM25 keyword index, passage state in SQLite, hybrid retrieval."""
