"""Server mode: vectors in a real Chroma server (`chroma run` on 127.0.0.1, started and stopped
by the test), the keyword index and the ingestion record in RIS3_HOME as usual."""
import shutil

import pytest

from app.service import ingest, open_asker, open_index
from app.settings import Settings

from .conftest import make_corpus
from .servers import chroma_run

pytestmark = pytest.mark.slow


@pytest.fixture
def chroma_server(tmp_path_factory):
    """A fresh server per test: one server holds one index per settings fingerprint."""
    data = tmp_path_factory.mktemp("chroma-server")
    with chroma_run(data) as url:
        yield url, data


def test_documents_ingested_through_a_chroma_server_are_answered_with_citations(chroma_server, tmp_path):
    url, data = chroma_server
    corpus = make_corpus(tmp_path / "corpus", ["reports/jrc-dih-in-smart-specialisation-2018.txt",
                                               "operations/mt-op1-erdf-beneficiaries-2016.pdf"])
    settings = Settings(home=tmp_path / "home", corpus=corpus, chroma_url=url, workers=1)
    report = ingest(settings, progress=False)
    assert report.count("ingested") == 2
    index = open_index(settings)
    assert not (index.folder / "chroma").exists()  # vectors are on the server, not in RIS3_HOME
    assert any(data.iterdir())
    assert index.check()["ok"] and index.check()["chroma"] == index.passage_count()
    asker = open_asker(settings)
    answer = asker.ask("How does DIGIMAT relate to the South Moravian RIS3?")
    assert answer.answered and answer.citations
    assert answer.citations[0].doc_id == "jrc-dih-in-smart-specialisation-2018"


def test_a_second_machine_sharing_the_server_and_the_home_folder_sees_the_same_index(chroma_server, tmp_path):
    url, _ = chroma_server
    corpus = make_corpus(tmp_path / "corpus", ["operations/mt-op1-erdf-beneficiaries-2016.pdf"])
    first = Settings(home=tmp_path / "shared-home", corpus=corpus, chroma_url=url, workers=1)
    ingest(first, progress=False)
    copy = tmp_path / "other-machine-home"
    shutil.copytree(first.home, copy)  # what a shared (network) folder gives the other machine
    other = open_index(Settings(home=copy, chroma_url=url))
    assert other.check()["ok"] and other.passage_count() == open_index(first).passage_count()
