"""What ``ris3 serve`` loads once and shares between requests: the Asker (models and index), the
data answerer, the hub catalogue, the funding data and the profile builder. ``warm_up`` loads them
all and asks one question, so that the first real request is as fast as the next; until it has
finished, ``require_ready`` refuses with ``NotReady`` (HTTP 503).

Nothing here writes to the index: the serving process only reads it (docs/serve.md says why
several serving processes need the vectors in a Chroma server)."""
from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from app.settings import Settings

log = logging.getLogger("ris3.serve")

WARM_UP_QUESTION = "What are the priority domains of the strategy?"


class NotReady(RuntimeError):
    """The server is still loading its models, or failed to (HTTP 503)."""


class NotFound(LookupError):
    """An unknown document, region or hub (HTTP 404)."""


@dataclass
class ServeState:
    """:param settings: the one settings object (index location, Chroma, answer settings)."""

    settings: Settings
    asker: Any = None
    data: Any = None
    catalogue: Any = None
    funding: Any = None
    profiles: Any = None
    profiles_plain: Any = None  # profiles without the two answer sections (no question asked)
    warm_up_s: float = 0.0
    error: str = ""
    on_ready: Callable[["ServeState"], None] | None = None
    """Called once warm-up has finished, ready or not (``ris3 serve`` says so on stderr)."""
    _ready: threading.Event = field(default_factory=threading.Event)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def warm_up(self) -> None:
        """Load everything and answer one question; a failure is kept as ``error`` (503)."""
        started = time.perf_counter()
        try:
            self._load()
        except Exception as exc:  # noqa: BLE001 -- reported by /health and every request, not a crash
            self.error = f"the server could not load the index: {' '.join(str(exc).split()) or type(exc).__name__}"
            log.error("%s", self.error)
        else:
            self.warm_up_s = time.perf_counter() - started
            gc.collect()
            gc.freeze()  # what is loaded stays: the collector need not walk it again on every request
            self._ready.set()
        if self.on_ready is not None:
            self.on_ready(self)

    def _load(self) -> None:
        from analysis.funding import FundingData
        from analysis.hubs import HubCatalogue
        from analysis.profiles import ProfileBuilder
        from app import service

        asker = service.open_asker(self.settings)
        if asker.index.passage_count() == 0:
            raise ValueError("the index is empty: run 'ris3 ingest' first")
        asker.warm_up()
        data = service.open_data_answerer(self.settings, asker.index)
        data.warm_up()
        try:
            catalogue = HubCatalogue.from_corpus(self.settings.corpus)
            catalogue.warm_up()
        except FileNotFoundError:
            catalogue = None
        try:
            funding = FundingData.from_corpus(self.settings.corpus)
        except FileNotFoundError:
            funding = None
        profiles = ProfileBuilder(asker.index, self.settings.corpus, asker=asker)
        self.profiles_plain = ProfileBuilder(asker.index, self.settings.corpus)
        answer = asker.ask(WARM_UP_QUESTION)  # the first question pays for lazy loads; not a user
        service.add_data_answer(data, answer)
        asker.index.passages()
        self.asker, self.data, self.catalogue, self.funding, self.profiles = asker, data, catalogue, funding, profiles

    def require_ready(self) -> "ServeState":
        if self.error:
            raise NotReady(self.error)
        if not self.ready:
            raise NotReady("the server is warming up (loading models and the index); try again in a few seconds")
        return self

    def health(self) -> dict:
        index = self.require_ready().asker.index
        return {"status": "ready", "index": index.folder.name,
                "documents": sum(d.status == "ingested" for d in index.documents()),
                "passages": index.passage_count(), "chroma": self.settings.chroma_url or "embedded",
                "warm_up_s": round(self.warm_up_s, 1)}
