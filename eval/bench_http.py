"""A warm question over HTTP (``ris3 serve`` on 127.0.0.1, one keep-alive client) against the same
question asked of an ``Asker`` in this process, on the gold questions. Writes
eval/results/bench-http-<date>.json. A measurement, not a test: nothing passes or fails here; the
file says whether HTTP p50 <= in-process p50 + 20 ms (issue #20).

    RIS3_HOME=/tmp/ris3v7 .venv/bin/python -m eval.bench_http [--rounds N]

The index in RIS3_HOME is only read: it is copied twice into a temporary folder, one copy for the
server and one for this process, so that each embedded Chroma folder has one process (Chroma is
not process-safe, and opening one inserts a row into its SQLite file; docs/serve.md). The two
sides take turns question by question (the order swapped every other question), so that a change
in the shared machine's load falls on both alike; ``uptime`` is recorded before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
WARM = 10  # questions asked of each side before timing
MARGIN_MS = 20.0  # acceptance: HTTP p50 <= in-process p50 + this


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _figures(ms: list[float]) -> dict:
    from eval.bench import percentile

    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(percentile(ms, 95), 1),
            "mean_ms": round(statistics.fmean(ms), 1)}


def _start_server(home: Path, port: int, log: Path) -> tuple[subprocess.Popen, float]:
    import httpx

    env = {**os.environ, "RIS3_HOME": str(home)}
    env.pop("RIS3_CHROMA_URL", None)
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "ris3"), "serve", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 900
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ris3 serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200:
                return proc, time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("ris3 serve was not ready within 900 s")


def measure(settings, questions: list[str], rounds: int, work: Path) -> dict:
    import httpx

    from app.serve.payloads import answer_payload
    from app.service import add_data_answer, open_asker, open_data_answerer

    folder = settings.home / f"index-{settings.index.fingerprint}"
    for side in ("local", "server"):
        shutil.copytree(folder, work / side / folder.name)
    port = _free_port()
    proc, ready_s = _start_server(work / "server", port, work / "serve.log")
    try:
        asker = open_asker(replace(settings, home=work / "local"))
        asker.warm_up()
        data = open_data_answerer(settings, asker.index)
        data.warm_up()
        from analysis.hubs import HubCatalogue

        catalogue = HubCatalogue.from_corpus(settings.corpus)
        catalogue.warm_up()
        local, local_full, http, server_ask = [], [], [], []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:

            def ask_local(q: str, record: bool) -> None:
                t0 = time.perf_counter()
                answer = asker.ask(q)
                t1 = time.perf_counter()
                add_data_answer(data, answer)  # what the server does besides: data answer, JSON
                json.dumps(answer_payload(answer, catalogue), ensure_ascii=False)
                t2 = time.perf_counter()
                if record:
                    local.append((t1 - t0) * 1000)
                    local_full.append((t2 - t0) * 1000)

            def ask_http(q: str, record: bool) -> None:
                t0 = time.perf_counter()
                r = client.post("/ask", json={"question": q})
                body = r.json()
                t1 = time.perf_counter()
                if r.status_code != 200:
                    raise SystemExit(f"HTTP {r.status_code} for {q!r}: {body}")
                if record:
                    http.append((t1 - t0) * 1000)
                    server_ask.append(body["elapsed_ms"])

            for q in questions[:WARM]:
                ask_local(q, False)
                ask_http(q, False)
            for r in range(rounds):
                for i, q in enumerate(questions):
                    first, second = (ask_local, ask_http) if (i + r) % 2 == 0 else (ask_http, ask_local)
                    first(q, True)
                    second(q, True)
        passages = asker.index.passage_count()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    overhead = [h - s for h, s in zip(http, server_ask)]
    return {"passages": passages, "server_ready_s": round(ready_s, 1),
            "in_process": {**_figures(local), "note": "Asker.ask alone"},
            "in_process_with_payload": {**_figures(local_full),
                                        "note": "Asker.ask + data answer + the answer's JSON (the server's work)"},
            "http": {**_figures(http), "note": "POST /ask, keep-alive, response parsed; includes the data answer"},
            "server_ask": {**_figures(server_ask), "note": "the server's own Asker.ask time (elapsed_ms in the JSON)"},
            "http_minus_server_ask": {**_figures(overhead),
                                      "note": "HTTP time minus the server's own Asker.ask time (elapsed_ms)"}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="times each gold question is timed on each side")
    args = parser.parse_args(argv)
    from app.settings import Settings, quiet_third_parties
    from eval.bench import _questions

    quiet_third_parties()
    settings = Settings.from_env()
    folder = settings.home / f"index-{settings.index.fingerprint}"
    if not (folder / "state.sqlite").exists():
        raise SystemExit(f"no index at {folder}: set RIS3_HOME to a built index (e.g. /tmp/ris3v7)")
    questions = _questions()
    load_before, uptime_before = os.getloadavg(), _uptime()
    work = Path(tempfile.mkdtemp(prefix="ris3-bench-http-"))
    try:
        figures = measure(settings, questions, args.rounds, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    met = figures["http"]["p50_ms"] <= figures["in_process"]["p50_ms"] + MARGIN_MS
    result = {
        "date": date.today().isoformat(), "index": str(folder), "questions": len(questions), "rounds": args.rounds,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "uptime_before": uptime_before, "uptime_after": _uptime(),
                    "load_1min_before": round(load_before[0], 2), "load_1min_after": round(os.getloadavg()[0], 2),
                    "note": "2 cores shared by several people; the load average is everyone's"},
        **figures,
        "acceptance": {"rule": f"http p50 <= in-process p50 + {MARGIN_MS:.0f} ms", "met": met,
                       "http_p50_minus_in_process_p50_ms":
                           round(figures["http"]["p50_ms"] - figures["in_process"]["p50_ms"], 1)},
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench-http-{result['date']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
