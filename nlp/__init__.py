"""nlp: sentences, passages, language; later tagging. Rule-based, nothing downloaded."""
