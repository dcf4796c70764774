"""The structured datasets of the corpus (``corpus/data/``) as the app uses them, each with the
source and date its manifest row gives, and the citation a statement built on them carries."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from ingest.manifest import load_manifest

DATASETS = {
    "hubs": "jrc-dih-catalogue.json",
    "finances": "esif-2014-2020-finances-planned-details.csv",
    "programme_regions": "erdf-2014-2020-programme-regions.csv",
    "nuts": "nuts-regions.json",
    "cz_domains": "cz-ris3-regional-domains.json",
    "cz_regions": "cz-regions.json",
}


@dataclass(frozen=True)
class Dataset:
    key: str
    path: Path
    title: str  # from the manifest: names the source and, where known, its date
    source: str  # repository/publisher and path it was taken from

    @property
    def file(self) -> str:
        return f"data/{self.path.name}"


@dataclass(frozen=True)
class DataCitation:
    """A statement's source in a dataset: which file, which record(s), which CSV lines."""
    n: str  # "D1", "D2" ... in a document's reference list
    dataset: str  # dataset title (source and date)
    file: str  # path relative to the corpus folder
    record: str  # what was read: "CCI 2014PL16M2OP003", "hub dih:4423"
    lines: tuple[int, ...] = field(default_factory=tuple)  # CSV line numbers (header = 1)
    key: str = ""  # the record's id for links: a hub id ("dih:12995"), a CCI, a region

    def to_json(self) -> dict:
        return {**asdict(self), "lines": list(self.lines), "kind": "data"}

    @property
    def lines_label(self) -> str:
        if not self.lines:
            return ""
        ls = sorted(self.lines)
        if ls == list(range(ls[0], ls[-1] + 1)):
            return f"line {ls[0]}" if len(ls) == 1 else f"lines {ls[0]}-{ls[-1]}"
        return "lines " + ", ".join(str(x) for x in ls[:12]) + (" ..." if len(ls) > 12 else "")


@lru_cache(maxsize=4)
def datasets(corpus: Path) -> dict[str, Dataset]:
    """The datasets present in ``corpus/data`` (a missing file is simply absent)."""
    manifest = {Path(k).name: v for k, v in load_manifest(corpus).items()}
    out = {}
    for key, name in DATASETS.items():
        path = corpus / "data" / name
        if path.exists():
            m = manifest.get(name)
            out[key] = Dataset(key, path, m.title if m else name, (m.source or m.publisher) if m else "")
    return out


def dataset(corpus: Path, key: str) -> Dataset:
    found = datasets(corpus)
    if key not in found:
        raise FileNotFoundError(f"the corpus has no {DATASETS[key]} (expected in {corpus / 'data'})")
    return found[key]
