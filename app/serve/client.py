"""``ris3 ask --server URL``: the question sent to a running ``ris3 serve`` (httpx). Every failure
is a ``ServerError`` with one line saying what to do."""
from __future__ import annotations

from typing import Any


class ServerError(RuntimeError):
    """The server could not be reached or refused the question (the message is one line)."""


def ask_remote(url: str, request: dict[str, Any], text: bool = False, timeout_s: float = 120.0) -> Any:
    """POST ``request`` (question, top_k, filters) to ``URL/ask`` (the answer's JSON) or, with
    ``text``, to ``URL/ask/text`` (what ``ris3 ask`` prints, as a string)."""
    import httpx

    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ServerError(f"--server must be an http:// or https:// URL, got {url!r}")
    endpoint = f"{base}/ask/text" if text else f"{base}/ask"
    body = {k: v for k, v in request.items() if v is not None}
    try:
        response = httpx.post(endpoint, json=body, timeout=timeout_s)
    except httpx.TimeoutException as exc:
        raise ServerError(f"the ris3 server at {base} did not answer within {timeout_s:.0f} s "
                          "(RIS3_SERVE_TIMEOUT to wait longer)") from exc
    except httpx.HTTPError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ServerError(f"cannot reach the ris3 server at {base} ({reason}); start it with 'ris3 serve' "
                          "or leave out --server to answer locally") from exc
    try:
        payload = response.json()
    except ValueError as exc:
        raise ServerError(f"{endpoint} answered HTTP {response.status_code} with something that is not JSON; "
                          "is it a ris3 server?") from exc
    if response.status_code != 200:
        message = payload.get("error") if isinstance(payload, dict) else None
        raise ServerError(message or f"{endpoint} answered HTTP {response.status_code}")
    return payload["text"] if text else payload
