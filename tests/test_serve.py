"""``ris3 serve``: the real server (a ``ris3 serve`` process on a free port of 127.0.0.1) over the
session's index, called over real HTTP; ``ris3 ask --server``; two servers reading one index.

The server under test reads a copy of the session's home folder (one process per embedded Chroma
folder: Chroma is not process-safe, and this test process opens the session's index itself). The
two-reader test shares one home folder between two servers, with the vectors in a ``chroma run``
server, as docs/serve.md says to."""
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from app.cli import cli

from .servers import chroma_run, free_port

BIN = Path(sys.executable).parent
DIGIMAT_Q = "How does DIGIMAT relate to the South Moravian RIS3?"
JRC = "jrc-dih-in-smart-specialisation-2018"
ENDPOINTS = {"/health", "/ask", "/ask/text", "/passages", "/documents", "/documents/{doc_id}", "/reports/keywords",
             "/kwic", "/regions/{region}/profile", "/hubs", "/hubs/{hub_id}", "/funding"}
LOAD_QUESTIONS = ["What role do clusters play?", DIGIMAT_Q, "What are living labs?", "Which beneficiaries received ERDF support?",
                  "How is the entrepreneurial discovery process organised?", "What are the smart specialisation areas of Lubelskie?",
                  "Which stakeholders take part in the strategy?", "What is the role of universities?",
                  "How is the strategy monitored?", "What does the tourism focus group propose?"]


class Served:
    """A ``ris3 serve`` subprocess and its URL; its output goes to ``log``."""

    def __init__(self, home: Path, corpus: Path, log: Path, chroma_url: str | None = None):
        port = free_port()
        env = {**os.environ, "RIS3_HOME": str(home), "RIS3_CORPUS": str(corpus)}
        env.pop("RIS3_CHROMA_URL", None)
        if chroma_url:
            env["RIS3_CHROMA_URL"] = chroma_url
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            self.proc = subprocess.Popen([str(BIN / "ris3"), "serve", "--port", str(port)], env=env, stdout=out,
                                         stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 900) -> dict:
        """Poll /health until 200 (a 503 meanwhile must be a JSON error); the health JSON."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"ris3 serve exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                r = httpx.get(f"{self.url}/health", timeout=10)
            except httpx.TransportError:
                time.sleep(0.3)
                continue
            if r.status_code == 200:
                return r.json()
            assert r.status_code == 503 and list(r.json()) == ["error"]
            time.sleep(0.5)
        pytest.fail(f"ris3 serve was not ready within {timeout:.0f} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def served(built_index, tmp_path_factory):
    settings, _ = built_index
    root = tmp_path_factory.mktemp("serve")
    shutil.copytree(settings.home, root / "home")
    server = Served(root / "home", settings.corpus, root / "serve.log")
    try:
        server.health = server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chroma_copy(built_index, tmp_path_factory):
    """A ``chroma run`` server over a copy of the session index's vectors; its URL."""
    settings, _ = built_index
    data = tmp_path_factory.mktemp("chroma-copy") / "chroma"
    shutil.copytree(settings.home / f"index-{settings.index.fingerprint}" / "chroma", data)
    with chroma_run(data) as url:
        yield url


def _ask(url: str, **body) -> httpx.Response:
    return httpx.post(f"{url}/ask", json=body, timeout=300)


def _timeless(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "elapsed_ms"}


def _snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _local_ris3(settings, *args: str) -> str:
    """What the real ``ris3`` command prints, run now in a new process on the session's index (a new
    process: it runs the code on disk, as the server started for this module does)."""
    env = {**os.environ, "RIS3_HOME": str(settings.home), "RIS3_CORPUS": str(settings.corpus)}
    env.pop("RIS3_CHROMA_URL", None)
    done = subprocess.run([str(BIN / "ris3"), *args], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _json_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["error"] and body["error"] and "Traceback" not in r.text
    return body["error"]


# -- ask -------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_health_says_ready_with_the_index_it_serves(served, built_index):
    settings, report = built_index
    assert served.health["status"] == "ready" and served.health["chroma"] == "embedded"
    assert served.health["index"] == f"index-{settings.index.fingerprint}"
    assert served.health["documents"] == report.count("ingested")


@pytest.mark.slow
def test_ask_returns_the_json_ris3_ask_json_prints(served, env):
    r = _ask(served.url, question=DIGIMAT_Q, region="South Moravia")
    assert r.status_code == 200
    remote = r.json()
    local = _local_ris3(env, "ask", DIGIMAT_Q, "--region", "South Moravia", "--json")
    assert _timeless(remote) == _timeless(json.loads(local))
    assert remote["answered"] and remote["citations"][0]["doc_id"] == JRC  # the report's DIGIMAT passages
    assert "DIGIMAT" in remote["answer"]


@pytest.mark.slow
def test_ask_a_funding_question_carries_the_data_answer_summed_from_the_csv(served, built_index):
    settings, _ = built_index
    with (settings.corpus / "data" / "esif-2014-2020-finances-planned-details.csv").open(encoding="utf-8") as fh:
        erdf = sum(int(row["EU Amount"]) for row in csv.DictReader(fh)
                   if row["CCI"] == "2014PL16M2OP003" and row["Fund"] == "ERDF")
    data = _ask(served.url, question="How much ERDF funding does Lubelskie get?").json()["data_answer"]
    assert data["intent"] == "funding"
    assert f"EUR {erdf:,}" in data["text"] and "2014PL16M2OP003" in data["text"]
    assert data["citations"][0]["file"] == "data/esif-2014-2020-finances-planned-details.csv"


@pytest.mark.slow
def test_ask_server_prints_what_a_local_ask_prints(served, env):
    args = ["ask", DIGIMAT_Q, "--region", "South Moravia"]
    remote = CliRunner().invoke(cli, [*args, "--server", served.url])
    assert remote.exit_code == 0, remote.output
    remote_lines, local_lines = remote.stdout.splitlines(), _local_ris3(env, *args).splitlines()
    assert remote_lines[:-1] == local_lines[:-1]  # all but the elapsed time
    assert re.fullmatch(r"\(\d+ ms\)", remote_lines[-1]) and "Citations:" in remote_lines


def test_ask_server_unreachable_is_a_one_line_error():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = CliRunner().invoke(cli, ["ask", "What role do clusters play?", "--server", url])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cannot reach the ris3 server at {url} ([Errno 111] Connection refused); start it with "
        "'ris3 serve' or leave out --server to answer locally"]


@pytest.mark.slow
def test_ask_bad_filters_and_values_are_400_json_errors(served):
    assert "region='Atlantis'" in _json_error(_ask(served.url, question="What role do clusters play?",
                                                   region="Atlantis"), 400)
    assert _json_error(_ask(served.url, question="  "), 400) == "the question is empty"
    message = _json_error(_ask(served.url, question="x", top_k=0, regoin="Lubelskie"), 400)
    assert "'top_k'" in message and "'regoin'" in message
    bad_json = httpx.post(f"{served.url}/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert _json_error(bad_json, 400).startswith("the request body is not JSON")
    assert "/nowhere" in _json_error(httpx.get(f"{served.url}/nowhere"), 404)
    _json_error(httpx.delete(f"{served.url}/ask"), 405)


# -- the other endpoints ---------------------------------------------------------------------------
@pytest.mark.slow
def test_passages_list_pages_through_the_filtered_passages(served, built_index):
    from app.service import open_index

    ris3 = sorted(p.id for p in open_index(built_index[0]).passages().values() if p.meta.get("doc_type") == "ris3")
    first = httpx.get(f"{served.url}/passages", params={"doc_type": "ris3", "page_size": 5}).json()
    second = httpx.get(f"{served.url}/passages", params={"doc_type": "ris3", "page_size": 5, "page": 2}).json()
    assert first["mode"] == "list" and first["total"] == len(ris3) > 10
    assert [p["rank"] for p in first["passages"] + second["passages"]] == list(range(1, 11))
    ids = [p["id"] for p in first["passages"] + second["passages"]]
    assert len(set(ids)) == 10 and set(ids) <= set(ris3)
    assert "'page'" in _json_error(httpx.get(f"{served.url}/passages", params={"page": 0}), 400)


@pytest.mark.slow
def test_passages_search_ranks_the_passages_naming_the_query(served):
    r = httpx.get(f"{served.url}/passages", params={"q": "DIGIMAT", "doc_id": JRC, "page_size": 3}, timeout=120).json()
    assert r["mode"] == "search" and r["total"] is None and len(r["passages"]) == 3
    assert "DIGIMAT" in r["passages"][0]["text"] and {p["doc_id"] for p in r["passages"]} == {JRC}
    past = httpx.get(f"{served.url}/passages", params={"q": "DIGIMAT", "page": 6, "page_size": 20})
    assert "at most 100" in _json_error(past, 400)


@pytest.mark.slow
def test_documents_list_the_library_and_an_unknown_document_is_404(served, built_index):
    with (built_index[0].corpus / "manifest.csv").open(encoding="utf-8") as fh:
        title = next(r["title"] for r in csv.DictReader(fh) if r["doc_id"] == "pl-lubelskie-ris-2030")
    docs = httpx.get(f"{served.url}/documents").json()
    assert docs["count"] == len(docs["documents"])
    row = httpx.get(f"{served.url}/documents/pl-lubelskie-ris-2030").json()
    assert row in docs["documents"] and row["title"] == title and row["status"] == "ingested" and row["pages"] > 0
    assert "'nope'" in _json_error(httpx.get(f"{served.url}/documents/nope"), 404)


@pytest.mark.slow
def test_keyword_report_is_the_report_the_cli_writes(served, env):
    params = {"terms": "support.living_lab,test bed", "by": ["doc", "doc_type"], "examples": 1}
    remote = httpx.get(f"{served.url}/reports/keywords", params=params).json()
    local = CliRunner().invoke(cli, ["report", "keywords", "--terms", params["terms"], "--by", "doc", "--by", "doc_type",
                                     "--examples", "1", "-f", "json"])
    assert local.exit_code == 0, local.output
    expected = json.loads(local.stdout)
    remote["about"].pop("generated"), expected["about"].pop("generated")
    assert remote == expected and remote["by"] == ["doc", "doc_type"]
    assert "'by'" in _json_error(httpx.get(f"{served.url}/reports/keywords", params={"by": "planet"}), 400)


@pytest.mark.slow
def test_kwic_gives_every_mention_in_the_source_text(served, built_index):
    text = (built_index[0].corpus / "reports" / f"{JRC}.txt").read_text(encoding="utf-8")
    mentions = len(re.findall(r"digimat", text, flags=re.IGNORECASE))  # 7: DIGIMAT x6, Digimat x1
    r = httpx.get(f"{served.url}/kwic", params={"query": "DIGIMAT", "doc_id": JRC, "window": 3}).json()
    assert r["count"] == len(r["lines"]) == mentions
    assert {line["match"].casefold() for line in r["lines"]} == {"digimat"}
    assert all(len(line["left"].split()) <= 3 for line in r["lines"])


@pytest.mark.slow
def test_region_profile_of_lubelskie_and_an_unknown_region_is_404(served):
    p = httpx.get(f"{served.url}/regions/Lubelskie/profile", params={"answers": "false"}, timeout=120).json()
    assert p["region"]["nuts"] == "PL31" and "pl-lubelskie-ris-2030" in p["region"]["documents"]
    assert not {"edp", "digital"} & {s["id"] for s in p["sections"]}
    full = httpx.get(f"{served.url}/regions/Lubelskie/profile", timeout=300).json()
    assert {"edp", "digital"} <= {s["id"] for s in full["sections"]}
    assert "'Atlantis'" in _json_error(httpx.get(f"{served.url}/regions/Atlantis/profile"), 404)


@pytest.mark.slow
def test_hubs_search_and_show_digimat(served):
    found = httpx.get(f"{served.url}/hubs", params={"q": "DIGIMAT"}).json()
    assert found["found_by_name"] and found["named"][0]["id"] == "dih:12995"  # s3jrc:12995 in the catalogue
    assert found["named"][0]["name"] == "DIGIMAT: South Moravian Digital Manufacturing Hub"
    shown = httpx.get(f"{served.url}/hubs/dih:12995").json()
    assert shown["hub"]["id"] == "dih:12995" and JRC in {m["doc_id"] for m in shown["mentions"]}
    _json_error(httpx.get(f"{served.url}/hubs/dih:0"), 404)


@pytest.mark.slow
def test_funding_of_lubelskie_sums_the_csv_lines(served, built_index):
    with (built_index[0].corpus / "data" / "esif-2014-2020-finances-planned-details.csv").open(encoding="utf-8") as fh:
        eu = sum(int(row["EU Amount"]) for row in csv.DictReader(fh) if row["CCI"] == "2014PL16M2OP003")
    r = httpx.get(f"{served.url}/funding", params={"region": "Lubelskie"}).json()
    rop = next(p for p in r["programmes"] if p["cci"] == "2014PL16M2OP003")
    assert rop["scope"] == "regional" and round(rop["eu_amount"]) == eu
    assert "region, country or cci" in _json_error(httpx.get(f"{served.url}/funding"), 400)
    assert "'Atlantis'" in _json_error(httpx.get(f"{served.url}/funding", params={"region": "Atlantis"}), 404)


@pytest.mark.slow
def test_openapi_lists_every_endpoint_with_typed_models(served):
    spec = httpx.get(f"{served.url}/openapi.json").json()
    assert set(spec["paths"]) == ENDPOINTS
    for path, operations in spec["paths"].items():
        for op in operations.values():
            ok = op["responses"]["200"]["content"]["application/json"]["schema"]
            assert ok.get("$ref", "").startswith("#/components/schemas/"), path
            for status in ("400", "404", "503", "500"):
                assert op["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert {"question", "region", "tag", "top_k"} <= set(spec["components"]["schemas"]["AskRequest"]["properties"])
    docs = httpx.get(f"{served.url}/docs")
    assert docs.status_code == 200 and "cdn." not in docs.text  # offline: the page's scripts are served here
    script = re.search(r'src="(/[^"]+swagger-ui-bundle\.js)"', docs.text).group(1)
    assert httpx.get(f"{served.url}{script}").status_code == 200


# -- load and two readers --------------------------------------------------------------------------
@pytest.mark.slow
def test_four_clients_asking_ten_questions_each_all_get_their_answers(served):
    def client(_: int) -> list[httpx.Response]:
        with httpx.Client(base_url=served.url, timeout=300) as c:
            return [c.post("/ask", json={"question": q}) for q in LOAD_QUESTIONS]

    with ThreadPoolExecutor(4) as pool:
        responses = [r for rs in pool.map(client, range(4)) for r in rs]
    assert len(responses) == 40 and {r.status_code for r in responses} == {200}
    bodies = [r.json() for r in responses]
    assert [b["question"] for b in bodies] == LOAD_QUESTIONS * 4
    answers: dict[str, set[str]] = {}
    for b in bodies:
        answers.setdefault(b["question"], set()).add(b["answer"])
    assert all(len(v) == 1 for v in answers.values())  # the same answer whichever client asked, at once
    assert httpx.get(f"{served.url}/health").status_code == 200


@pytest.mark.slow
def test_two_servers_on_one_index_answer_alike_and_write_nothing_to_it(built_index, chroma_copy, tmp_path):
    settings, _ = built_index
    before = _snapshot(settings.home)
    readers = [Served(settings.home, settings.corpus, tmp_path / f"reader-{k}.log", chroma_url=chroma_copy) for k in "ab"]
    questions = [(DIGIMAT_Q, {}), ("What role do clusters play?", {"region": "Lubelskie"}),
                 ("Which beneficiaries received ERDF support?", {"doc_type": "op-operations"}),
                 ("What do living labs do?", {"tag": "support.living_lab"})]
    try:
        assert all(r.wait_ready()["chroma"] == chroma_copy for r in readers)
        with ThreadPoolExecutor(4) as pool:  # both servers asked at the same time
            futures = [[pool.submit(_ask, r.url, question=q, **f) for q, f in questions] for r in readers]
            got = [[f.result() for f in row] for row in futures]
        assert all(r.proc.poll() is None for r in readers)  # both still serving
    finally:
        for r in readers:
            r.stop()
    assert {resp.status_code for row in got for resp in row} == {200}
    a, b = ([_timeless(resp.json()) for resp in row] for row in got)
    assert a == b
    assert a[0]["citations"][0]["doc_id"] == JRC
    assert {p["doc_type"] for p in a[2]["passages"]} == {"op-operations"}
    assert _snapshot(settings.home) == before  # no file of the index written, touched or added


# -- before the models are loaded (no index needed) ------------------------------------------------
def test_every_endpoint_answers_503_json_until_the_models_are_loaded(tmp_path):
    from starlette.testclient import TestClient

    from app.serve.api import create_app
    from app.settings import Settings

    client = TestClient(create_app(Settings(home=tmp_path / "home"), warm_up=False))
    for path in ("/health", "/documents", "/passages", "/kwic?query=x", "/hubs", "/funding?region=x",
                 "/regions/Lubelskie/profile", "/documents/x", "/hubs/x", "/reports/keywords"):
        assert "warming up" in _json_error(client.get(path), 503), path
    for path in ("/ask", "/ask/text"):
        assert "warming up" in _json_error(client.post(path, json={"question": "What role do clusters play?"}), 503)
    assert set(client.get("/openapi.json").json()["paths"]) == ENDPOINTS
