"""Benchmark of region profiles, comparisons, hub search and funding queries on the whole indexed
corpus ($RIS3_HOME; brought up to date with an incremental ingest first). Writes
eval/results/regions-bench-<date>.json.

    .venv/bin/python -m eval.bench_regions

Measured: `ris3 profile` and `ris3 compare` as new processes (imports and model load included);
in-process profile build per region with and without the EDP/digitalisation answers, a
three-region comparison, exports (md, html, docx), hub searches and funding queries.
Measurements, not tests.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from eval.bench_reports import timed

REPO = Path(__file__).resolve().parent.parent
REGIONS = ["South Moravia", "Lubelskie", "Northern Netherlands", "Lithuania"]
QUESTION = "What role do clusters play?"


def _cli_seconds(args: list[str], home: Path) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app.cli", *args], check=True, capture_output=True, cwd=REPO,
                   env={**os.environ, "RIS3_HOME": str(home)})
    return round(time.perf_counter() - t, 2)


def main() -> None:
    from analysis.compare import compare
    from analysis.funding import FundingData
    from analysis.hubs import HubCatalogue
    from analysis.profiles import ProfileBuilder
    from analysis.regions import RegionResolver
    from app.render.profile_formats import profile_bytes
    from app.service import ingest, open_asker
    from app.settings import Settings, quiet_third_parties

    quiet_third_parties()
    settings = Settings.from_env()
    ingest(settings, progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        cli = {
            "profile_no_answers_s": _cli_seconds(["profile", "Lubelskie", "--no-answers", "-o", f"{tmp}/p.md"], settings.home),
            "profile_docx_s": _cli_seconds(["profile", "South Moravia", "-f", "docx", "-o", f"{tmp}/p.docx"], settings.home),
            "compare_three_regions_s": _cli_seconds(["compare", QUESTION, "--regions", "Lubelskie,Northern Netherlands,Lithuania"],
                                                    settings.home),
            "hubs_search_s": _cli_seconds(["hubs", "search", "DIGIMAT"], settings.home),
            "funding_region_s": _cli_seconds(["funding", "Lubelskie"], settings.home),
        }
    asker = open_asker(settings)
    asker.warm_up()
    bare = ProfileBuilder(asker.index, settings.corpus)
    full = ProfileBuilder(asker.index, settings.corpus, asker=asker)
    full.build(REGIONS[0])  # first build loads the tagger and datasets
    profiles = {r: {"no_answers_ms": timed(lambda r=r: bare.build(r))[0], "with_answers_ms": timed(lambda r=r: full.build(r))[0]}
                for r in REGIONS}
    p = full.build("South Moravia")
    exports = {f: timed(lambda f=f: profile_bytes(p, f))[0] for f in ("md", "html", "docx")}
    compare_ms, _ = timed(lambda: compare(asker, settings.corpus, QUESTION, ["Lubelskie", "Northern Netherlands", "Lithuania"]))
    t = time.perf_counter()
    catalogue = HubCatalogue.from_corpus(settings.corpus)
    catalogue.warm_up()
    catalogue_load_ms = round((time.perf_counter() - t) * 1000, 1)
    hubs = {q: timed(lambda q=q: catalogue.search(q))[0] for q in ("DIGIMAT", "robotics manufacturing", "LINPRA")}
    hubs["country=Lithuania"] = timed(lambda: catalogue.search("", country="Lithuania"))[0]
    t = time.perf_counter()
    funding = FundingData.from_corpus(settings.corpus)
    funding_load_ms = round((time.perf_counter() - t) * 1000, 1)
    resolver = RegionResolver(settings.corpus / "data" / "nuts-regions.json", asker.index.documents())
    funding_ms = timed(lambda: funding.table(funding.rows([p.cci for p in funding.programmes_for(resolver.resolve("Lubelskie"))])))[0]
    result = {
        "date": date.today().isoformat(), "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "corpus": {"documents": len([d for d in asker.index.documents() if d.status == "ingested"]),
                   "passages": asker.index.passage_count()},
        "cli_new_process": cli, "profile_in_process": profiles, "profile_export_ms": exports,
        "compare_three_regions_ms": compare_ms, "hub_catalogue_load_ms": catalogue_load_ms, "hub_search_ms": hubs,
        "funding_load_ms": funding_load_ms, "funding_region_table_ms": funding_ms,
    }
    out = REPO / "eval" / "results" / f"regions-bench-{date.today().isoformat()}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
