"""The dense model run by ONNX Runtime gives the questions the vectors torch gives them (the
passages were embedded by torch), keeps its export beside the index, and never stops a
question when it cannot be used."""
import numpy as np
import pytest

pytestmark = pytest.mark.slow

TEXTS = ["How much ERDF did Lubelskie plan for research and innovation?",
         "living labs Ostrobothnia",
         "Welche Cluster unterstützt die Strategie in Baden-Württemberg?",
         ""]


@pytest.fixture(scope="module")
def minilm():
    from sentence_transformers import SentenceTransformer

    from index.settings import local_model_path

    return SentenceTransformer(local_model_path(), local_files_only=True, device="cpu")


def test_onnx_vectors_are_torchs_and_the_export_is_kept_for_the_next_process(minilm, tmp_path):
    from index.onnx_encoder import MATCH_TOLERANCE, OnnxTextEncoder

    first = OnnxTextEncoder(tmp_path / "onnx")
    assert first.warm_up(minilm) is True
    want = minilm.encode(TEXTS, normalize_embeddings=True, show_progress_bar=False)
    got = first.encode(TEXTS, batch_size=2)  # padded batches pool like sentence-transformers
    assert got.shape == want.shape and got.dtype == np.float32
    assert float(np.abs(got - want).max()) <= MATCH_TOLERANCE
    kept = sorted((tmp_path / "onnx").glob("*.onnx"))
    assert len(kept) == 1 and not list((tmp_path / "onnx").glob("*.part"))
    stamp = kept[0].stat().st_mtime_ns
    again = OnnxTextEncoder(tmp_path / "onnx")
    assert again.warm_up(minilm) and kept[0].stat().st_mtime_ns == stamp  # read, not exported again
    assert np.array_equal(again.encode(TEXTS), first.encode(TEXTS))


def test_an_unwritable_cache_exports_in_memory_and_a_failed_export_leaves_torch(minilm, tmp_path, monkeypatch):
    from index import onnx_encoder
    from index.onnx_encoder import OnnxTextEncoder

    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    enc = OnnxTextEncoder(blocked / "onnx")
    assert enc.warm_up(minilm) and enc.encode(TEXTS[:1]).shape == (1, 384)

    def broken(model):
        raise RuntimeError("exporter unavailable")

    monkeypatch.setattr(onnx_encoder, "export", broken)
    off = OnnxTextEncoder(None)
    assert off.warm_up(minilm) is False and not off.ready
    with pytest.raises(RuntimeError, match="warm_up"):
        off.encode(TEXTS[:1])


def test_the_multilingual_encoder_encodes_a_question_with_its_words_as_it_would_alone():
    from index.multilingual import MultilingualEncoder

    enc = MultilingualEncoder()
    words = ["flight school", "tourism", "hydrogen"]
    question = "Which flight school projects got funding in Brandenburg? (encode_with_query test)"
    MultilingualEncoder._queries.pop(question, None)
    together = enc.encode_with_query(words, question)
    assert np.allclose(together, enc.encode(words), atol=1e-6)
    assert question in MultilingualEncoder._queries
    assert np.allclose(enc.encode_query(question), enc.encode([question])[0], atol=1e-6)
    assert np.allclose(enc.encode_with_query(words, question), together, atol=1e-6)  # remembered: words only
