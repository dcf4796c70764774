"""Passages with provenance, sentences, language."""

import pytest
from haystack import Document

from ingest.clean import clean_pages
from ingest.converter import CorpusConverter
from ingest.extract import extract_pdf_pages
from nlp.language import LanguageTagger, detect_language
from nlp.passages import PassageSplitter, sentence_spans
from nlp.sentences import split_sentences

from .conftest import CORPUS


def _pages(rel, **meta):
    out = CorpusConverter(workers=0, progress_bar=False).run(sources=[CORPUS / rel], meta=[{"doc_id": "d", **meta}])
    assert out["failures"] == []
    return out["documents"]


def test_sentences_carry_offsets_into_the_text():
    text = "DIGIMAT was proposed by partners. It is a tool to implement the strategy.\nSecond paragraph here."
    sents = split_sentences(text)
    assert [text[s.start:s.end] for s in sents] == [s.text for s in sents]
    assert [s.text for s in sents] == ["DIGIMAT was proposed by partners.", "It is a tool to implement the strategy.",
                                       "Second paragraph here."]
    assert sents[2].paragraph == 1


def test_overlong_sentences_are_cut_to_the_limit():
    text = " ".join(f"w{i}" for i in range(300))
    assert max(s.n_words for s in split_sentences(text, max_words=120)) == 120


@pytest.mark.slow
def test_every_passage_sentence_points_to_its_page_text():
    pages = _pages("reports/el-emth-edp-tourism-focus-group-summary.pdf")
    by_page = {p.meta["page_number"]: p.content for p in pages}
    passages = PassageSplitter().run(documents=pages)["documents"]
    assert passages
    for p in passages:
        assert p.meta["page_start"] <= p.meta["page_end"]
        assert p.meta["n_words"] <= 180 + 120  # a single over-long sentence may exceed the target
        for start, end, page, offset in sentence_spans(p):
            sentence = p.content[start:end]
            assert by_page[page][offset:offset + len(sentence)] == sentence


@pytest.mark.slow
def test_passages_fit_the_embedding_model():
    pages = _pages("strategies/lt-ris3-implementation-programme.pdf")
    passages = PassageSplitter(target_words=140, max_words=180).run(documents=pages)["documents"]
    words = [p.meta["n_words"] for p in passages]
    assert max(words) <= 180
    assert sum(words) / len(words) > 80


@pytest.mark.slow
def test_passage_ids_are_stable_across_runs():
    pages = _pages("reports/el-emth-edp-tourism-focus-group-summary.pdf", sha256="abc123")
    a = [p.id for p in PassageSplitter().run(documents=pages)["documents"]]
    b = [p.id for p in PassageSplitter().run(documents=pages)["documents"]]
    assert a == b and len(set(a)) == len(a)


@pytest.mark.slow
def test_language_is_detected_per_passage_and_reproducibly():
    raw = extract_pdf_pages(CORPUS / "operations/de-brandenburg-efre-verzeichnis-2014.pdf", 1, 3)
    de_pages = [Document(content=t, meta={"doc_id": "bb", "page_number": i})
                for i, t in enumerate(clean_pages([p.text for p in raw]), start=1)]
    docs = PassageSplitter().run(documents=de_pages)["documents"]
    tagged = LanguageTagger().run(documents=docs)["documents"]
    assert {d.meta["language_detected"] for d in tagged} == {"de"}
    assert detect_language("The region supports digital innovation hubs and clusters.") == "en"
    assert all(detect_language("Regionale Innovationsstrategie für Brandenburg") == "de" for _ in range(3))


def test_manifest_language_wins_over_detection_for_the_document():
    docs = [Document(content="Dies ist ein deutscher Text über die Förderung von Unternehmen in der Region.",
                     meta={"doc_id": "x", "language": "en"})]
    out = LanguageTagger().run(documents=docs)["documents"][0]
    assert out.meta["language"] == "en" and out.meta["passage_language"] == "de"
