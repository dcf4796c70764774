"""``ris3 serve``: the JSON HTTP API (app/serve/) on uvicorn."""
from __future__ import annotations

import click

from .common import load_settings, require_passages


@click.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1, or $RIS3_SERVE_HOST). "
                                           "The API has no authentication: keep it on loopback or behind a proxy.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port to listen on (default 8600, or $RIS3_SERVE_PORT).")
def serve(host, port) -> None:
    """Serve the index as a JSON HTTP API: ask (with filters), passages, documents, keyword
    report, KWIC, region profile, hubs and funding. The models load once, at start; GET /health
    answers 503 until they are loaded, then 200. The endpoints and their fields: /docs.

    \b
    Example:
      ris3 serve --port 8600 &
      curl -s localhost:8600/health
      curl -s localhost:8600/ask -H 'content-type: application/json' \\
           -d '{"question": "What role do clusters play?", "region": "Lubelskie"}'
      ris3 ask "What role do clusters play?" --server http://127.0.0.1:8600
    """
    from app import service

    settings = load_settings()
    host = host or settings.serve.host
    port = port or settings.serve.port
    require_passages(service.open_index(settings))  # an empty index is said before any model loads
    _check_port(host, port)
    import uvicorn

    from app.serve.api import create_app
    from app.serve.state import ServeState

    url = f"http://{host}:{port}"
    state = ServeState(settings, on_ready=lambda s: click.echo(
        f"ris3 serve: ready in {s.warm_up_s:.0f} s" if s.ready else f"ris3 serve: not ready: {s.error}", err=True))
    click.echo(f"ris3 serve: {url} (endpoints: {url}/docs); loading models and the index ...", err=True)
    uvicorn.run(create_app(settings, state), host=host, port=port, log_level="warning", access_log=False)


def _check_port(host: str, port: int) -> None:
    """A one-line error when ``host:port`` cannot be listened on (taken, or not this machine's)."""
    import socket

    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(info[0], socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(info[4])
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                                   "give another --port (or --host)") from exc
