"""Sentence vectors come from the passage's own model pass (index/pipeline.py ``PassageEmbedder``):
pooled over each sentence's tokens, encoded alone only past the model's window."""
import json
from contextlib import contextmanager

import numpy as np
import pytest

from index.pipeline import pool_sentences


def test_a_sentence_vector_is_the_normalised_mean_of_its_own_tokens():
    # "Ab cd. Ef." -> [CLS] Ab cd . Ef . [SEP]
    offsets = np.array([(0, 0), (0, 2), (3, 5), (5, 6), (7, 9), (9, 10), (0, 0)])
    tokens = np.eye(7, 4, dtype=np.float32) + 0.5
    spans = [(0, 6, 1, 0), (7, 10, 1, 7)]
    rows, missed = pool_sentences(spans, offsets, tokens)
    assert missed == []
    first = tokens[1:4].mean(axis=0)
    assert np.allclose(rows[0], first / np.linalg.norm(first))
    second = tokens[4:6].mean(axis=0)
    assert np.allclose(rows[1], second / np.linalg.norm(second))
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0)


def test_sentences_the_truncated_pass_did_not_reach_are_left_to_encode_alone():
    # the pass stopped inside the second sentence (characters 7-9 of 7-20) and before the third
    offsets = np.array([(0, 0), (0, 2), (3, 6), (7, 9), (0, 0)])
    tokens = np.ones((5, 3), dtype=np.float32)
    spans = [(0, 6, 1, 0), (7, 20, 1, 7), (21, 30, 2, 0)]
    rows, missed = pool_sentences(spans, offsets, tokens)
    assert missed == [(1, (7, 20)), (2, (21, 30))]
    assert np.allclose(rows[1:], 0.0)
    assert np.isclose(np.linalg.norm(rows[0]), 1.0)


@pytest.mark.slow
def test_one_pass_gives_the_passage_vector_and_pooled_sentences_with_long_tails_encoded_alone():
    from haystack import Document
    from sentence_transformers import SentenceTransformer

    from index.pipeline import PassageEmbedder
    from index.settings import local_model_path
    from nlp.passages import sentence_spans

    first = "The region supports digital innovation hubs in advanced manufacturing."
    filler = " ".join(f"Sentence number {i} describes a cluster programme and its partners." for i in range(40))
    text = f"{first} {filler}"
    spans, pos = [[0, len(first), 1, 0]], len(first) + 1
    for part in filler.split(". "):
        piece = part if part.endswith(".") else part + "."
        spans.append([pos, len(piece), 1, pos])
        pos += len(piece) + 1
    passage = Document(id="p1", content=text, meta={"sent_map": json.dumps(spans), "page_start": 1})
    embedder = PassageEmbedder(progress=False)
    embedder.warm_up()
    stages: list[str] = []

    @contextmanager
    def timed(stage):
        stages.append(stage)
        yield

    embedded, vectors = embedder.embed([passage], timed=timed)
    assert stages == ["embedding_passages", "embedding_sentences"]
    model = SentenceTransformer(local_model_path(), device="cpu", local_files_only=True)
    alone = model.encode([text] + [text[s:e] for s, e, _, _ in sentence_spans(passage)], normalize_embeddings=True)
    assert np.abs(np.asarray(embedded[0].embedding) - alone[0]).max() < 1e-5  # the passage vector is unchanged
    rows = vectors["p1"]
    assert rows.shape == (len(spans), 384)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
    # ~40 sentences of ~12 tokens pass the 256-token window: the last ones are encoded alone
    assert np.abs(rows[-1] - alone[-1]).max() < 1e-5
    # the first is pooled in its passage's context: not its lone encoding, but nearest to it
    assert np.abs(rows[0] - alone[1]).max() > 1e-3
    assert int(np.argmax(alone[1:] @ rows[0])) == 0
