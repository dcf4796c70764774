"""Retrieval and answer quality against the gold questions (``eval/gold/qa.jsonl``, written by
reading the corpus pages; see ``eval/gold/QA.md``).

A retrieved passage is *relevant* to a question when its text holds the answer: one of the
question's gold phrases, or (for gold sets with a ``span``, the gold sentence) any run of
``SPAN_WINDOW`` words of the span, case and whitespace ignored. A gold set without spans may also
count a passage of the gold document whose pages overlap the gold pages, but never for a
document with a single page or no page numbers (the seed report is one "page": any of its
passages would count). Modes, all over the same index:

- ``bm25``: ris3-miner's keyword retriever alone;  ``dense``: its dense retriever alone;
- ``hybrid``: ris3-miner's retrieval: the rankings fused by reciprocal rank, then re-ranked with
  sentence evidence (``qa/rerank.py``); ``rrf``: the fused ranking alone (the first stage);
- ``hybrid+answer``: the whole ``ris3 ask`` path: retrieval and the extractive answer, scored on
  the passages it returns and on the answer text (contains a gold phrase; says "no answer" for
  questions the corpus does not answer);
- ``vanilla``: a default Haystack pipeline over the same page texts (``eval/vanilla.py``);
- ``multilingual``: the multilingual dense retriever alone (``index/multilingual.py``);
  ``bm25+glossary``: the keyword ranking on the question and the glossary/lexicon forms of the
  concepts it names; ``bm25+translation``: the same with the vocabulary translations too
  (``index/translation.py``), the keyword ranking as the hybrid pipeline runs it;
- ``fused:K,D,M[,all][,glossary|,plain]``: a candidate fusion: reciprocal-rank weights of keyword,
  dense and multilingual retrieval (weight 0 leaves one out); ``all``: the multilingual retriever
  also returns passages in the question's own language; ``glossary``: no vocabulary translations
  in the keyword query; ``plain``: no translations at all.

Results are broken down by document type, document language and language pair (question
language -> document language; ``question_language`` in the gold, English when absent).

Questions of kind ``no_answer`` count only for no-answer accuracy.
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .metrics import hit_at_k, mean, ndcg_at_k, reciprocal_rank

GOLD = Path(__file__).parent / "gold" / "qa.jsonl"
RESULTS = Path(__file__).parent / "results"
MODES = ("bm25", "dense", "rrf", "hybrid", "hybrid+answer", "vanilla", "multilingual", "bm25+glossary", "bm25+translation")
DEFAULT_MODES = ("bm25", "dense", "multilingual", "rrf", "hybrid", "hybrid+answer", "vanilla")
DEFAULT_KS = (1, 3, 5, 10)
DEPTH = 10  # results retrieved per question (MRR and nDCG are computed at this depth)
SPAN_WINDOW = 8  # words of the gold span a passage must hold in a row to count as holding it
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    doc_id: str = ""
    pages: tuple[int, ...] = ()
    phrases: tuple[str, ...] = ()
    doc_type: str = ""
    language: str = "en"
    kind: str = "answer"  # or "no_answer"
    note: str = ""
    question_language: str = "en"
    span: str = ""  # the gold sentence(s), verbatim from the page
    qtype: str = ""  # fact, list, number, how-why, which-regions, search-box, misspelled, acronym, no-answer
    split: str = ""  # dev (for every choice tuned) or test (only for reporting), by document
    scope: tuple[tuple[str, str], ...] = ()  # filters the question is asked within, e.g. (("doc_id", "..."),)

    @property
    def pair(self) -> str:
        return f"{self.question_language}->{self.language}"

    @property
    def answerable(self) -> bool:
        return self.kind == "answer"


@dataclass(frozen=True)
class Candidate:
    """A retrieved unit, whatever the system: document, page range, text."""
    doc_id: str
    page_start: int
    page_end: int
    text: str


def norm(text: str) -> str:
    return " ".join((text or "").lower().split())


SPAN_F1 = 0.5  # an answer sentence this close to the gold sentence (token F1) holds the answer


def token_f1(a: str, b: str) -> float:
    """Token F1 of two texts (lower-case word tokens, as SQuAD scores spans)."""
    from collections import Counter

    ta, tb = Counter(norm(a).split()), Counter(norm(b).split())
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    p, r = common / sum(ta.values()), common / sum(tb.values())
    return 2 * p * r / (p + r)


def holds_gold(q: "GoldQuestion", answer) -> bool:
    """The answer holds the gold: it is answered and holds a gold phrase, or one of its sentences
    has token F1 >= ``SPAN_F1`` with the gold span."""
    if not answer.answered:
        return False
    if any(norm(p) in norm(answer.text) for p in q.phrases):
        return True
    return bool(q.span) and max((token_f1(s, q.span) for s, _ in answer.sentences), default=0.0) >= SPAN_F1


def load_gold(path: Path = GOLD) -> list[GoldQuestion]:
    """Read and check the gold file; ValueError names the line of a malformed entry."""
    questions, seen = [], set()
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            q = GoldQuestion(**{**row, "pages": tuple(row.get("pages", ())), "phrases": tuple(row.get("phrases", ())),
                                "scope": tuple(sorted((row.get("scope") or {}).items()))})
        except (json.JSONDecodeError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: {exc}") from exc
        if q.kind not in ("answer", "no_answer"):
            raise ValueError(f"{path}:{lineno}: kind must be 'answer' or 'no_answer', not {q.kind!r}")
        if q.answerable and not (q.doc_id and q.pages and q.phrases):
            raise ValueError(f"{path}:{lineno}: an answer question needs doc_id, pages and phrases")
        if q.id in seen:
            raise ValueError(f"{path}:{lineno}: duplicate id {q.id!r}")
        seen.add(q.id)
        questions.append(q)
    return questions


def gold_problems(questions: Iterable[GoldQuestion], page_text: Callable[[str, int], str | None]) -> list[str]:
    """Every gold phrase must occur on one of its gold pages (case and whitespace ignored)."""
    problems = []
    for q in questions:
        if not q.answerable:
            continue
        pages = [norm(page_text(q.doc_id, p) or "") for p in q.pages]
        if not any(pages):
            problems.append(f"{q.id}: no text for {q.doc_id} pages {list(q.pages)}")
            continue
        for phrase in q.phrases:
            if not any(norm(phrase) in t for t in pages):
                problems.append(f"{q.id}: phrase {phrase!r} not on {q.doc_id} pages {list(q.pages)}")
    return problems


def span_windows(span: str, n: int = SPAN_WINDOW) -> list[str]:
    """Every run of ``n`` words of the span (the whole span when it is shorter), normalised."""
    words = norm(span).split()
    return [" ".join(words[i:i + n]) for i in range(max(1, len(words) - n + 1))] if words else []


def relevant(q: GoldQuestion, c: Candidate, single_page: frozenset[str] = frozenset()) -> bool:
    """Does the candidate hold the answer? Its text: a gold phrase or a run of the gold span.
    Without a span, a candidate of the gold document on a gold page counts too, unless that
    document has a single page (``single_page``: its doc ids)."""
    text = norm(c.text)
    if any(norm(p) in text for p in q.phrases):
        return True
    if q.span:
        return any(w in text for w in span_windows(q.span))
    if q.doc_id in single_page:
        return False
    return c.doc_id == q.doc_id and any(c.page_start <= p <= c.page_end for p in q.pages)


@dataclass
class QuestionResult:
    id: str
    doc_type: str
    language: str
    pair: str
    rels: list[bool]
    n_relevant: int
    top: list[str] = field(default_factory=list)  # "doc_id p.N" of the first results
    qtype: str = ""
    answer: str | None = None
    answered: bool | None = None
    answer_has_phrase: bool | None = None
    answer_holds_gold: bool | None = None  # a gold phrase, or a sentence with token F1 >= SPAN_F1 against the gold span


def score(results: Sequence[QuestionResult], ks: Sequence[int]) -> dict:
    out = {f"hit@{k}": mean([hit_at_k(r.rels, k) for r in results]) for k in ks}
    out["mrr"] = mean([reciprocal_rank(r.rels[:DEPTH]) for r in results])
    out["ndcg@10"] = mean([ndcg_at_k(r.rels, 10, r.n_relevant) for r in results])
    out["questions"] = len(results)
    answered = [r for r in results if r.answer_has_phrase is not None]
    if answered:
        out["answer_contains_gold_phrase"] = mean([float(r.answer_has_phrase) for r in answered])
        out["answered_rate"] = mean([float(bool(r.answered)) for r in answered])
        out["answer_holds_gold"] = mean([float(bool(r.answer_holds_gold)) for r in answered])
    return out


def breakdown(results: Sequence[QuestionResult], ks: Sequence[int]) -> dict:
    groups: dict[str, dict[str, list[QuestionResult]]] = {"doc_type": defaultdict(list), "language": defaultdict(list),
                                                          "pair": defaultdict(list), "qtype": defaultdict(list)}
    for r in results:
        groups["doc_type"][r.doc_type].append(r)
        groups["language"][r.language].append(r)
        groups["pair"][r.pair].append(r)
        if r.qtype:
            groups["qtype"][r.qtype].append(r)
    return {field_name: {value: score(rs, ks) for value, rs in sorted(by.items())} for field_name, by in groups.items()}


def _candidates_from_passages(passages) -> list[Candidate]:
    return [Candidate(p.meta.get("doc_id", ""), int(p.meta.get("page_start", 1)), int(p.meta.get("page_end", 1)),
                      p.content or "") for p in passages]


def run(settings, modes: Sequence[str] = MODES, ks: Sequence[int] = DEFAULT_KS, gold_path: Path = GOLD,
        progress: bool = True, split: str | None = None) -> dict:
    """Evaluate the modes on the gold questions against the index of ``settings`` (only those of
    ``split`` when given: 'dev' or 'test')."""
    from tqdm import tqdm

    from app.service import open_asker
    from index.retrieval import HybridRetriever
    from index.store import PassageIndex

    questions = load_gold(gold_path)
    if split:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; use {' or '.join(SPLITS)}")
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise ValueError(f"{gold_path} has no {split} questions (its lines have no 'split' field?)")
    answerable = [q for q in questions if q.answerable]
    no_answer = [q for q in questions if not q.answerable]
    index = PassageIndex(settings.home, settings.index, chroma_url=settings.chroma_url)
    if index.passage_count() == 0:
        raise ValueError("the index is empty: run 'ris3 ingest' first")
    problems = gold_problems(questions, index.page_text)
    if problems:
        raise ValueError("gold phrases not found on their pages (is the index up to date?): " + "; ".join(problems[:5]))
    ours = [Candidate(c.doc_id, c.page_start, c.page_end, c.text) for c in _candidates_from_passages(index.passages().values())]
    single_page = frozenset(d.doc_id for d in index.documents() if d.n_pages <= 1)

    retriever = HybridRetriever(index)
    asker = None
    vanilla = None
    out: dict = {"date": date.today().isoformat(), "gold": Path(gold_path).name, "split": split or "all",
                 "index": index.folder.name,
                 "settings": settings.index.as_dict(), "questions": len(questions),
                 "answerable": len(answerable), "no_answer": len(no_answer), "ks": list(ks), "modes": {}}
    fused: dict[str, HybridRetriever] = {}
    glossary_only = None
    for mode in modes:
        if mode not in MODES and not mode.startswith("fused:"):
            raise ValueError(f"unknown mode {mode!r}; use {', '.join(MODES)} or fused:K,D,M[,options]")
        if mode.startswith("fused:"):
            fused[mode] = _fused_retriever(index, mode)
        if mode == "bm25+glossary" and glossary_only is None:
            glossary_only = HybridRetriever(index, translations=("glossary",))
        universe = ours
        if mode == "vanilla":
            from .vanilla import VanillaBaseline

            vanilla = vanilla or VanillaBaseline(index, settings.home)
            t = time.perf_counter()
            vanilla.warm_up(progress=progress)
            out.setdefault("vanilla_build_s", round(time.perf_counter() - t, 1))
            universe = [Candidate(c.doc_id, c.page_start, c.page_end, c.text) for c in vanilla.chunks]
        if mode in ("hybrid", "hybrid+answer") and asker is None:
            asker = open_asker(settings)
            asker.warm_up()
        results, latencies = [], []
        for q in tqdm(answerable + (no_answer if mode == "hybrid+answer" else []), desc=f"eval {mode}",
                      disable=not progress, unit="q"):
            t = time.perf_counter()
            answer = None
            if mode == "bm25":
                found = _candidates_from_passages(retriever.retrieve_keyword(q.question, top_k=DEPTH))
            elif mode == "dense":
                found = _candidates_from_passages(retriever.retrieve_dense(q.question, top_k=DEPTH))
            elif mode == "rrf":
                found = _candidates_from_passages(retriever.retrieve(q.question, top_k=DEPTH)[0])
            elif mode == "hybrid":
                found = _candidates_from_passages(asker.search(q.question, top_k=DEPTH)[0])
            elif mode == "multilingual":
                found = _candidates_from_passages(retriever.retrieve_multilingual(q.question, top_k=DEPTH))
            elif mode == "bm25+glossary":
                found = _candidates_from_passages(glossary_only.retrieve_keyword(q.question, top_k=DEPTH, translated=True))
            elif mode == "bm25+translation":
                found = _candidates_from_passages(retriever.retrieve_keyword(q.question, top_k=DEPTH, translated=True))
            elif mode in fused:
                found = _candidates_from_passages(fused[mode].retrieve(q.question, top_k=DEPTH)[0])
            elif mode == "hybrid+answer":
                from app.service import Filters

                answer = asker.ask(q.question, Filters.from_mapping(dict(q.scope)), top_k=DEPTH)
                found = _candidates_from_passages(answer.passages)
            else:
                found = [Candidate(c.doc_id, c.page_start, c.page_end, c.text) for c in vanilla.search(q.question, DEPTH)]
            latencies.append((time.perf_counter() - t) * 1000)
            r = QuestionResult(q.id, q.doc_type, q.language, q.pair, [relevant(q, c, single_page) for c in found],
                               sum(1 for c in universe if relevant(q, c, single_page)) if q.answerable else 0,
                               [f"{c.doc_id} p.{c.page_start}" for c in found[:3]], qtype=q.qtype)
            if answer is not None:
                r.answer, r.answered = answer.text, answer.answered
                if q.answerable:
                    r.answer_has_phrase = answer.answered and any(norm(p) in norm(answer.text) for p in q.phrases)
                    r.answer_holds_gold = holds_gold(q, answer)
            results.append(r)
        scored = [r for r in results if r.id in {q.id for q in answerable}]
        block = score(scored, ks)
        block["by"] = breakdown(scored, ks)
        block["latency_ms_p50"] = round(sorted(latencies)[len(latencies) // 2], 1) if latencies else None
        if mode == "hybrid+answer" and no_answer:
            unanswered = [r for r in results if r.id in {q.id for q in no_answer}]
            block["no_answer_accuracy"] = mean([float(not r.answered) for r in unanswered])
            block["no_answer_questions"] = len(unanswered)
        block["per_question"] = [asdict(r) for r in results]
        out["modes"][mode] = block
    return out


def _fused_retriever(index, mode: str):
    from index.retrieval import TRANSLATIONS, HybridRetriever

    parts = mode.split(":", 1)[1].split(",")
    numbers = [x for x in parts if x.replace(".", "", 1).isdigit()]
    weights = tuple(float(x) for x in numbers)
    if len(weights) != 3 or not any(weights):
        raise ValueError(f"bad fused mode {mode!r}: use fused:K,D,M[,all][,glossary|,plain] (three weights, not all zero)")
    flags = set(parts) - set(numbers)
    unknown = flags - {"all", "glossary", "plain"}
    if unknown:
        raise ValueError(f"bad fused mode {mode!r}: unknown option(s) {', '.join(sorted(unknown))} (all, glossary, plain)")
    translations = () if "plain" in flags else ("glossary",) if "glossary" in flags else TRANSLATIONS
    return HybridRetriever(index, weights=weights, cross_only="all" not in flags, translations=translations)


def write(result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    gold = Path(result.get("gold", "gold")).stem
    stem = "qa" if result.get("gold") == GOLD.name else gold if gold.startswith("qa") else "qa-" + gold
    if result.get("split", "all") != "all":
        stem += f"-{result['split']}"
    path = RESULTS / f"{stem}-{result['date']}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return path


def table(result: dict) -> str:
    """The comparison as a Markdown table (what the README shows)."""
    ks = result["ks"]
    head = ["mode", *[f"hit@{k}" for k in ks], "MRR", "nDCG@10", "answer has gold phrase", "answer holds gold",
            "answered", "no-answer accuracy", "p50 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for mode, m in result["modes"].items():
        cells = [mode, *[f"{m[f'hit@{k}']:.3f}" for k in ks], f"{m['mrr']:.3f}", f"{m['ndcg@10']:.3f}",
                 f"{m['answer_contains_gold_phrase']:.3f}" if "answer_contains_gold_phrase" in m else "–",
                 f"{m['answer_holds_gold']:.3f}" if "answer_holds_gold" in m else "–",
                 f"{m['answered_rate']:.3f}" if "answered_rate" in m else "–",
                 f"{m['no_answer_accuracy']:.3f}" if "no_answer_accuracy" in m else "–",
                 f"{m['latency_ms_p50']:.0f}" if m.get("latency_ms_p50") is not None else "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
