"""Answering: the Answer and Citation records, sentence selection, and the Asker that ties retrieval to answers."""
