"""Evaluate the tagger against the hand-labelled gold set (``eval/gold/tags.jsonl``, labelled
by reading the passages; see ``eval/gold/LABELS.md``).

Concepts are scored on mention counts per passage (a passage with 3 gold mentions and 2 tagged
has 2 true positives and 1 false negative); domains on the set of domains per passage.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from haystack import Document

from nlp.lexicon import load_lexicon, load_taxonomy
from nlp.tagging import assign_domains, dominant_domains, tag_text, tagging_version

GOLD = Path(__file__).parent / "gold" / "tags.jsonl"
RESULTS = Path(__file__).parent / "results"


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "tp": tp, "fp": fp, "fn": fn}


def document_hits(passages: list[Document]) -> dict[str, Counter]:
    """Domain keyword hits per document, re-counted on the stored passage texts with the current
    taxonomy: the document context that passage domains are assigned in."""
    hits: dict[str, Counter] = defaultdict(Counter)
    for p in passages:
        hits[p.meta.get("doc_id", "")].update(tag_text(p.content or "").domain_hits)
    return dict(hits)


def evaluate(gold_path: Path = GOLD, context: dict[str, Counter] | None = None) -> dict:
    """Score the tagger on the gold set. ``context``: domain hits per document of the indexed
    corpus (``document_hits``); gold passages of documents not in it are scored without it."""
    context = context or {}
    rows = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    concept_ids = [c.id for c in load_lexicon()[1]]
    domain_ids = [d.id for d in load_taxonomy()[1]]
    c_counts: dict[str, Counter] = defaultdict(Counter)
    d_counts: dict[str, Counter] = defaultdict(Counter)
    errors = []
    for row in rows:
        result = tag_text(row["text"])
        pred, gold = result.counts, Counter(row.get("concepts", {}))
        for c in concept_ids:
            tp = min(pred[c], gold[c])
            c_counts[c].update(tp=tp, fp=pred[c] - tp, fn=gold[c] - tp)
            if pred[c] != gold[c]:
                errors.append({"passage_id": row["passage_id"], "concept": c, "gold": gold[c], "tagged": pred[c]})
        dominant = dominant_domains(context.get(row["doc_id"], Counter()))
        pd, gd = set(assign_domains(result.domain_hits, dominant)), set(row.get("domains", []))
        for d in domain_ids:
            d_counts[d].update(tp=int(d in pd and d in gd), fp=int(d in pd and d not in gd), fn=int(d in gd and d not in pd))

    def block(ids, counts, prefix):
        per = {i: _prf(counts[i]["tp"], counts[i]["fp"], counts[i]["fn"]) for i in ids}
        chosen = [i for i in ids if i.startswith(prefix)]
        tot = Counter()
        for i in chosen:
            tot.update(counts[i])
        return per, _prf(tot["tp"], tot["fp"], tot["fn"])

    concepts, _ = block(concept_ids, c_counts, "")
    _, support_micro = block(concept_ids, c_counts, "support.")
    domains, domain_micro = block(domain_ids, d_counts, "domain.")
    return {
        "date": date.today().isoformat(), "tagging_version": tagging_version(), "gold": str(gold_path.name),
        "passages": len(rows), "documents": len({r["doc_id"] for r in rows}),
        "documents_without_context": sorted({r["doc_id"] for r in rows} - set(context)),
        "support_structures_micro": support_micro, "domains_micro": domain_micro,
        "concepts": concepts, "domains": domains, "disagreements": errors,
    }


def write(result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"tags-{result['date']}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return out
