"""AnswerBuilder.build without a model: a fake ``embed`` (hashed bag of words, L2-normalised) and
hand-made passages with sentence maps pin how answer sentences are chosen: the best one wins, a
near-duplicate is left out, a score under the threshold abstains and cites the nearest sentence,
and the weights of ``AnswerSettings`` change the choice."""
import hashlib
import json

import numpy as np
import pytest
from haystack import Document

from qa.answer import AnswerBuilder
from qa.settings import AnswerSettings
from qa.types import NO_ANSWER

DIM = 512


def fake_embed(texts: list[str]) -> np.ndarray:
    """Deterministic, L2-normalised hashed bag of lower-case words (no model)."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().replace("?", " ").replace(".", " ").replace(",", " ").split():
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
        norm = np.linalg.norm(out[row])
        if norm:
            out[row] /= norm
    return out


def passage(doc_id: str, sentences: list[str], page: int = 3, **meta) -> Document:
    """A passage of ``sentences`` on ``page`` with the sentence map PassageSplitter writes:
    ``[offset_in_passage, length, page, offset_in_page]`` per sentence."""
    sent_map, pos = [], 0
    for s in sentences:
        sent_map.append([pos, len(s), page, 100 + pos])
        pos += len(s) + 1
    return Document(id=f"{doc_id}:abc:00000", content=" ".join(sentences), meta={
        "doc_id": doc_id, "title": f"Title of {doc_id}", "region": "South Moravia", "country": "CZ",
        "doc_type": "ris3", "page_start": page, "page_end": page, "sent_map": json.dumps(sent_map), **meta})


def build(question: str, passages: list[Document], **settings):
    builder = AnswerBuilder(embed=fake_embed, settings=AnswerSettings(**settings))
    return builder.build(question, passages, fake_embed([question])[0])


QUESTION = "Which digital innovation hub supports manufacturing firms in South Moravia?"
BEST = "The DIGIMAT digital innovation hub supports manufacturing firms in South Moravia."
FILLER = ["The weather was mild during most of the summer months.",
          "Budgets were agreed by the council after a long meeting.",
          "Tourism figures rose slowly along the coast last year."]


def test_the_best_sentence_is_chosen_and_cited_with_its_page_and_span():
    p = passage("seed", [FILLER[0], BEST, FILLER[1]], page=7)
    answer = build(QUESTION, [p, passage("other", FILLER[1:])])
    assert answer.answered
    assert answer.sentences == [(BEST, 1)]
    (c,) = answer.citations
    assert (c.n, c.doc_id, c.page, c.passage_id) == (1, "seed", 7, p.id)
    assert p.content[c.span[0]:c.span[1]] == BEST
    assert c.page_offset == 100 + p.content.index(BEST)
    assert answer.text == f"{BEST} [1]"
    assert answer.passages[0] is p and answer.scores[0] >= AnswerSettings().threshold


def test_a_near_duplicate_sentence_is_left_out():
    twin = BEST.replace("firms", "companies")  # 10 of 11 words shared: cosine > duplicate_similarity
    p1 = passage("a", [BEST, FILLER[0]])
    p2 = passage("b", [twin, FILLER[1]])
    answer = build(QUESTION, [p1, p2], keep_within=1.0)
    chosen = [s for s, _ in answer.sentences]
    assert chosen == [BEST]
    # the same passages with the duplicate rule off: the twin is chosen too
    allowed = build(QUESTION, [p1, p2], keep_within=1.0, duplicate_similarity=1.0)
    assert [s for s, _ in allowed.sentences][:2] == [BEST, twin]


def test_sentences_far_below_the_best_one_do_not_join_the_answer():
    second = "Manufacturing firms in the region use the digital hub services."
    p = passage("seed", [BEST, second, FILLER[0]])
    assert [s for s, _ in build(QUESTION, [p], keep_within=1.0, threshold=0.0).sentences][:2] == [BEST, second]
    assert [s for s, _ in build(QUESTION, [p], keep_within=0.0).sentences] == [BEST]


def test_a_best_score_under_the_threshold_abstains_and_cites_the_nearest_sentence():
    p = passage("seed", [FILLER[0], BEST, FILLER[1]])
    answered = build(QUESTION, [p])
    best_score = answered.scores[0]
    answer = build(QUESTION, [p], threshold=best_score + 0.01)
    assert not answer.answered and answer.sentences == [] and answer.citations == []
    assert answer.text == NO_ANSWER
    assert answer.scores == [pytest.approx(best_score)]
    assert [c.sentence for c in answer.nearest] == [BEST] and answer.nearest[0].n == 1
    assert answer.passages == [p]  # the nearest passages are still returned


def test_an_unrelated_question_abstains():
    answer = build("Which ferry operators serve the islands of Crete?", [passage("seed", FILLER[:2])])
    assert not answer.answered and answer.nearest and answer.scores[0] < AnswerSettings().threshold


def test_no_candidate_sentence_abstains_without_nearest():
    short = passage("seed", ["Too short.", "Also short."])  # under min_words: headings, labels
    answer = build(QUESTION, [short])
    assert not answer.answered and answer.nearest == [] and answer.passages == [short]


def test_the_weights_of_the_settings_change_the_choice():
    question = "What does the strategy say about the hubs of the region?"
    same_words = "What does the plan say about the future of the city?"  # shared words, no content term
    same_terms = "Regional strategies fund a hub network."  # the content terms, stemmed, in other forms
    p = passage("seed", [same_words, same_terms])
    by_similarity = build(question, [p], similarity_weight=1.0, overlap_weight=0.0, context_weight=0.0,
                          rank_bonus=0.0, threshold=0.0, max_sentences=1)
    by_overlap = build(question, [p], similarity_weight=0.0, overlap_weight=1.0, context_weight=0.0,
                       rank_bonus=0.0, threshold=0.0, max_sentences=1)
    assert by_similarity.sentences == [(same_words, 1)]
    assert by_overlap.sentences == [(same_terms, 1)]


def test_the_first_passage_gets_the_rank_bonus():
    a, b = passage("a", [BEST]), passage("b", [BEST.replace("DIGIMAT", "JIC")])
    for first, second in ((a, b), (b, a)):
        answer = build(QUESTION, [first, second], max_sentences=1, rank_bonus=0.5)
        assert answer.citations[0].doc_id == first.meta["doc_id"]


def test_only_the_first_passages_read_are_answered_from():
    late = passage("late", [BEST])
    answer = build(QUESTION, [passage("a", FILLER[:1]), late], passages_read=1, threshold=0.0)
    assert all(c.doc_id == "a" for c in answer.citations) and late in answer.passages


def test_max_sentences_caps_the_answer():
    sentences = [f"Digital innovation hub number {w} supports manufacturing firms in South Moravia."
                 for w in ("one", "two", "three", "four", "five")]
    answer = build(QUESTION, [passage("seed", sentences)], max_sentences=2, keep_within=1.0, duplicate_similarity=1.0)
    assert len(answer.sentences) == 2 and [n for _, n in answer.sentences] == [1, 2]


def test_stored_sentence_vectors_are_used_instead_of_the_model():
    p = passage("seed", [FILLER[0], BEST])
    calls = []

    def embed(texts):
        calls.append(list(texts))
        return fake_embed(texts)

    stored = {p.id: fake_embed([FILLER[0], BEST])}
    builder = AnswerBuilder(embed=embed, stored_vectors=lambda ids: {i: stored[i] for i in ids if i in stored})
    answer = builder.build(QUESTION, [p], fake_embed([QUESTION])[0])
    assert calls == [] and answer.sentences == [(BEST, 1)]


def test_a_list_block_gets_the_mean_of_its_stored_sentence_vectors_not_a_model_call():
    lead = "The strategy names three priority domains:"
    items = ["- advanced manufacturing and digital innovation hubs", "- health and life sciences",
             "- energy and smart cities"]
    p = passage("ris3", [FILLER[0], lead, *items])
    calls = []

    def embed(texts):
        calls.append(list(texts))
        return fake_embed(texts)

    vectors = fake_embed([FILLER[0], lead, *items])
    builder = AnswerBuilder(embed=embed, stored_vectors=lambda ids: {p.id: vectors})
    answer = builder.build("What are the priority domains of the strategy?", [p],
                           fake_embed(["What are the priority domains of the strategy?"])[0])
    assert calls == []
    assert answer.sentences and answer.sentences[0][0].startswith(lead) and "energy and smart cities" in answer.sentences[0][0]


def test_a_name_the_corpus_never_mentions_abstains_naming_it():
    known = {"digital", "innovation", "hub", "supports", "manufacturing", "firms", "south", "moravia"}
    builder = AnswerBuilder(embed=fake_embed, idf=lambda w: 1.0 if w in known else 0.0)
    question = "Which digital innovation hub supports manufacturing firms in Bratislava?"
    answer = builder.build(question, [passage("seed", [BEST])], fake_embed([question])[0])
    assert not answer.answered and answer.missing == ["Bratislava"]
    assert answer.text.startswith("The corpus does not mention Bratislava")


def test_a_heading_or_contents_line_is_never_an_answer_sentence():
    heading = "Digital innovation hub supports manufacturing firms in South Moravia"
    p = passage("ris3", [heading, "Contents digital innovation hub manufacturing South Moravia 12", BEST],
                units="htb")
    answer = build(QUESTION, [p])
    assert answer.sentences and all(heading not in s and "Contents" not in s for s, _ in answer.sentences)


def test_list_items_typed_by_the_structure_follow_their_lead_in():
    lead = "The strategy names three priority domains:"
    items = ["advanced manufacturing and digital innovation hubs", "health and life sciences", "energy and smart cities"]
    p = passage("ris3", [FILLER[0], lead, *items], units="bbll" + "l")
    answer = build("What are the priority domains of the strategy?", [p])
    assert answer.sentences and answer.sentences[0][0] == " ".join([lead, *items])


def test_a_short_label_and_its_list_join_the_sentence_before_it():
    lead = "Luxinnovation heads six technology clusters in the Grand Duchy."
    items = ["- biomedicine", "- automotive equipment", "- materials sciences"]
    p = passage("lu-ris3", [FILLER[0], lead, "These are:", *items], units="bbb" + "lll")
    answer = build("Which technology clusters does Luxinnovation run?", [p], max_sentences=1)
    assert answer.sentences[0][0] == " ".join([lead, "These are:", *items])
    (c,) = answer.citations
    assert p.content[c.span[0]:c.span[1]].endswith("- materials sciences")  # the span covers the list
