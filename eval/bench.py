"""Speed and memory benchmark (``ris3 bench`` / ``make bench``). Writes eval/results/bench-<date>.json.

Each stage runs in its own process so that its peak memory is its own:

1. ``ingest``: a fresh index of the bundled corpus in a temporary folder; time per stage
   (extraction, splitting and language, tagging, NER, model load, passage embedding, sentence
   embedding, writing, keyword index), pages/s and passages/s, peak RSS (with the extraction
   workers); then the encode floor: MiniLM encoding the same passage texts, nothing else.
2. ``query``: warm latency p50/p95 of ``Asker.ask`` (retrieval and answer) over the gold
   questions, without and with filters, and the query process's peak RSS.
3. ``scale``: the same at a synthetic 50k passages: the real passages replicated with their
   vectors (MiniLM, sentence and multilingual window vectors; no re-encoding), in a second
   index. The vocabulary does not grow with copies, so the word vectors are the corpus's.
4. ``startup``: the Streamlit server answering its health check, and the app's first script run
   (index and model loading) in a new process.

Measurements, not tests: nothing here passes or fails.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FILTERS = [{"region": "Lubelskie"}, {"doc_type": "guide"}, {"country": "NL"}, {"doc_type": "op-operations"},
           {"tag": "support.cluster"}]
SCALE_TARGET = 50_000


def peak_rss_mb(children: bool = False) -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if children else 0
    return round(max(own, kids) / 1024, 1)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))]


def _settings(home: Path):
    from app.settings import Settings

    return replace(Settings.from_env(), home=home)


def stage_ingest(home: Path) -> dict:
    from app.service import ingest, open_index
    from index.settings import local_model_path

    settings = _settings(home)
    report = ingest(settings, progress=False)
    ingested = [o for o in report.outcomes if o.status == "ingested"]
    pages, passages = sum(o.pages for o in ingested), sum(o.passages for o in ingested)
    rss = peak_rss_mb(children=True)
    texts = [p.content or "" for p in open_index(settings).passages().values()]
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(local_model_path(), device="cpu", local_files_only=True)
    model.encode(texts[:64], batch_size=32)  # warm
    t = time.perf_counter()
    model.encode(texts, batch_size=32, normalize_embeddings=True)
    floor = time.perf_counter() - t
    return {
        "files": len(ingested), "pages": pages, "passages": passages,
        "seconds": round(report.seconds, 1), "pages_per_s": round(pages / report.seconds, 2),
        "passages_per_s": round(passages / report.seconds, 2),
        "stages_s": {k: round(v, 1) for k, v in report.stages.items()},
        "peak_rss_mb": rss,
        "encode_floor_s": round(floor, 1), "encode_floor_passages_per_s": round(len(texts) / floor, 1),
        "ingest_over_floor": round(report.seconds / floor, 2),
    }


def _latencies(settings, questions: list[str], filters: list[dict] = FILTERS) -> dict:
    from app.service import Filters, open_asker

    asker = open_asker(settings)
    t = time.perf_counter()
    asker.warm_up()
    warm_up_s = time.perf_counter() - t
    for q in questions[:10]:
        asker.ask(q)
    plain, filtered = [], []
    for q in questions:
        t = time.perf_counter()
        asker.ask(q)
        plain.append((time.perf_counter() - t) * 1000)
    for i, q in enumerate(questions):
        t = time.perf_counter()
        asker.ask(q, Filters(**filters[i % len(filters)]))
        filtered.append((time.perf_counter() - t) * 1000)
    return {"passages": asker.index.passage_count(), "questions": len(questions), "warm_up_s": round(warm_up_s, 1),
            "p50_ms": round(statistics.median(plain), 1), "p95_ms": round(percentile(plain, 95), 1),
            "filtered_p50_ms": round(statistics.median(filtered), 1),
            "filtered_p95_ms": round(percentile(filtered, 95), 1), "peak_rss_mb": peak_rss_mb()}


def _questions() -> list[str]:
    from eval.qa import GOLD, load_gold

    return [q.question for q in load_gold(GOLD)]


def stage_query(home: Path) -> dict:
    return _latencies(_settings(home), _questions())


def build_scaled(source_home: Path, home: Path, target: int = SCALE_TARGET) -> int:
    """A second index with the real passages replicated (ids suffixed ~r) up to ``target``, with
    their stored vectors and metadata copied as they are: nothing is re-encoded or re-tagged."""
    import numpy as np

    from app.service import open_index

    src = open_index(_settings(source_home))
    dst = open_index(_settings(home))
    passages = list(src.passages().values())
    copies = max(1, -(-target // len(passages)))
    got = src.chroma_collection().get(ids=[p.id for p in passages], include=["embeddings", "metadatas", "documents"])
    collection = dst.chroma_collection()
    rows = list(zip(got["ids"], got["embeddings"], got["metadatas"], got["documents"]))
    for r in range(copies):
        suffix = "" if r == 0 else f"~{r}"
        for i in range(0, len(rows), 5000):
            part = rows[i:i + 5000]
            collection.add(ids=[pid + suffix for pid, *_ in part], embeddings=np.array([e for _, e, _, _ in part]),
                           metadatas=[m for _, _, m, _ in part], documents=[d for *_, d in part])
    sentence = src.sentence_vectors([p.id for p in passages])
    windows = src.export_rows("multilingual_windows")
    words = src.export_rows("word_vectors")  # same texts, same words
    copy = [(r, "" if r == 0 else f"~{r}") for r in range(copies)]
    docs = src.documents()
    dst.import_rows({  # the SQLite record, copied with the same replication (rows made as they are written)
        "passages": ((p.id + suffix, p.meta["doc_id"], p.meta.get("passage_index", 0) + r * 100_000, p.content,
                      json.dumps(p.meta)) for r, suffix in copy for p in passages),
        "sentence_vectors": ((pid + suffix, int(v.shape[1]), v.astype(np.float16).tobytes())
                             for _, suffix in copy for pid, v in sentence.items()),
        "multilingual_windows": ((pid + suffix, model, dim, blob) for _, suffix in copy for pid, model, dim, blob in windows),
        "word_vectors": words,
        "documents": ((rec.doc_id, rec.file, rec.sha256, rec.status, rec.reason, json.dumps(rec.meta), rec.n_pages,
                       rec.n_passages * copies, time.time()) for rec in docs),
        "pages": ((rec.doc_id, n, t) for rec in docs for n, t in src.page_texts(rec.doc_id).items()),
    })
    dst.set_tagging_version(src.tagging_version())
    dst.reload()
    dst.rebuild_keyword_index()
    return dst.passage_count()


def stage_scale(source_home: Path, home: Path, target: int = SCALE_TARGET) -> dict:
    t = time.perf_counter()
    n = build_scaled(source_home, home, target)
    build_s = time.perf_counter() - t
    result = _latencies(_settings(home), _questions())
    return {"build_s": round(build_s, 1), **result, "passages": n}


def stage_startup(home: Path) -> dict:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RIS3_HOME": str(home)}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "app" / "streamlit_app.py"),
                             "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    health = None
    try:
        while time.perf_counter() - t < 120:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status == 200:
                    health = time.perf_counter() - t
                    break
            except OSError:
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    code = ("import time; t=time.perf_counter(); from streamlit.testing.v1 import AppTest; "
            f"at=AppTest.from_file({str(REPO / 'app' / 'streamlit_app.py')!r}, default_timeout=300); at.run(); "
            "assert not at.exception, at.exception; print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return {"server_health_s": round(health, 1) if health else None,
            "first_script_run_s": round(float(out.stdout.strip().splitlines()[-1]), 1)}


def _run_stage(name: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "eval.bench", "--stage", name, *args], cwd=REPO, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", choices=("ingest", "query", "scale", "startup"), help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--skip-scale", action="store_true", help="leave out the synthetic-scale stage")
    ap.add_argument("--scale", type=int, action="append", metavar="N",
                    help=f"passages of a synthetic index (repeatable; default {SCALE_TARGET:,})")
    args = ap.parse_args(argv)
    if any(n < 1 for n in args.scale or ()):
        ap.error("--scale takes a positive number of passages")

    from app.settings import quiet_third_parties

    quiet_third_parties()
    if args.stage:  # a child process: print one JSON line
        fn = {"ingest": lambda: stage_ingest(args.home), "query": lambda: stage_query(args.home),
              "scale": lambda: stage_scale(args.source, args.home, (args.scale or [SCALE_TARGET])[0]),
              "startup": lambda: stage_startup(args.home)}
        print(json.dumps(fn[args.stage]()))
        return

    root = Path(tempfile.mkdtemp(prefix="ris3-bench-"))
    home, scaled = root / "home", root / "scaled"
    try:
        print("ingesting the bundled corpus into a fresh index ...", file=sys.stderr, flush=True)
        result = {"date": date.today().isoformat(),
                  "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}}
        result["ingest"] = _run_stage("ingest", "--home", str(home))
        print("timing questions ...", file=sys.stderr, flush=True)
        result["query"] = _run_stage("query", "--home", str(home))
        for n in ([] if args.skip_scale else args.scale or [SCALE_TARGET]):
            print(f"building a {n:,}-passage index and timing questions ...", file=sys.stderr, flush=True)
            key = "query_at_scale" if n == SCALE_TARGET else f"query_at_{n}"
            result[key] = _run_stage("scale", "--source", str(home), "--home", str(scaled / str(n)), "--scale", str(n))
        print("timing app start-up ...", file=sys.stderr, flush=True)
        result["startup"] = _run_stage("startup", "--home", str(home))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out = Path(__file__).parent / "results" / f"bench-{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
