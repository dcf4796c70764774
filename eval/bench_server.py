"""Server mode against embedded Chroma, side by side: ingest a few real documents and time warm
questions with the vectors on disk (embedded) and in a `chroma run` server on 127.0.0.1.
Writes eval/results/server-bench-<date>.json. Measurements, not tests.

    .venv/bin/python -m eval.bench_server
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUBSET_FILTERS = [{"doc_type": "report"}, {"region": "Lubelskie"}, {"tag": "support.cluster"}, {"country": "MT"}]
FILES = ["reports/jrc-dih-in-smart-specialisation-2018.txt", "strategies/pl-lubelskie-ris-2030.pdf",
         "reports/el-emth-edp-tourism-focus-group-summary.pdf", "operations/mt-op1-erdf-beneficiaries-2016.pdf"]


def _run(settings) -> dict:
    from app.service import ingest
    from eval.bench import _latencies, _questions

    report = ingest(settings, progress=False)
    return {"ingest_s": round(report.seconds, 1), "write_s": round(report.stages.get("writing", 0.0), 2),
            **_latencies(settings, _questions(), SUBSET_FILTERS)}


def main() -> None:
    from dataclasses import replace

    from app.settings import Settings, quiet_third_parties

    quiet_third_parties()
    root = Path(tempfile.mkdtemp(prefix="ris3-server-bench-"))
    from ingest.manifest import copy_subset

    corpus = copy_subset(REPO / "corpus", root / "corpus", FILES)
    base = replace(Settings.from_env(), corpus=corpus)
    result = {"date": date.today().isoformat(), "files": FILES}
    result["embedded"] = _run(replace(base, home=root / "embedded"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen([chroma, "run", "--path", str(root / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        result["server"] = _run(replace(base, home=root / "server-home", chroma_url=f"http://127.0.0.1:{port}"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
    out = Path(__file__).parent / "results" / f"server-bench-{result['date']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
