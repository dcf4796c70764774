"""Every error the API returns is JSON ``{"error": "..."}`` with a status that says whose fault it
is: 400 a bad value or filter, 404 an unknown document, region, hub or path, 503 not ready, 500 a
bug (logged with its traceback on the server; the client gets one line, never the traceback)."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .models import ErrorResponse
from .state import NotFound, NotReady

log = logging.getLogger("ris3.serve")

ERROR_RESPONSES = {status: {"model": ErrorResponse, "description": text} for status, text in (
    (400, "A bad value or filter"), (404, "Unknown document, region or hub"), (503, "Not ready (warming up)"),
    (500, "Internal error"))}
"""The error statuses every endpoint documents in /openapi.json."""


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split()) or "error"}, status_code=status)


def validation_message(exc: RequestValidationError) -> str:
    """One line naming each bad field: "query parameter 'page': Input should be greater than or
    equal to 1 (got '0')"."""
    parts = []
    for e in exc.errors():
        if e.get("type") == "json_invalid":
            parts.append(f"the request body is not JSON ({e.get('ctx', {}).get('error', 'cannot be parsed')})")
            continue
        loc = [str(x) for x in e.get("loc", ())]
        where = {"query": "query parameter", "body": "body field", "path": "path parameter"}.get(loc[0] if loc else "", "")
        name = ".".join(x for x in loc[1:] if not x.isdigit())  # "by", not "by.0"
        got = f" (got {e['input']!r})" if e.get("type") != "missing" and isinstance(e.get("input"), (str, int, float)) else ""
        label = f"{where} {name!r}".strip() if name else (where or "request")
        parts.append(f"{label}: {e.get('msg', 'invalid')}{got}")
    return "; ".join(parts) or "bad request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(400, validation_message(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        message = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else \
            f"no endpoint {request.url.path}; /docs lists them"
        return error(exc.status_code, message)

    @app.exception_handler(NotReady)
    async def _not_ready(request: Request, exc: NotReady) -> JSONResponse:
        return error(503, str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return error(404, str(exc.args[0]) if exc.args else "not found")

    @app.exception_handler(ValueError)
    async def _bad_value(request: Request, exc: ValueError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error(500, f"internal error ({type(exc).__name__}); the server's log has the details")
