"""The second-stage re-ranker (qa/rerank.py): its features, its weights and the order it gives."""
import numpy as np
import pytest
from haystack import Document

from qa.rerank import FEATURES, EvidenceReranker, RerankSettings, named_regions


def doc(i, text, score, **meta):
    return Document(id=f"p{i}", content=text, score=score, meta={"doc_id": f"d{i}", "language": "en", **meta})


PASSAGES = [
    doc(0, "Tourism grew. Visitors came to the coast in summer and the hotels were full.", 0.05),
    doc(1, "The strategy names living labs in Ostrobothnia. Living labs test products with users.", 0.04),
    doc(2, "Ostrobothnia has ports. Labs exist elsewhere. Many other words fill this passage.", 0.03),
]


def ranker(**weights):
    return EvidenceReranker(RerankSettings(**weights), regions=("Ostrobothnia", "Baden-Württemberg"))


def test_only_the_fused_weight_keeps_the_fused_order():
    r = ranker(fused=1.0, sentence=0.0, coverage=0.0, proximity=0.0, heading=0.0, region=0.0)
    assert [d.id for d in r.rerank("living labs Ostrobothnia", PASSAGES, None)] == ["p0", "p1", "p2"]


def test_terms_together_in_one_sentence_window_lift_a_passage():
    r = ranker(fused=0.1, sentence=0.0, coverage=0.0, proximity=1.0, heading=0.0, region=0.0)
    assert [d.id for d in r.rerank("living labs Ostrobothnia", PASSAGES, None)][0] == "p1"


def test_features_are_in_the_unit_interval_with_one_column_each():
    f = ranker().features("living labs Ostrobothnia", PASSAGES, None)
    assert f.shape == (3, len(FEATURES))
    assert ((f >= 0) & (f <= 1)).all()
    assert f[0, FEATURES.index("fused")] == pytest.approx(1.0)
    assert f[1, FEATURES.index("coverage")] == pytest.approx(1.0)
    assert f[0, FEATURES.index("coverage")] == 0.0


def test_stored_sentence_vectors_give_the_best_sentence_similarity():
    q = np.array([1.0, 0.0], dtype=np.float32)
    vectors = {"p0": np.array([[0.0, 1.0], [0.6, 0.8]], dtype=np.float32)}
    r = EvidenceReranker(RerankSettings(), stored_vectors=lambda ids: {i: vectors[i] for i in ids if i in vectors})
    f = r.features("tourism", PASSAGES, q)
    assert f[0, FEATURES.index("sentence")] == pytest.approx(0.6)
    assert f[1, FEATURES.index("sentence")] == 0.0  # no stored vectors: no evidence


def test_a_region_named_in_the_question_favours_passages_about_it():
    lombardy = doc(3, "AFIL is the cluster of Lombardy.", 0.02, region="Lombardy")
    lubelskie = doc(4, "The cluster of Lubelskie.", 0.05, region="Lubelskie")
    r = EvidenceReranker(RerankSettings(fused=0.1, sentence=0, coverage=0, proximity=0, heading=0, region=1.0),
                         regions=("Lombardy", "Lubelskie"))
    assert [d.id for d in r.rerank("Which areas did Lombardy choose?", [lubelskie, lombardy], None)] == ["p3", "p4"]
    f = r.features("Which clusters exist?", [lubelskie, lombardy], None)
    assert (f[:, FEATURES.index("region")] == 0.5).all()  # no region named: no preference


def test_region_names_match_without_accents_and_only_whole():
    regions = ("Baden-Württemberg", "Norte", "Lubelskie")
    assert named_regions("hubs in Baden Wurttemberg", regions) == {"Baden-Württemberg"}
    assert named_regions("hubs in baden-württemberg?", regions) == {"Baden-Württemberg"}
    assert named_regions("northern regions", regions) == set()


def test_passages_past_the_depth_keep_their_fused_order_below():
    many = [doc(i, f"text {i}", 1.0 / (i + 1)) for i in range(6)]
    r = EvidenceReranker(RerankSettings(depth=3, fused=0.0, coverage=1.0, sentence=0, proximity=0, heading=0, region=0))
    out = r.rerank("text", many, None)
    assert [d.id for d in out[3:]] == ["p3", "p4", "p5"] and len(out) == 6


def test_depth_must_be_sensible():
    with pytest.raises(ValueError, match="depth"):
        RerankSettings(depth=0)


def test_each_retrievers_rank_is_its_own_feature():
    evidence = {"p2": {"keyword": (0, 12.0)}, "p1": {"dense": (3, 0.4), "keyword": (15, 2.0)}}
    f = ranker().features("labs", PASSAGES, None, evidence=evidence, candidates=30)
    kw, dense = FEATURES.index("keyword"), FEATURES.index("dense")
    assert f[2, kw] == pytest.approx(1.0) and f[1, kw] == pytest.approx(0.5) and f[0, kw] == 0.0
    assert f[1, dense] == pytest.approx(0.9) and f[2, dense] == 0.0
    r = EvidenceReranker(RerankSettings(fused=0.0, keyword=1.0, sentence=0, coverage=0, proximity=0, heading=0, region=0))
    assert [d.id for d in r.rerank("labs", PASSAGES, None, evidence=evidence)] == ["p2", "p1", "p0"]


def test_the_environment_turns_re_ranking_off_and_on():
    from app.settings import Settings

    assert Settings.from_env({}).rerank == RerankSettings()
    assert Settings.from_env({"RIS3_RERANK": "0"}).rerank is None
    with pytest.raises(ValueError, match="RIS3_RERANK"):
        Settings.from_env({"RIS3_RERANK": "maybe"})


@pytest.mark.slow
def test_the_asker_re_orders_the_fused_candidates_on_the_real_index(asker):
    question = "What did the South Moravian partners learn from testing services with companies?"
    first, _ = asker.fused(question, top_k=asker.reranker.settings.depth)
    passages, embedding, translations = asker.search(question, top_k=5)
    fused_ids = [d.id for d in first.documents]
    assert len(passages) == 5 and {d.id for d in passages} <= set(fused_ids)
    scores = [d.score for d in passages]
    assert scores == sorted(scores, reverse=True)
    weights = asker.reranker.settings.weights()
    f = asker.reranker.features(question, first.documents, embedding, translations.language,
                                translations.as_list(), first.evidence, asker.retriever.candidates)
    assert [d.id for d in passages] == [fused_ids[i] for i in np.argsort(-(f @ weights), kind="stable")[:5]]
    assert "piloting" in " ".join(d.content for d in passages[:3]).lower()


@pytest.mark.slow
def test_the_hybrid_pipeline_hands_on_ids_and_scores_and_the_fused_passages_have_their_text(asker):
    """The retrievers inside the pipeline pass ids and scores (the pipeline deep-copies what one
    component hands the next); the fusion looks the passages up."""
    asker.warm_up()
    for name in ("keyword", "dense", "multilingual"):
        assert asker.retriever.component(name).light
    first, _ = asker.fused("living labs Ostrobothnia", top_k=10)
    stored = asker.index.passages()
    assert first.documents and all(d.content == stored[d.id].content and d.meta == stored[d.id].meta
                                   and d.embedding is None for d in first.documents)
    assert len(first.embedding) == 384
    alone = asker.retriever.retrieve_keyword("living labs Ostrobothnia", top_k=3)
    assert alone and all(d.content for d in alone)


@pytest.mark.slow
def test_questions_are_embedded_by_onnx_beside_their_translation_with_torchs_vectors(asker):
    """The question's MiniLM pass (ONNX Runtime, on a worker thread while the question is
    translated) gives the vector torch gives, and the dense ranking of the fused run is the
    ranking of that vector."""
    asker.warm_up()
    dense = asker.retriever.component("dense")
    assert dense.onnx is not None and dense.onnx.ready
    question = "Which DIHs support manufacturing in Lombardy?"
    torch_vector = np.asarray(dense.embedder.run(text=question)["embedding"])
    first, translations = asker.fused(question, top_k=10)
    assert np.abs(np.asarray(first.embedding) - torch_vector).max() < 1e-4
    assert translations is first.translations and translations.language == "en"
    by_dense = sorted((r["dense"][0], pid) for pid, r in first.evidence.items() if "dense" in r)
    alone = asker.retriever.retrieve_dense(question, top_k=len(by_dense))
    assert [pid for _, pid in by_dense] == [d.id for d in alone]
