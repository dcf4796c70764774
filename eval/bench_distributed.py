"""Dask distributed or Ray for distributed ingestion: start-up of a local head and one worker
process with a trivial task, and the per-file work (index/distributed.py ``file_work``: extraction,
passage chain, MiniLM passage and sentence vectors, multilingual windows) of real corpus PDFs
through each engine against the same work in this process. Figures to
eval/results/distributed-ingest-<date>.json.

    .venv/bin/python -m eval.bench_distributed [--out PATH]

Both engines must be installed for the comparison (``pip install dask==... distributed==...
ray==...``); only the chosen one is a project dependency. Install sizes are measured apart (pip
``--target`` into an empty folder, ``du -sb``) and passed in with ``--sizes``."""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

from index.distributed import FileModels, file_work
from index.settings import IndexSettings

REPO = Path(__file__).resolve().parent.parent
FILES = ["reports/de-duesseldorf-benchmarking-case-study.pdf", "reports/subsidyreport-policy-and-data.pdf",
         "guides/onlines3-regional-assets-mapping-method.pdf"]


def _jobs() -> list[tuple[Path, dict]]:
    from ingest.manifest import load_manifest

    rows = load_manifest(REPO / "corpus", [])
    out = []
    for f in FILES:
        path = REPO / "corpus" / f
        out.append((path, rows[str(path)].as_meta()))
    return out


def _summary(works, seconds: float) -> dict:
    return {"seconds": round(seconds, 2), "files": len(works), "pages": sum(len(w.pages) for w in works),
            "passages": sum(len(w.passages) for w in works), "failures": [w.failure for w in works if w.failure],
            "pages_per_s": round(sum(len(w.pages) for w in works) / seconds, 2)}


def bench_local(jobs) -> dict:
    started = time.perf_counter()
    models = FileModels(IndexSettings())
    models.warm_up()
    loaded = time.perf_counter() - started
    works = [file_work(p, m, models) for p, m in jobs]
    out = _summary(works, time.perf_counter() - started)
    out["model_load_s"] = round(loaded, 2)
    out["work_only_s"] = round(out["seconds"] - loaded, 2)
    return out


def bench_dask(jobs, n_workers: int = 1) -> dict:
    from distributed import Client, LocalCluster

    from index.distributed import ClusterCompute

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    assert client.submit(sum, [1, 2]).result() == 3
    startup = time.perf_counter() - started
    client.close()
    try:
        t0 = time.perf_counter()
        with ClusterCompute(cluster.scheduler_address, IndexSettings(), None, progress=False) as compute:
            works = list(compute(jobs))
        out = _summary(works, time.perf_counter() - t0)
    finally:
        cluster.close()
    out["startup_head_worker_trivial_task_s" if n_workers == 1 else f"startup_head_{n_workers}_workers_s"] = round(startup, 2)
    return out


def bench_ray(jobs) -> dict:
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        assert ray.get(ray.remote(lambda: 3).remote()) == 3
        startup = time.perf_counter() - started

        @ray.remote(num_cpus=1)
        class Worker:  # one actor: its models loaded once
            def __init__(self):
                self.models = FileModels(IndexSettings())
                self.models.warm_up()

            def run(self, path, meta):
                return file_work(Path(path), meta, self.models)

        t0 = time.perf_counter()
        worker = Worker.remote()
        works = ray.get([worker.run.remote(str(p), m) for p, m in jobs])
        out = _summary(works, time.perf_counter() - t0)
    finally:
        ray.shutdown()
    out["startup_head_worker_trivial_task_s"] = round(startup, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "eval" / "results" / f"distributed-ingest-{datetime.date.today()}.json")
    ap.add_argument("--runs", default="local,dask,ray,dask2", help="what to measure, in this order")
    ap.add_argument("--sizes", type=json.loads, default={}, help='install sizes, e.g. {"dask": {...}, "ray": {...}}')
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    jobs = _jobs()
    benches = {"local": bench_local, "dask": bench_dask, "ray": bench_ray, "dask2": lambda j: bench_dask(j, 2)}
    result = {"date": str(datetime.date.today()), "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
              "load_average_at_start": os.getloadavg(), "note": "2 cores shared with other sessions: figures are noisy"},
              "files": FILES, "order": args.runs, "install": args.sizes}
    for name in args.runs.split(","):
        result[name] = benches[name](jobs)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
