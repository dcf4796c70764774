"""Thread limits for a question's small matrix products.

On 2 cores a question's work is a handful of small products (one MiniLM pass over ~20 tokens, a
few hundred word vectors against the vocabulary). Spread over two threads they gain nothing, and
when the other core is busy (an ingest, a second user) a two-thread product waits for it: measured
here with a helper's ingest running, the warm question's p95 was 711 ms on torch's default of two
threads and 196 ms on one (p50 148 -> 134 ms; ``eval/results/bench-query-2026-12-01.json``).
Ingest keeps its threads: only the question path enters these contexts.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

QUERY_TORCH_THREADS = 1  # torch intra-op threads while a question is embedded or translated


def one_blas_thread():
    """numpy on one BLAS thread: idle BLAS threads keep spinning after a matrix product and slow
    the MiniLM query embedding that runs next (measured 20 -> 100 ms a question)."""
    return _blas_controller().limit(limits=1, user_api="blas")


@lru_cache(maxsize=1)
def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, found once (finding them took 6 ms a call)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


class _TorchThreads:
    """torch's thread count is one per process: the first question in lowers it, the last one out
    restores it, so that questions answered at once on several threads don't undo each other."""

    lock = threading.Lock()
    inside = 0
    saved = 0


@contextmanager
def query_threads(threads: int = QUERY_TORCH_THREADS) -> Iterator[None]:
    """torch on ``threads`` intra-op threads for the duration (a question's embedding and
    translation); the count before is restored when the last such block ends."""
    import torch

    with _TorchThreads.lock:
        if _TorchThreads.inside == 0:
            _TorchThreads.saved = torch.get_num_threads()
            torch.set_num_threads(threads)
        _TorchThreads.inside += 1
    try:
        yield
    finally:
        with _TorchThreads.lock:
            _TorchThreads.inside -= 1
            if _TorchThreads.inside == 0:
                torch.set_num_threads(_TorchThreads.saved)
