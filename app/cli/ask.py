"""``ris3 ask``: one question with cited answer, or a JSONL batch of them."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .common import filter_options, load_settings, require_passages


@click.command()
@click.argument("question", required=False)
@click.option("--top-k", type=click.IntRange(1, 100), default=None,
              help="Passages to return, 1-100 (default 8, or $RIS3_TOP_K).")
@filter_options
@click.option("--batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL file: one {\"id\", \"question\", optional filters} a line; prints one JSON result a line.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (stable shape, see README).")
@click.option("--server", metavar="URL", default=None,
              help="Ask a running 'ris3 serve' (e.g. http://127.0.0.1:8600) instead of loading the models here.")
def ask(question, top_k, region, country, doc_type, language, year, doc_id, tag, batch, as_json, server) -> None:
    """Answer QUESTION from the index with numbered citations (document, page, region).

    The answer is extractive: 1-4 sentences taken from the best passages. When nothing answers
    the question well, it says so and still lists the nearest passages.

    Ask in any language: the question is also searched in the other languages of the index
    (glossary and vocabulary translations, multilingual vectors), answers are quoted as written,
    and the answer says when it quotes another language and which words it searched there.
    """
    if not question and not batch:
        raise click.UsageError("give a QUESTION or --batch FILE")
    settings = load_settings()
    if server:  # nothing heavy is imported or loaded here: the server has it all
        _ask_server(server, settings, batch, as_json, question=question, top_k=top_k, region=region,
                    country=country, doc_type=doc_type, language=language, year=year, doc_id=doc_id, tag=tag)
        return
    from app import service
    from app.serve.payloads import answer_payload, answer_text
    from qa.service import clean_question

    asker = service.open_asker(settings)
    if batch:
        _ask_batch(asker, batch, top_k, service.open_data_answerer(settings, asker.index))
        return
    filters = service.Filters(region, country, doc_type, language, year, doc_id, tag)
    try:
        question = clean_question(question)  # an empty question is said first, as Asker.ask does
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    require_passages(asker.index)  # before any model loads
    try:
        answer = asker.ask(question, filters, top_k)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    service.add_data_answer(service.open_data_answerer(settings, asker.index), answer)
    catalogue = _catalogue_or_none(settings)
    if as_json:  # with the catalogue hubs each passage names (the same JSON as POST /ask)
        click.echo(json.dumps(answer_payload(answer, catalogue), ensure_ascii=False, indent=2))
    else:
        click.echo(answer_text(answer, catalogue))


def _ask_server(url: str, settings, batch, as_json: bool, **request) -> None:
    """The question answered by the 'ris3 serve' at ``url``, printed as the local path prints it."""
    from app.serve.client import ServerError, ask_remote

    if batch:
        raise click.UsageError("--batch answers locally; with --server, ask one QUESTION (or POST to URL/ask)")
    try:
        out = ask_remote(url, request, text=not as_json, timeout_s=settings.serve.client_timeout_s)
    except ServerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(out, ensure_ascii=False, indent=2) if as_json else out)


def _catalogue_or_none(settings):
    from analysis.hubs import HubCatalogue

    try:
        return HubCatalogue.from_corpus(settings.corpus)
    except FileNotFoundError:
        return None


def _ask_batch(asker, batch: Path, top_k: int | None, data=None) -> None:
    """One JSON line per input line, in order: the answer, or ``{"id", "line", "error"}`` for a
    line that cannot be answered (not JSON, not an object, no question, a bad top_k or filter);
    the rest of the batch goes on. A file that is not UTF-8 text is a one-line error."""
    try:
        text = batch.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{batch}: not UTF-8 text (byte {exc.start}); save the batch file as UTF-8") from exc
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        item_id = None
        try:
            item = _batch_object(line)
            item_id = item.get("id")
            _check_question(item)
            answer = asker.ask(item["question"], _batch_filters(item),
                               item["top_k"] if item.get("top_k") is not None else top_k)
            answer.id = item_id
            if data is not None:
                from app import service

                service.add_data_answer(data, answer)
            out = answer.to_json()
        except Exception as exc:  # noqa: BLE001 -- one bad line never stops the batch
            out = {"id": item_id, "line": lineno, "error": f"{batch}:{lineno}: {' '.join(str(exc).split())}"}
        click.echo(json.dumps(out, ensure_ascii=False))


def _batch_object(line: str) -> dict:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(item, dict):
        raise ValueError(f"a line must be a JSON object with a \"question\", not a {type(item).__name__}")
    return item


def _check_question(item: dict) -> None:
    if not isinstance(item.get("question"), str):
        got = "missing" if "question" not in item else f"a {type(item['question']).__name__}"
        raise ValueError(f"\"question\" must be a string ({got})")


def _batch_filters(item: dict):
    from app import service

    filters = service.Filters.from_mapping(item)
    for key, value in vars(filters).items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"filter {key!r} must be a string, got {value!r}")
    return filters
