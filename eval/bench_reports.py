"""Benchmark of keyword reports and KWIC on the whole indexed corpus ($RIS3_HOME; brought up to
date with an incremental ingest first). Writes eval/results/reports-bench-<date>.json.

    .venv/bin/python -m eval.bench_reports

Measured: the scheduled command (`ris3 report keywords --by region` writing CSV, HTML and XLSX)
as a new process, wall time included imports; in-process report times per grouping, with free
phrases, two groupings, each output format, and KWIC. Measurements, not tests.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Median wall time in ms over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1), result


def main() -> None:
    from analysis.reports import GROUP_FIELDS, keyword_report, kwic, resolve_terms
    from app.render.report_formats import report_bytes
    from app.service import ingest, open_index
    from app.settings import Settings, quiet_third_parties

    quiet_third_parties()
    settings = Settings.from_env()
    ingest(settings, progress=False)
    index = open_index(settings)
    index.passages()  # loading the stored passages is timed separately below
    index.reload()
    load_ms, passages = timed(lambda: (index.reload(), index.passages())[1], repeat=1)

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "app.cli", "report", "keywords", "--by", "region", "-f", "csv", "-f", "html",
                        "-f", "xlsx", "-o", f"{tmp}/keywords-{{date}}.{{ext}}"], check=True, capture_output=True, cwd=REPO,
                       env={**os.environ, "RIS3_HOME": str(settings.home)})
        cli_s = time.perf_counter() - t
        sizes = {p.suffix[1:]: p.stat().st_size for p in Path(tmp).iterdir()}

    by_group = {f: timed(lambda f=f: keyword_report(index, by=[f]))[0] for f in GROUP_FIELDS}
    two_ms, _ = timed(lambda: keyword_report(index, by=["country", "doc_type"]))
    phrases = resolve_terms(["support.living_lab", "test bed", "innovation voucher", "smart specialisation strategy"])
    phrase_ms, _ = timed(lambda: keyword_report(index, phrases, by=["region"]))
    report = keyword_report(index, by=["region"])
    formats = {fmt: timed(lambda fmt=fmt: report_bytes(report, fmt))[0] for fmt in ("csv", "json", "md", "html", "xlsx")}
    kwic_ms, lines = timed(lambda: kwic(index, resolve_terms(["support.cluster"])))
    kwic_phrase_ms, phrase_lines = timed(lambda: kwic(index, resolve_terms(["innovation ecosystem"])))

    result = {
        "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "corpus": {"documents": report.about["documents"], "passages": len(passages), "words": report.about["words"],
                   "mentions_of_support_terms": report.about["mentions"], "snapshot": report.about["snapshot"]},
        "scheduled_cli_report_s": round(cli_s, 2),
        "scheduled_cli_output_bytes": sizes,
        "load_stored_passages_ms": load_ms,
        "report_ms_by_grouping": by_group,
        "report_ms_two_groupings": two_ms,
        "report_ms_with_3_free_phrases": phrase_ms,
        "render_ms_by_format": formats,
        "kwic_concept_ms": kwic_ms, "kwic_concept_lines": len(lines),
        "kwic_phrase_ms": kwic_phrase_ms, "kwic_phrase_lines": len(phrase_lines),
    }
    out = Path(__file__).parent / "results" / f"reports-bench-{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
