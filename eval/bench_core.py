"""Benchmark of the core path: ingest the bundled corpus into a fresh index, then time warm
questions with and without filters. Writes eval/results/core-bench-<date>.json.

    .venv/bin/python -m eval.bench_core [--home DIR] [--keep]

These are measurements, not tests: nothing here passes or fails.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

QUESTIONS = [
    "How does DIGIMAT relate to the South Moravian RIS3?",
    "What are the RIS3CAT priority domains?",
    "What are the smart specialisation areas of the Lubelskie Voivodeship?",
    "Which organisation coordinates the Digital Innovation Hub in Lithuania?",
    "How is an EDP focus group organised?",
    "What is a balanced scorecard used for in RIS3 monitoring?",
    "Which sectors does the South Ostrobothnia strategy prioritise?",
    "What are the priority research domains in Luxembourg?",
    "How were stakeholders involved in the Estonian smart specialisation process?",
    "What did the tourism EDP workshop in Eastern Macedonia and Thrace conclude?",
    "Which ERDF operations in Malta support SMEs?",
    "Welche Projekte wurden in Brandenburg aus dem EFRE gefördert?",
    "What is the intervention logic of a RIS3?",
    "How can open data support smart specialisation monitoring?",
    "What is the role of clusters in the Northern Netherlands RIS3?",
    "Which terms did the S3 Platform search for in Operational Programmes?",
]
FILTERS = [{"region": "Lubelskie"}, {"doc_type": "guide"}, {"country": "NL"}, {"doc_type": "op-operations"}]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, help="index folder to build (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary index")
    args = ap.parse_args()

    from app.service import Asker, Filters, ingest
    from app.settings import Settings, quiet_third_parties

    quiet_third_parties()
    home = args.home or Path(tempfile.mkdtemp(prefix="ris3-bench-"))
    settings = replace(Settings.from_env(), home=home)
    t0 = time.perf_counter()
    report = ingest(settings, progress=False)
    ingest_s = time.perf_counter() - t0
    ingested = [o for o in report.outcomes if o.status == "ingested"]
    pages = sum(o.pages for o in ingested)
    passages = sum(o.passages for o in ingested)
    rss_ingest_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024

    # A new process answering one question: imports, model and index loading included.
    import subprocess
    import sys

    env = {**os.environ, "RIS3_HOME": str(home)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app.cli", "ask", QUESTIONS[0], "--json"], env=env, check=True,
                   capture_output=True, cwd=Path(__file__).resolve().parent.parent)
    cold_s = time.perf_counter() - t0

    asker = Asker(settings)
    asker.warm_up()
    for q in QUESTIONS:  # first pass warms caches
        asker.ask(q)
    plain = []
    for q in QUESTIONS:
        t = time.perf_counter()
        asker.ask(q)
        plain.append((time.perf_counter() - t) * 1000)
    filtered = []
    for i, q in enumerate(QUESTIONS):
        t = time.perf_counter()
        asker.ask(q, Filters(**FILTERS[i % len(FILTERS)]))
        filtered.append((time.perf_counter() - t) * 1000)

    result = {
        "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": settings.index.as_dict(),
        "corpus": {"files_ingested": len(ingested), "pages": pages, "passages": passages,
                   "skipped": report.count("skipped"), "failed": report.count("failed")},
        "ingest": {"seconds": round(ingest_s, 1), "pages_per_s": round(pages / ingest_s, 2),
                   "passages_per_s": round(passages / ingest_s, 2), "peak_rss_mb": round(rss_ingest_mb)},
        "query": {"questions": len(QUESTIONS), "cold_cli_ask_s": round(cold_s, 2),
                  "warm_p50_ms": round(statistics.median(plain), 1), "warm_p95_ms": round(percentile(plain, 95), 1),
                  "filtered_p50_ms": round(statistics.median(filtered), 1),
                  "filtered_p95_ms": round(percentile(filtered, 95), 1)},
    }
    out = Path(__file__).parent / "results" / f"core-bench-{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
    if not args.home and not args.keep:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
