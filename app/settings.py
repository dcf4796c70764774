"""The one settings object, built here at the edge from defaults and the environment, and passed
down explicitly. Lower layers never read the environment.

| variable            | meaning                                   | default                     |
|---------------------|-------------------------------------------|-----------------------------|
| RIS3_HOME           | where the index lives                     | ``data/`` in the repository |
| RIS3_CORPUS         | the bundled corpus ingested by default    | ``corpus/`` in the repo     |
| RIS3_CHROMA_URL     | a Chroma server (http://HOST:PORT)         | unset: Chroma on disk       |
| RIS3_WORKERS        | extraction processes                      | 2                           |
| RIS3_INGEST_CLUSTER | Dask scheduler tcp://HOST:PORT, or local:N, for the per-file ingest work | unset: this process |
| RIS3_TOP_K          | passages returned per question            | 8                           |
| RIS3_ANSWER_THRESHOLD | minimum sentence score for an answer    | 0.4                         |
| RIS3_UPLOAD_BATCH_MB | most megabytes one upload may add        | 500                         |
| RIS3_RERANK         | second-stage re-ranking of the fused passages (0 = off) | 1             |
| RIS3_ABSTAIN        | say so when the scope never mentions a focus term (0 = off) | 1         |
| RIS3_SERVE_HOST     | address ``ris3 serve`` listens on         | 127.0.0.1                   |
| RIS3_SERVE_PORT     | port ``ris3 serve`` listens on            | 8600                        |
| RIS3_SERVE_TIMEOUT  | seconds ``ris3 ask --server`` waits for an answer | 120                 |
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from index.settings import IndexSettings
from qa.abstain import AbsenceSettings
from qa.rerank import RerankSettings
from qa.settings import AnswerSettings

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServeSettings:
    """``ris3 serve`` (the JSON HTTP API, app/serve/) and its client ``ris3 ask --server``."""

    host: str = "127.0.0.1"
    """Address to listen on; loopback by default (the API has no authentication)."""
    port: int = 8600
    """Port to listen on (Streamlit's is 8501, a local ``chroma run`` often 8000)."""
    client_timeout_s: float = 120.0
    """How long ``ris3 ask --server`` waits for the server's answer."""


@dataclass(frozen=True)
class Settings:
    home: Path = REPO_ROOT / "data"
    corpus: Path = REPO_ROOT / "corpus"
    chroma_url: str | None = None
    workers: int = 2
    ingest_cluster: str | None = None
    """Where ingestion's per-file work runs: a Dask scheduler ('tcp://HOST:PORT') or 'local:N'
    (N worker processes started for the ingest); this process stays the one writer
    (index/distributed.py, docs/ingest-distributed.md). None: all in this process."""
    index: IndexSettings = field(default_factory=IndexSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    rerank: RerankSettings | None = field(default_factory=RerankSettings)
    """The second retrieval stage's depth and weights; None: the fused ranking alone."""
    absence: AbsenceSettings | None = field(default_factory=AbsenceSettings)
    """What makes a question's focus terms, whose absence from the scope is said (qa/abstain.py); None: off."""
    upload_batch_mb: float = 500.0
    serve: ServeSettings = field(default_factory=ServeSettings)

    @property
    def hub_catalogue(self) -> Path:
        """The JRC DIH catalogue of the corpus: its hubs are recognised in passages."""
        return self.corpus / "data" / "jrc-dih-catalogue.json"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        d = cls()
        try:
            return cls(
                home=Path(env.get("RIS3_HOME") or d.home).expanduser(),
                corpus=Path(env.get("RIS3_CORPUS") or d.corpus).expanduser(),
                chroma_url=env.get("RIS3_CHROMA_URL") or None,
                workers=int(env.get("RIS3_WORKERS") or d.workers),
                ingest_cluster=env.get("RIS3_INGEST_CLUSTER") or None,
                upload_batch_mb=float(env.get("RIS3_UPLOAD_BATCH_MB") or d.upload_batch_mb),
                answer=AnswerSettings(
                    top_k=int(env.get("RIS3_TOP_K") or d.answer.top_k),
                    threshold=float(env.get("RIS3_ANSWER_THRESHOLD") or d.answer.threshold)),
                rerank=d.rerank if _flag(env.get("RIS3_RERANK", "1"), "RIS3_RERANK") else None,
                absence=d.absence if _flag(env.get("RIS3_ABSTAIN", "1"), "RIS3_ABSTAIN") else None,
                serve=ServeSettings(host=env.get("RIS3_SERVE_HOST") or d.serve.host,
                                    port=int(env.get("RIS3_SERVE_PORT") or d.serve.port),
                                    client_timeout_s=float(env.get("RIS3_SERVE_TIMEOUT") or d.serve.client_timeout_s)),
            )
        except ValueError as exc:
            raise ValueError(f"bad RIS3_* environment setting: {exc}") from exc


def _flag(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on", ""):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0, got {value!r}")


def quiet_third_parties() -> None:
    """No telemetry, no hub look-ups: this machine is offline and so are our users' laptops."""
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # "Loading weights" bar on every start
