"""Derive nlp/lexicon/places.json (the place names that tell a passage is about elsewhere, nlp/regions.py)
from corpus/data/nuts-regions.json. Run once when the NUTS file changes (python -m eval.make_places); the
output is committed."""
import gzip
import json
import re
from pathlib import Path

import spacy_lookups_data

from ingest.datasets import fold

REPO = Path(__file__).resolve().parent.parent

GENERIC = {"nord", "sud", "est", "ouest", "centro", "centre", "center", "mitte", "norte", "sur", "este", "oeste",
           "vest", "isole", "region", "regiao", "prov", "province", "provincia", "arrondissement", "kreisfreie",
           "stadt", "landkreis", "kraj", "county", "city", "of", "and", "the", "de", "del", "la", "le", "du", "di",
           "do", "da", "des", "y", "e", "et", "und", "en", "outer", "inner", "greater", "rest", "other", "extra",
           "regio", "nuts", "zone", "island", "islands", "coast", "central", "eastern", "western", "northern",
           "southern", "north", "south", "east", "west", "upper", "lower", "middle", "high", "low", "new", "old"}
probs = json.load(gzip.open(Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz", "rt"))
def generic(word):
    """An ordinary English word (more frequent in lower case than capitalised), or a generic place word."""
    low = probs.get(word.lower(), -99.0)
    return fold(word) in GENERIC or (low > -14.0 and low >= probs.get(word[:1].upper() + word[1:].lower(), -99.0))
raw = json.load(open(REPO / "corpus" / "data" / "nuts-regions.json", encoding="utf-8"))
places = {}
for level in raw["levels"]:
    for r in level:
        names = set()
        for n in {r.get("name", ""), r.get("en", "")}:
            for part in n.split("/"):
                part = re.sub(r"\s*\(.*?\)", "", part).strip(" ,.")
                part = re.sub(r"^(Prov\.|Arr\.|Kreisfreie Stadt|Landkreis|Região|Regierungsbezirk)\s+", "", part)
                words = re.findall(r"\w+", part)
                if len(fold(part)) < 4 or not words:
                    continue
                if all(generic(w) for w in words):
                    continue
                names.add(part)
        if names:
            places[r["id"]] = sorted(names)
out = {"places_version": "nuts2013.1",
       "description": ("Place names of the NUTS 2013 regions (levels 0-3, national and English names, parentheses "
                       "dropped), derived from corpus/data/nuts-regions.json; names made only of ordinary English "
                       "words (more frequent in lower case) or generic words (North, Centre, Sud, Region ...) are left out. nlp/regions.py counts "
                       "them as mentions of places other than a document's own regions."),
       "places": places}
json.dump(out, open(REPO / "nlp" / "lexicon" / "places.json", "w", encoding="utf-8"), ensure_ascii=False, indent=0)
print(len(places), sum(len(v) for v in places.values()))
