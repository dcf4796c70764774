import os
from pathlib import Path

import pytest

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SEED = "reports/jrc-dih-in-smart-specialisation-2018.txt"
SUBSET = [
    SEED,
    "strategies/pl-lubelskie-ris-2030.pdf",
    "reports/el-emth-edp-tourism-focus-group-summary.pdf",
    "operations/mt-op1-erdf-beneficiaries-2016.pdf",
    "guides/onlines3-stakeholder-engagement-guideline.docx",
    "strategies/nl-northern-netherlands-ris3.pdf",
    "strategies/lt-ris3-implementation-programme.pdf",
]
# Structured data used by region profiles, hubs and funding (skipped by ingestion, read directly)
DATA_FILES = [
    "data/nuts-regions.json", "data/jrc-dih-catalogue.json", "data/esif-2014-2020-finances-planned-details.csv",
    "data/erdf-2014-2020-programme-regions.csv", "data/cz-ris3-regional-domains.json", "data/cz-regions.json",
]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test touches the user's index: RIS3_HOME points into the test's tmp folder."""
    monkeypatch.setenv("RIS3_HOME", str(tmp_path / "ris3-home"))


def make_corpus(dest: Path, files: list[str]) -> Path:
    """A corpus folder with real corpus files and their manifest rows."""
    from ingest.manifest import copy_subset

    return copy_subset(CORPUS, dest, files)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory):
    """The subset of the real corpus ingested once for the session: (settings, report)."""
    from app.service import ingest
    from app.settings import Settings

    root = tmp_path_factory.mktemp("built")
    corpus = make_corpus(root / "corpus", SUBSET + DATA_FILES)
    settings = Settings(home=root / "home", corpus=corpus, workers=2)
    report = ingest(settings, progress=False)
    return settings, report


@pytest.fixture(scope="session")
def asker(built_index):
    from app.service import open_asker

    a = open_asker(built_index[0])
    a.warm_up()
    return a


@pytest.fixture
def env(built_index, monkeypatch):
    """The CLI pointed at the session's index (settings come from the environment there)."""
    settings, _ = built_index
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    monkeypatch.setenv("RIS3_CORPUS", str(settings.corpus))
    return settings
