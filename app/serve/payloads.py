"""The JSON of an answer as ``ris3 ask --json`` prints it and ``POST /ask`` returns it: one
function, so that the two can never differ."""
from __future__ import annotations

from qa.types import Answer


def answer_payload(answer: Answer, catalogue=None) -> dict:
    """``Answer.to_json`` plus, when ``catalogue`` (a ``HubCatalogue``) is given, the catalogue
    hubs each passage names (``passages[i].hubs``: id and name)."""
    out = answer.to_json()
    if catalogue is not None:
        for p, row in zip(answer.passages, out["passages"]):
            row["hubs"] = [{"id": h.id, "name": h.name} for h in catalogue.hubs_in_passage(p)]
    return out


def answer_text(answer: Answer, catalogue=None) -> str:
    """What ``ris3 ask`` prints: the data's answer first (when the question has one), then the
    answer with its citations and sources (``app.render.answer_text.render_answer``)."""
    from app.render.answer_markdown import data_answer_text
    from app.render.answer_text import render_answer

    head = data_answer_text(answer.data) + "\n\n" if answer.data else ""
    return head + render_answer(answer, catalogue)
