"""Ranking metrics over binary relevance lists (``rels[i]`` is whether the i-th result is relevant).

``ndcg_at_k`` uses the usual log2 discount; its ideal ranking puts ``n_relevant`` relevant results
first (all the relevant results in the collection, capped at k).
"""
from __future__ import annotations

import math
from typing import Sequence


def hit_at_k(rels: Sequence[bool], k: int) -> float:
    return 1.0 if any(rels[:k]) else 0.0


def reciprocal_rank(rels: Sequence[bool]) -> float:
    for i, r in enumerate(rels):
        if r:
            return 1.0 / (i + 1)
    return 0.0


def dcg_at_k(rels: Sequence[bool], k: int) -> float:
    return sum(1.0 / math.log2(i + 2) for i, r in enumerate(rels[:k]) if r)


def ndcg_at_k(rels: Sequence[bool], k: int, n_relevant: int) -> float:
    ideal = dcg_at_k([True] * min(n_relevant, k), k)
    return dcg_at_k(rels, k) / ideal if ideal else 0.0


def mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0
