"""Choosing the re-ranker's weights (qa/rerank.py) on the dev half of the held-out gold questions,
and reporting them on the test half, never tuned on.

For each answerable question the fused top ``depth`` passages are retrieved once, their features
computed once and their relevance judged by the gold text rule (``eval.qa.relevant``); a weight
vector is then only a matrix product away, so a coordinate search over a grid of weights on dev
takes seconds. The objective is the mean of MRR@10 and hit@5 on dev. The result file holds the
chosen weights, the dev and test figures of the fused ranking and the re-ranked one, and the
search trace.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from .metrics import mean, ndcg_at_k, reciprocal_rank
from .qa import DEPTH, RESULTS, Candidate, GoldQuestion, load_gold, relevant

HELDOUT = Path(__file__).parent / "gold" / "qa-heldout.jsonl"
GRID = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0)


@dataclass
class Judged:
    """One question's fused candidates: features (rows) and relevance."""

    question: GoldQuestion
    features: np.ndarray
    rels: np.ndarray
    n_relevant: int


def judge(asker, questions: list[GoldQuestion], depth: int, single_page: frozenset[str],
          universe: list[Candidate], progress: bool = True) -> list[Judged]:
    from tqdm import tqdm

    out = []
    for q in tqdm(questions, desc="features", unit="q", disable=not progress):
        first, tr = asker.fused(q.question, top_k=depth)
        passages = first.documents
        f = asker.reranker.features(q.question, passages, first.embedding, tr.language, tr.as_list(),
                                    first.evidence, asker.retriever.candidates)
        cands = [Candidate(p.meta.get("doc_id", ""), int(p.meta.get("page_start", 1)), int(p.meta.get("page_end", 1)),
                           p.content or "") for p in passages]
        rels = np.array([relevant(q, c, single_page) for c in cands], dtype=bool)
        out.append(Judged(q, f, rels, sum(1 for c in universe if relevant(q, c, single_page))))
    return out


def evaluate(judged: list[Judged], weights: np.ndarray | None) -> dict:
    """Figures of the fused order (``weights`` None) or of the re-ranked one."""
    hits, rrs, ndcgs, h1 = [], [], [], []
    for j in judged:
        rels = j.rels
        if weights is not None and len(rels):
            order = np.argsort(-(j.features @ weights), kind="stable")
            rels = rels[order]
        rels = list(rels[:DEPTH])
        hits.append(float(any(rels[:5])))
        h1.append(float(any(rels[:1])))
        rrs.append(reciprocal_rank(rels))
        ndcgs.append(ndcg_at_k(rels, 10, j.n_relevant))
    return {"hit@1": mean(h1), "hit@5": mean(hits), "mrr": mean(rrs), "ndcg@10": mean(ndcgs), "questions": len(judged)}


def objective(m: dict) -> float:
    return (m["mrr"] + m["hit@5"]) / 2


def search(judged: list[Judged], start: np.ndarray, rounds: int = 3) -> tuple[np.ndarray, list[dict]]:
    """Coordinate search over ``GRID`` per weight, from ``start``; the fused weight stays 1 (the
    scale). Ties keep the earlier (smaller-change) value."""
    w = start.astype(np.float32).copy()
    best = objective(evaluate(judged, w))
    trace = [{"weights": w.tolist(), "objective": best}]
    for _ in range(rounds):
        improved = False
        for i in range(1, len(w)):
            for v in GRID:
                trial = w.copy()
                trial[i] = v
                o = objective(evaluate(judged, trial))
                if o > best + 1e-9:
                    best, w, improved = o, trial, True
                    trace.append({"weights": w.tolist(), "objective": round(best, 4)})
        if not improved:
            break
    return w, trace


def run(settings, gold_path: Path = HELDOUT, progress: bool = True) -> dict:
    from app.service import open_asker
    from qa.rerank import FEATURES

    questions = [q for q in load_gold(gold_path) if q.answerable]
    dev = [q for q in questions if q.split == "dev"]
    test = [q for q in questions if q.split == "test"]
    if not dev or not test:
        raise ValueError(f"{gold_path} needs answerable dev and test questions (a 'split' field)")
    asker = open_asker(settings)
    asker.warm_up()
    index = asker.index
    single_page = frozenset(d.doc_id for d in index.documents() if d.n_pages <= 1)
    universe = [Candidate(p.meta.get("doc_id", ""), int(p.meta.get("page_start", 1)), int(p.meta.get("page_end", 1)),
                          p.content or "") for p in index.passages().values()]
    depth = asker.reranker.settings.depth
    j_dev = judge(asker, dev, depth, single_page, universe, progress)
    j_test = judge(asker, test, depth, single_page, universe, progress)
    current = asker.reranker.settings.weights()
    start = np.zeros(len(FEATURES), dtype=np.float32)
    start[0] = 1.0
    chosen, trace = search(j_dev, start)
    chosen_settings = replace(asker.reranker.settings, **{f: round(float(v), 3) for f, v in zip(FEATURES, chosen)})
    out = {
        "date": date.today().isoformat(), "gold": Path(gold_path).name, "depth": depth, "features": list(FEATURES),
        "objective": "(MRR@10 + hit@5) / 2 on dev", "grid": list(GRID),
        "chosen": chosen_settings.as_dict(), "current": dict(zip(FEATURES, current.tolist())),
        "dev": {"fused": evaluate(j_dev, None), "reranked_chosen": evaluate(j_dev, chosen),
                "reranked_current": evaluate(j_dev, current)},
        "test": {"fused": evaluate(j_test, None), "reranked_chosen": evaluate(j_test, chosen),
                 "reranked_current": evaluate(j_test, current)},
        "ablation_dev": {f: evaluate(j_dev, np.where(np.arange(len(FEATURES)) == i, 0.0, chosen).astype(np.float32))
                         for i, f in enumerate(FEATURES) if i},
        "trace": trace,
    }
    return out


def write(result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"rerank-{result['date']}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return path

