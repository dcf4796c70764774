"""The FastAPI application of ``ris3 serve``: a thin edge like the CLI. Each endpoint parses its
request (a pydantic model), calls what the CLI calls (app.service, analysis/, qa/) on the
resources ``ServeState`` loaded once, and returns JSON. Endpoints are plain ``def``: FastAPI runs
them in its thread pool, so a long question does not hold up the others."""
from __future__ import annotations

import json
import threading
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Query
from fastapi_offline import FastAPIOffline

from app.settings import Settings, quiet_third_parties

from . import models as m
from .errors import ERROR_RESPONSES, install_error_handlers
from .payloads import answer_payload, answer_text
from .state import NotFound, ServeState

API_VERSION = "1"


def create_app(settings: Settings, state: ServeState | None = None, warm_up: bool = True) -> FastAPI:
    """The application over the index of ``settings``. With ``warm_up``, its lifespan loads the
    models in a background thread at start; /health answers 503 until they are loaded."""
    quiet_third_parties()
    state = state or ServeState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm_up:
            threading.Thread(target=state.warm_up, name="ris3-warm-up", daemon=True).start()
        yield

    # /docs and /redoc with Swagger UI and ReDoc from the installed package, not from a CDN: offline
    app = FastAPIOffline(title="ris3-miner API", version=API_VERSION, lifespan=lifespan, responses=ERROR_RESPONSES,
                  description="Cited answers, passages, documents, keyword reports, concordance, region "
                              "profiles, hubs and funding over the ris3-miner index. Errors are "
                              '`{"error": "..."}`. See docs/serve.md.')
    app.state.ris3 = state
    install_error_handlers(app)
    _routes(app, state)
    return app


def _routes(app: FastAPI, state: ServeState) -> None:  # noqa: C901 -- one short function per endpoint
    @app.get("/health", response_model=m.Health, summary="Ready? (503 while the models load)")
    def health() -> dict:
        return state.health()

    @app.post("/ask", response_model=m.AskResponse, response_model_exclude_unset=True,
              summary="Answer a question with citations (the JSON of 'ris3 ask --json')")
    def ask(req: m.AskRequest) -> dict:
        answer = _answer(state, req)
        return answer_payload(answer, state.catalogue)

    @app.post("/ask/text", response_model=m.AskText, summary="Answer a question as 'ris3 ask' prints it")
    def ask_text(req: m.AskRequest) -> dict:
        return {"text": answer_text(_answer(state, req), state.catalogue)}

    @app.get("/passages", response_model=m.PassagePage, response_model_exclude_unset=True,
             summary="Search passages (q) or list them, with filters, a page at a time")
    def passages(q: Annotated[m.PassagesQuery, Query()]) -> dict:
        return _passages(state.require_ready(), q)

    @app.get("/documents", response_model=m.DocumentList, summary="The library: every file the index knows")
    def documents() -> dict:
        from analysis.library import library_rows

        rows = library_rows(state.require_ready().asker.index)
        return {"count": len(rows), "documents": rows}

    @app.get("/documents/{doc_id}", response_model=m.DocumentRow, summary="One document's library row")
    def document(doc_id: str) -> dict:
        from analysis.library import library_rows

        for row in library_rows(state.require_ready().asker.index):
            if row["doc_id"] == doc_id:
                return row
        raise NotFound(f"no document {doc_id!r} in the index; GET /documents lists them")

    @app.get("/reports/keywords", response_model=m.KeywordReportResponse,
             summary="Keyword report: how often the documents mention each term, per group")
    def keyword_report(q: Annotated[m.KeywordReportQuery, Query()]) -> dict:
        from analysis.reports import describe_filters, keyword_report, resolve_terms

        index = state.require_ready().asker.index
        criteria = q.filter_values()
        terms = resolve_terms([t for t in (q.terms or "").split(",") if t.strip()] or None)
        result = keyword_report(index, terms, by=q.by, filters=index.resolve_filters(**criteria),
                                examples=q.examples, filter_labels=describe_filters(**criteria))
        return result.to_json()

    @app.get("/kwic", response_model=m.KwicResponse, summary="Keyword in context: every mention of a term")
    def kwic(q: Annotated[m.KwicQuery, Query()]) -> dict:
        from analysis.reports import kwic as find_kwic
        from analysis.reports import resolve_terms

        index = state.require_ready().asker.index
        lines = find_kwic(index, resolve_terms([q.query]), index.resolve_filters(**q.filter_values()),
                          window=q.window, limit=q.limit)
        return {"query": q.query, "count": len(lines), "lines": [k.to_json() for k in lines]}

    @app.get("/regions/{region}/profile", response_model=m.ProfileResponse, summary="A cited region brief")
    def profile(region: str, q: Annotated[m.ProfileQuery, Query()]) -> dict:
        ready = state.require_ready()
        builder = ready.profiles if q.answers else ready.profiles_plain
        _region(ready, region)
        return builder.build(region).to_json()

    @app.get("/hubs", response_model=m.HubSearchResponse, summary="Search the JRC DIH catalogue")
    def hubs(q: Annotated[m.HubsQuery, Query()]) -> dict:
        found = _catalogue(state).search(q.q, country=q.country, sector=q.sector, city=q.city, limit=q.limit)
        return found.to_json()

    @app.get("/hubs/{hub_id}", response_model=m.HubShowResponse,
             summary="One hub's record and the passages naming it")
    def hub(hub_id: str) -> dict:
        catalogue = _catalogue(state)
        try:
            h = catalogue.get(hub_id)
        except ValueError as exc:
            raise NotFound(str(exc)) from exc
        mentions = catalogue.mentions(state.asker.index, h.id)
        return {"hub": h.to_json(), "mentions": [vars(x) for x in mentions], "source": catalogue.dataset.title}

    @app.get("/funding", response_model=m.FundingResponse,
             summary="Planned ESIF 2014-2020 amounts of a region, country or programme")
    def funding(q: Annotated[m.FundingQuery, Query()]) -> dict:
        return _funding(state.require_ready(), q)


def _answer(state: ServeState, req: m.AskRequest):
    """What ``ris3 ask`` does: the Asker's answer with the data's answer on it."""
    from app import service
    from qa.service import clean_question

    ready = state.require_ready()
    question = clean_question(req.question)
    answer = ready.asker.ask(question, service.Filters(**req.filter_values()), req.top_k)
    service.add_data_answer(ready.data, answer)
    return answer


def _passages(state: ServeState, q: m.PassagesQuery) -> dict:
    from analysis.reports import select_passages
    from qa.service import MAX_TOP_K, clean_question
    from qa.types import passage_json

    index = state.asker.index
    filters = index.resolve_filters(**q.filter_values())
    start = (q.page - 1) * q.page_size
    if q.q is None:
        found = select_passages(index, filters)
        return {"mode": "list", "page": q.page, "page_size": q.page_size, "total": len(found),
                "passages": [passage_json(start + i, p) for i, p in
                             enumerate(found[start:start + q.page_size], start=1)]}
    if start + q.page_size > MAX_TOP_K:
        raise ValueError(f"a search ranks at most {MAX_TOP_K} passages; page {q.page} of {q.page_size} is past them")
    ranked, _, _ = state.asker.search(clean_question(q.q), filters, top_k=start + q.page_size)
    return {"mode": "search", "page": q.page, "page_size": q.page_size, "total": None,
            "passages": [passage_json(start + i, p) for i, p in enumerate(ranked[start:], start=1)]}


def _region(state: ServeState, name: str):
    try:
        return state.profiles.resolver.resolve(name)
    except ValueError as exc:
        raise NotFound(str(exc)) from exc


def _catalogue(state: ServeState):
    catalogue = state.require_ready().catalogue
    if catalogue is None:
        raise NotFound(f"the corpus at {state.settings.corpus} has no DIH catalogue (data/jrc-dih-catalogue.json)")
    return catalogue


def _funding(state: ServeState, q: m.FundingQuery) -> dict:
    from app.render.funding_formats import funding_json

    data = state.funding
    if data is None:
        raise NotFound(f"the corpus at {state.settings.corpus} has no funding data (data/esif-2014-2020-*.csv)")
    if not (q.region or q.cci or q.country):
        raise ValueError("give a region, country or cci")
    selection = data.select_programmes(region=_region(state, q.region) if q.region else None,
                                       cci=q.cci, country=q.country)
    rows = data.rows(selection.ccis, country=selection.country, fund=q.fund, to=q.to, scopes=selection.scopes)
    table = data.table(rows, by=[b.strip() for b in q.by.split(",") if b.strip()])
    return json.loads(funding_json(table, selection.programmes, data.about, country=selection.country is not None))
