"""Distributed ingestion (index/distributed.py) on a real Dask cluster of separate processes on
127.0.0.1: the same passages, metadata and vectors as a local ingest of the same files, models
loaded once per worker, a broken file reported as locally while the rest is ingested."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.service import ingest, open_index
from app.settings import Settings
from index.distributed import ClusterCompute, ClusterOptions, parse_cluster
from index.multilingual import MULTILINGUAL_MODEL
from index.settings import IndexSettings

from .conftest import REPO, make_corpus

# Small real corpus files: a 3-page list of operations and a 2-page guide (corpus/manifest.csv)
FILES = ["operations/mt-op1-erdf-beneficiaries-2016.pdf", "guides/onlines3-edp-focus-groups-roadmap.pdf"]
PAGES = {"mt-op1-erdf-beneficiaries-2016": 3, "onlines3-edp-focus-groups-roadmap": 2}
START_TIMEOUT = 90  # seconds for the scheduler and the worker to come up


def _dask(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "dask"), *args]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` and one ``dask worker`` process (one thread) on 127.0.0.1; both are
    stopped after the module, also when a test or the start-up fails."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HAYSTACK_TELEMETRY_ENABLED": "False",
           "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false"}
    procs: list[subprocess.Popen] = []
    try:
        procs.append(subprocess.Popen(_dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                            "--scheduler-file", str(scheduler_file)),
                                      cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=folder.joinpath("scheduler.log").open("w")))
        deadline = time.time() + START_TIMEOUT
        while not scheduler_file.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert scheduler_file.exists(), f"dask scheduler did not start within {START_TIMEOUT} s"
        address = json.loads(scheduler_file.read_text())["address"]
        procs.append(subprocess.Popen(_dask("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                                            "--host", "127.0.0.1"),
                                      cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=folder.joinpath("worker.log").open("w")))
        from distributed import Client

        with Client(address, timeout=START_TIMEOUT) as client:
            client.wait_for_workers(1, timeout=START_TIMEOUT)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The two files with their manifest rows, and a broken PDF the manifest does not list."""
    root = make_corpus(tmp_path_factory.mktemp("dist") / "corpus", FILES)
    (root / "reports").mkdir(exist_ok=True)
    (root / "reports" / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not a PDF body")
    return root


@pytest.fixture(scope="module")
def both(cluster, corpus, tmp_path_factory):
    """The same corpus ingested locally and through the cluster, into two homes."""
    base = tmp_path_factory.mktemp("homes")
    local = Settings(home=base / "local", corpus=corpus, workers=1)
    remote = Settings(home=base / "cluster", corpus=corpus, workers=1, ingest_cluster=cluster)
    return (local, ingest(local, progress=False)), (remote, ingest(remote, progress=False))


def _outcomes(report) -> set[tuple[str, str, str, str]]:
    return {(o.doc_id, o.file, o.status, o.reason) for o in report.outcomes}


def _chroma_vectors(index, ids: list[str]) -> dict[str, np.ndarray]:
    got = index.chroma_collection().get(ids=ids, include=["embeddings"])
    return {pid: np.asarray(v) for pid, v in zip(got["ids"], got["embeddings"])}


@pytest.mark.slow
def test_cluster_ingest_reports_the_same_outcomes_as_a_local_one(both, corpus):
    (_, local), (_, remote) = both
    assert _outcomes(remote) == _outcomes(local)
    assert "extraction" in local.stages and "extraction" not in remote.stages  # extracted on the worker
    ingested = {o.doc_id for o in remote.outcomes if o.status == "ingested"}
    assert ingested == set(PAGES)
    broken = [o for o in remote.outcomes if o.file == str(corpus / "reports" / "broken.pdf")]
    assert [o.status for o in broken] == ["failed"]
    assert "corrupt or unreadable PDF" in broken[0].reason and "\n" not in broken[0].reason


@pytest.mark.slow
def test_cluster_ingest_stores_the_same_passages_metadata_and_vectors(both):
    (local_settings, _), (remote_settings, _) = both
    local, remote = open_index(local_settings), open_index(remote_settings)
    a, b = local.passages(), remote.passages()
    assert a and set(a) == set(b)
    for pid, p in a.items():
        assert b[pid].content == p.content
        assert b[pid].meta == p.meta
    for doc_id, pages in PAGES.items():
        assert {p.meta["page_start"] for p in a.values() if p.meta["doc_id"] == doc_id} <= set(range(1, pages + 1))
        assert remote.document(doc_id).n_pages == pages
        assert remote.page_texts(doc_id) == local.page_texts(doc_id)
    ids = sorted(a)
    vectors = [_chroma_vectors(i, ids) for i in (local, remote)]
    for pid in ids:
        np.testing.assert_allclose(vectors[1][pid], vectors[0][pid], atol=1e-4)
    sv_a, sv_b = local.sentence_vectors(ids), remote.sentence_vectors(ids)
    assert set(sv_a) == set(sv_b) == set(ids)
    for pid in ids:
        np.testing.assert_allclose(sv_b[pid], sv_a[pid], atol=1e-4)
    ml_a, ml_b = local.multilingual_matrix(MULTILINGUAL_MODEL), remote.multilingual_matrix(MULTILINGUAL_MODEL)
    assert ml_a[0] == ml_b[0] and np.array_equal(ml_a[2], ml_b[2])
    np.testing.assert_allclose(ml_b[1].float().numpy(), ml_a[1].float().numpy(), atol=1e-2)
    assert remote.check()["ok"] and remote.keyword_index.ids and set(remote.keyword_index.ids) == set(ids)


@pytest.mark.slow
def test_cluster_workers_load_the_models_once_for_all_files(both, cluster, corpus):
    (_, _), (remote_settings, _) = both  # the cluster has already ingested the corpus once
    from distributed import Client

    jobs = [(corpus / f, {"doc_id": Path(f).stem}) for f in FILES]
    compute = ClusterCompute(cluster, remote_settings.index, None, progress=False)
    with Client(cluster) as client:  # the ingest registered the models plugin with the scheduler
        assert compute.plugin.name in client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.worker_plugins))
    with compute:
        works = list(compute(jobs))
    assert [w.doc_id for w in works] == [Path(f).stem for f in FILES]
    assert all(not w.failure and w.passages for w in works)
    assert len({w.worker for w in works}) == 1 and {w.model_loads for w in works} == {1}


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line_naming_the_address():
    compute = ClusterCompute("tcp://127.0.0.1:9", IndexSettings(), None, progress=False,
                             options=ClusterOptions(connect_timeout=2))
    with pytest.raises(ConnectionError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9") as exc, compute:
        pass
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("value", ["local:0", "local:x", "127.0.0.1:8786", "http://h:1"])
def test_a_bad_cluster_value_is_refused_naming_it(value):
    with pytest.raises(ValueError, match=value.replace(".", r"\.")):
        parse_cluster(value)


def test_the_cluster_comes_from_the_option_or_the_environment():
    from click.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, ["ingest", "--cluster", "localhost:8786"])
    assert result.exit_code == 2 and "'localhost:8786'" in result.output and "tcp://HOST:PORT" in result.output
    assert Settings.from_env({"RIS3_INGEST_CLUSTER": "tcp://10.0.0.5:8786"}).ingest_cluster == "tcp://10.0.0.5:8786"
    assert Settings.from_env({}).ingest_cluster is None
