"""Memory of extracting a long PDF: the 263-page Brandenburg list of operations, and the same
pages three times over (789 pages, made with pypdf), each extracted in a new process with two
workers. Peak RSS should not grow with the page count (pages are read in ranges by workers and
only text is kept). Writes eval/results/large-pdf-bench-<date>.json. Measurements, not tests.

    .venv/bin/python -m eval.bench_large_pdf
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "corpus" / "operations" / "de-brandenburg-efre-verzeichnis-2014.pdf"


def _extract(path: str) -> None:
    from ingest.converter import CorpusConverter

    t = time.perf_counter()
    out = CorpusConverter(workers=2, progress_bar=False).run(sources=[Path(path)], meta=[{"doc_id": "x"}])
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"pages": len(out["documents"]), "seconds": round(time.perf_counter() - t, 1),
                      "peak_rss_mb": round(rss / 1024, 1), "failures": out["failures"]}))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--extract":
        _extract(sys.argv[2])
        return
    from pypdf import PdfReader, PdfWriter

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "brandenburg-x3.pdf"
        writer = PdfWriter()
        for _ in range(3):
            writer.append(PdfReader(SOURCE))
        writer.write(big)
        result = {"date": date.today().isoformat()}
        for name, path in (("263_pages", SOURCE), ("789_pages", big)):
            out = subprocess.run([sys.executable, "-m", "eval.bench_large_pdf", "--extract", str(path)], cwd=REPO,
                                 capture_output=True, text=True, check=True)
            result[name] = json.loads(out.stdout.strip().splitlines()[-1])
    path = Path(__file__).parent / "results" / f"large-pdf-bench-{result['date']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
