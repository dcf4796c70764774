"""Choosing the answer builder's settings (qa/settings.py ``AnswerSettings``) and the abstention's
confidence (qa/abstain.py ``AbsenceSettings.confident``) on the dev half of the held-out gold
questions, and reporting them on the test half, never tuned on.

Each question is searched once, as ``ris3 ask`` does (its gold scope as filters): the re-ranked
passages, the question's vector and translations, and what its scope does not mention are kept.
A setting is then only a new ``AnswerBuilder.build`` and ``qa.abstain.settle`` away, so a
coordinate search over a grid per setting takes minutes. The objective is the mean of the share
of answerable questions whose answer holds the gold (a gold phrase, or a sentence with token F1
>= 0.5 against the gold span: ``eval.qa``) and the no-answer accuracy, among the settings that
abstain on at most 5 % of the answerable questions (``MAX_FALSE_ABSTENTION``). The result file holds the
chosen settings, dev and test figures of the chosen and the current ones, and the search trace.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

from .metrics import mean
from .qa import DEPTH, RESULTS, GoldQuestion, holds_gold, load_gold
from .rerank import HELDOUT

GRIDS: dict[str, tuple[float, ...]] = {
    "similarity_weight": (0.3, 0.4, 0.5, 0.6, 0.8, 1.0),
    "overlap_weight": (0.0, 0.1, 0.2, 0.3, 0.4, 0.6),
    "context_weight": (0.0, 0.1, 0.2, 0.3, 0.4, 0.6),
    "rank_bonus": (0.0, 0.02, 0.04, 0.08, 0.15, 0.25),
    "passage_weight": (0.0, 0.05, 0.1, 0.2, 0.3),
    "list_bonus": (0.0, 0.03, 0.06, 0.1, 0.15, 0.25),
    "keep_within": (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6),
    "passages_read": (3, 4, 6, 8, 10),
    "threshold": (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6),
    "confident": (0.45, 0.5, 0.525, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0),
    "absent_share": (0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.75, 1.01),
}
ABSENCE_KNOBS = ("confident", "absent_share")  # AbsenceSettings fields; the others are AnswerSettings


@dataclass
class Searched:
    """One question as the answer builder receives it."""

    question: GoldQuestion
    passages: list
    embedding: list[float]
    language: str
    translations: list[dict]
    absence: object


def search_once(asker, questions: list[GoldQuestion], progress: bool = True) -> list[Searched]:
    from tqdm import tqdm

    from qa.service import Filters

    out = []
    for q in tqdm(questions, desc="search", unit="q", disable=not progress):
        filters = Filters.from_mapping(dict(q.scope))
        f = asker.index.resolve_filters(**vars(filters))
        passages, emb, tr = asker.search(q.question, f, top_k=DEPTH)
        out.append(Searched(q, passages, emb, tr.language, tr.as_list(), asker.absence(q.question, filters, f, tr)))
    return out


def evaluate(asker, searched: list[Searched], values: dict) -> dict:
    """Figures of one setting: answer settings and ``confident``."""
    from qa.abstain import settle

    builder = asker.answer_builder(replace(asker.settings, **{k: v for k, v in values.items() if k not in ABSENCE_KNOBS}))
    held, answered, declined = [], [], []
    for s in searched:
        a = builder.build(s.question.question, s.passages, s.embedding, s.language, s.translations)
        a = settle(a, s.absence, values["confident"], values.get("absent_share", 1.01))
        if s.question.answerable:
            held.append(float(holds_gold(s.question, a)))
            answered.append(float(a.answered))
        else:
            declined.append(float(not a.answered))
    return {"answer_holds_gold": mean(held), "answered": mean(answered), "false_abstention": 1 - mean(answered),
            "no_answer_accuracy": mean(declined) if declined else None,
            "answerable": len(held), "no_answer": len(declined)}


MAX_FALSE_ABSTENTION = 0.05  # the bound: settings that abstain on more answerable questions lose


def objective(m: dict) -> float:
    """The mean of "answer holds gold" and no-answer accuracy; minus 1 past the false-abstention
    bound, so that any setting within it wins over one beyond it."""
    o = (m["answer_holds_gold"] + (m["no_answer_accuracy"] or 0.0)) / 2
    return o - 1.0 if m["false_abstention"] > MAX_FALSE_ABSTENTION + 1e-9 else o


def coordinate_search(asker, searched: list[Searched], start: dict, rounds: int = 2) -> tuple[dict, list[dict]]:
    """One setting at a time over its grid, from ``start``; ties keep the earlier value."""
    values = dict(start)
    best = objective(evaluate(asker, searched, values))
    trace = [{"values": dict(values), "objective": round(best, 4)}]
    for _ in range(rounds):
        improved = False
        for name, grid in GRIDS.items():
            for v in grid:
                trial = {**values, name: v}
                o = objective(evaluate(asker, searched, trial))
                if o > best + 1e-9:
                    best, values, improved = o, trial, True
                    trace.append({"values": dict(values), "objective": round(best, 4)})
        if not improved:
            break
    return values, trace


def run(settings, gold_path: Path = HELDOUT, progress: bool = True) -> dict:
    from app.service import open_asker

    questions = load_gold(gold_path)
    dev = [q for q in questions if q.split == "dev"]
    test = [q for q in questions if q.split == "test"]
    if not dev or not test:
        raise ValueError(f"{gold_path} needs dev and test questions (a 'split' field)")
    asker = open_asker(settings)
    asker.warm_up()
    s_dev = search_once(asker, dev, progress)
    current = {**{k: getattr(asker.settings, k) for k in GRIDS if k not in ABSENCE_KNOBS},
               **{k: getattr(asker.absence_settings, k) for k in ABSENCE_KNOBS}}
    chosen, trace = coordinate_search(asker, s_dev, current)
    s_test = search_once(asker, test, progress)
    return {
        "date": date.today().isoformat(), "gold": Path(gold_path).name,
        "objective": "(answer holds gold + no-answer accuracy) / 2 on dev, false abstentions <= 5 %", "grids": GRIDS,
        "chosen": chosen, "current": current, "answer_settings": asdict(asker.settings),
        "dev": {"current": evaluate(asker, s_dev, current), "chosen": evaluate(asker, s_dev, chosen)},
        "test": {"current": evaluate(asker, s_test, current), "chosen": evaluate(asker, s_test, chosen)},
        "trace": trace,
    }


def write(result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"answers-{result['date']}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return path
