"""Cross-language search: glossary and lexicon expansion, the multilingual retriever, and an
English question finding German text on real pages of the Brandenburg ERDF beneficiary list."""
import json

import pytest

from nlp.glossary import GLOSSARY_FILE, expand_query, load_glossary, stems

from .conftest import CORPUS

BRANDENBURG = CORPUS / "operations" / "de-brandenburg-efre-verzeichnis-2014.pdf"


# -- glossary and expansion (no index needed) ---------------------------------------------------
def test_glossary_lines_name_one_concept_in_several_languages():
    lines = GLOSSARY_FILE.read_text(encoding="utf-8").splitlines()
    assert "glossary_version" in json.loads(lines[0])
    entries = load_glossary()[1]
    assert len(entries) >= 100
    for e in entries:
        assert {"en", "de"} <= set(e.forms), e.forms
        assert all(f.strip() == f and f for forms in e.forms.values() for f in forms), e.forms


def test_english_question_is_expanded_with_the_german_words_of_funded_operations():
    e = expand_query("Which companies received ERDF support to attend trade fairs in Salzburg?", frozenset({"en", "de"}))
    assert {"Messeteilnahme", "Unternehmen", "EFRE"} <= set(e.added)
    assert not any(f in e.added for f in ("salon", "foire"))  # French forms: no French text indexed
    assert e.text.startswith("Which companies received ERDF support")


def test_inflected_forms_match_through_each_languages_stemmer():
    assert stems("Radwege", "de") == stems("Radweg", "de")
    e = expand_query("Welche Radwege wurden gebaut?", frozenset({"en", "de"}))
    assert "cycle path" in e.added or "bike path" in e.added


def test_german_question_reaches_english_text_through_the_tagging_lexicon():
    e = expand_query("Welche Rolle spielen Reallabore bei der Digitalisierung?", frozenset({"en", "de"}))
    assert "living lab" in [a.lower() for a in e.added]  # support.living_lab's English variant
    assert "digitisation" in e.added  # glossary


def test_a_question_naming_no_glossary_term_is_left_alone():
    e = expand_query("Who is Admiral Objekt?", frozenset({"en", "de"}))
    assert e.added == [] and e.text == "Who is Admiral Objekt?"


def test_passages_are_embedded_in_overlapping_word_windows():
    from index.multilingual import windows

    words = [f"w{i}" for i in range(50)]
    ws = windows(" ".join(words), size=24, stride=16)
    assert ws[0].split() == words[:24] and ws[-1].split() == words[-24:]  # the end is always covered
    assert all(len(w.split()) == 24 for w in ws) and len(ws) == 3
    assert windows("short passage") == ["short passage"]


# -- the multilingual retriever on real German pages --------------------------------------------
@pytest.fixture(scope="module")
def german_index(tmp_path_factory):
    """Five real pages of the Brandenburg list (pypdf copy) and the Northern Netherlands RIS3."""
    from pypdf import PdfReader, PdfWriter

    from app.service import ingest
    from app.settings import Settings
    from ingest.manifest import copy_subset

    root = tmp_path_factory.mktemp("xl")
    corpus = copy_subset(CORPUS, root / "corpus", ["strategies/nl-northern-netherlands-ris3.pdf",
                                                    "operations/de-brandenburg-efre-verzeichnis-2014.pdf"])
    reader, writer = PdfReader(str(BRANDENBURG)), PdfWriter()
    for n in (2, 50, 120, 200, 263):
        writer.add_page(reader.pages[n - 1])
    with open(corpus / "operations" / "de-brandenburg-efre-verzeichnis-2014.pdf", "wb") as fh:
        writer.write(fh)
    settings = Settings(home=root / "home", corpus=corpus, workers=1)
    report = ingest(settings, progress=False)
    assert report.count("ingested") == 2
    return settings


@pytest.mark.slow
def test_every_passage_gets_a_multilingual_vector_at_ingestion(german_index):
    from app.service import open_index
    from index.multilingual import MULTILINGUAL_MODEL

    index = open_index(german_index)
    ids, matrix, owner = index.multilingual_matrix(MULTILINGUAL_MODEL)
    assert sorted(ids) == sorted(index.passages()) and matrix.shape[1] == 512
    assert set(owner.tolist()) == set(range(len(ids))) and len(owner) == len(matrix) > len(ids)
    assert index.missing_multilingual(MULTILINGUAL_MODEL) == []


@pytest.mark.slow
@pytest.mark.parametrize("question, german", [
    ("Who was funded to digitise historical forest areas?", "Digitalisierung historischer Waldflächen"),
    ("Which companies received support to attend trade fairs in Salzburg?", "Alles für den Gast"),
    ("Which water utility rehabilitated the drinking water network in Fürstenwalde?", "Trinkwassernetz Fürstenwalde"),
])
def test_an_english_question_returns_the_german_passage_that_answers_it(german_index, question, german):
    from app.service import Asker

    asker = Asker(german_index)
    answer = asker.ask(question)
    top = answer.passages[:5]
    hit = next((p for p in top if german in " ".join(p.content.split())), None)
    assert hit is not None, [p.content[:80] for p in top]
    assert hit.meta["passage_language"] == "de"


@pytest.mark.slow
def test_the_answer_says_when_it_quotes_text_in_another_language(german_index):
    from app.service import Asker

    asker = Asker(german_index)
    for question in ("Who was funded to digitise historical forest areas?",
                     "Which water utility rehabilitated the drinking water network in Fürstenwalde?"):
        answer = asker.ask(question)
        cited = answer.citations or answer.nearest
        languages = {c.language for c in cited}
        assert answer.question_language == "en" and cited and languages <= {"en", "de"}
        assert answer.other_languages == sorted(languages - {"en"})
        assert ("Found in German text; your question is in English" in answer.language_note) == ("de" in languages)
        assert answer.to_json()["answer_languages"] == sorted(languages)


def test_question_language_is_english_for_short_english_questions_and_detected_otherwise():
    from nlp.language import question_language

    assert question_language("Who was funded to digitise historical forest areas?") == "en"
    assert question_language("What role do DIHs play in RIS3?") == "en"
    assert question_language("Welche Rolle spielen Reallabore in der Strategie der Region?") == "de"
    assert question_language("Quels sont les domaines de spécialisation intelligente de la région ?") == "fr"
