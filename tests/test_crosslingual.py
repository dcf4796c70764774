"""Cross-language search: glossary and lexicon expansion, per-language stemming in the keyword
index, query translation through the indexed vocabulary, the multilingual retriever, and an
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


# -- per-language stemming in the keyword index (no models needed) ------------------------------
def _doc(i, text, lang):
    from haystack import Document

    return Document(id=f"p{i}", content=text, meta={"passage_language": lang, "title": "", "region": ""})


@pytest.fixture()
def two_language_index(tmp_path):
    from index.keyword import KeywordIndex

    kw = KeywordIndex(tmp_path / "kw")
    kw.build([_doc(0, "Die Begünstigten erhielten eine Zuwendung für die Errichtung einer Flugschule.", "de"),
              _doc(1, "The beneficiaries received grants for broadband in rural areas.", "en"),
              _doc(2, "Das Projekt der Stadt betrifft Radwege und die Sanierung der Brücke.", "de")])
    return kw


def test_each_passage_is_stemmed_in_its_own_language():
    from index.keyword import analyse

    assert analyse("Die Begünstigten und der Begünstigter", "de") == ["begunstigt", "begunstigt"]
    assert analyse("the beneficiaries received", "en") == ["beneficiari", "receiv"]
    assert "die" not in analyse("die Brücke", "de") and "die" in analyse("die Brücke", "xx")  # stop words per language
    assert analyse("Brücken", "xx") == ["brucken"]  # no stemmer for the language: words as they are, folded


def test_an_inflected_german_word_finds_the_german_passage_and_the_index_knows_its_languages(two_language_index):
    kw = two_language_index
    assert kw.languages == ("de", "en")
    rows = kw.search("Begünstigter", 3)  # stem "begunstigt" only with the German stemmer
    assert [kw.ids[r] for r, _ in rows] == ["p0"]
    assert kw.idf("begünstigter") > 0 and kw.idf("sepsis") == 0


def test_a_query_word_is_looked_up_under_its_stem_in_every_indexed_language(two_language_index):
    kw = two_language_index
    assert kw.word_group("Sepsis") == (("sepsi",), ("sepsis",))  # English and German stems
    # each word also as typed, folded; "wurden" is "würden" folded, a stop word (tests/test_keyword_variants.py)
    assert kw.query_groups("Die Radwege wurden gebaut", "de") == [(("radweg",), ("radwege",)), (("gebaut",),)]
    assert kw.query_groups("Die Radwege", "en") == [(("die",),), (("radweg",), ("radwege",))]  # stop words of the question's language


def test_the_alternatives_of_one_group_do_not_add_up(two_language_index):
    kw = two_language_index
    one = kw.scores([kw.form_group([("Zuwendung", "de")])])
    many = kw.scores([kw.form_group([("Zuwendung", "de"), ("Begünstigten", "de"), ("Flugschule", "de")])])
    apart = kw.scores([kw.form_group([("Zuwendung", "de")]), kw.form_group([("Begünstigten", "de")])])
    best = max(kw.scores([kw.form_group([(w, "de")])])[0] for w in ("Zuwendung", "Begünstigten", "Flugschule"))
    assert many[0] == pytest.approx(best) and apart[0] > many[0] > 0 and one[0] > 0


def test_an_index_built_with_another_analyser_is_not_loaded(two_language_index):
    import json

    from index.keyword import SCHEME_FILE, KeywordIndex

    folder = two_language_index.folder
    assert KeywordIndex(folder).load()
    (folder / SCHEME_FILE).write_text(json.dumps({"scheme": "english-only", "languages": ["en"]}))
    assert not KeywordIndex(folder).load()  # the caller rebuilds it


def test_question_words_and_word_pairs_are_translation_sources():
    from index.translation import QueryTranslator

    assert QueryTranslator.sources("Who received ERDF support to set up a flight school?", "en") == [
        "received", "ERDF", "support", "set", "flight", "school", "received ERDF", "ERDF support", "flight school"]
    assert QueryTranslator.sources("Welche Radwege wurden 2015 gebaut?", "de") == ["Radwege", "gebaut"]


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
def test_every_indexed_word_gets_a_vector_and_questions_are_translated_into_them(german_index):
    from app.service import open_index
    from index.translation import (
        WORD_MODEL,
        QueryTranslator,
        backfill_vocabulary,
        vocabulary,
    )

    index = open_index(german_index)
    stored = index.stored_words(WORD_MODEL)
    assert stored == vocabulary(index.passages().values()) and {"de", "en"} <= set(stored)
    assert backfill_vocabulary(index, progress=False) == 0  # nothing left to do
    translator = QueryTranslator(index)
    found = {t.source: t for t in translator.translate("Who was funded to digitise historical forest areas?", "en")}
    assert "Waldflächen" in [w for w, _ in found["forest areas"].words]  # page 120: "Digitalisierung historischer Waldflächen"
    assert all(t.language == "de" and all(sim >= 0.75 for _, sim in t.words) for t in found.values())
    back = translator.translate("Welche Rolle spielen Reallabore in den nördlichen Niederlanden?", "de")
    assert "Netherlands" in [w for t in back for w, _ in t.words] and {t.language for t in back} == {"en"}


@pytest.mark.slow
@pytest.mark.parametrize("question, german", [
    ("Who was funded to digitise historical forest areas?", "Digitalisierung historischer Waldflächen"),
    ("Which companies received support to attend trade fairs in Salzburg?", "Alles für den Gast"),
    ("Which water utility rehabilitated the drinking water network in Fürstenwalde?", "Trinkwassernetz Fürstenwalde"),
])
def test_an_english_question_returns_the_german_passage_that_answers_it(german_index, question, german):
    from app.service import open_asker

    asker = open_asker(german_index)
    answer = asker.ask(question)
    top = answer.passages[:5]
    hit = next((p for p in top if german in " ".join(p.content.split())), None)
    assert hit is not None, [p.content[:80] for p in top]
    assert hit.meta["passage_language"] == "de"


@pytest.mark.slow
def test_the_answer_says_when_it_quotes_text_in_another_language(german_index):
    from app.service import open_asker

    asker = open_asker(german_index)
    for question in ("Who was funded to digitise historical forest areas?",
                     "Which water utility rehabilitated the drinking water network in Fürstenwalde?"):
        answer = asker.ask(question)
        cited = answer.citations or answer.nearest
        languages = {c.language for c in cited}
        assert answer.question_language == "en" and cited and languages <= {"en", "de"}
        assert answer.other_languages == sorted(languages - {"en"})
        assert ("Found in German text; your question is in English" in answer.language_note) == ("de" in languages)
        assert answer.to_json()["answer_languages"] == sorted(languages)
        data = answer.to_json()["translations"]
        assert data and all(t["language"] == "de" and t["words"] and t["origin"] in ("glossary", "vocabulary") for t in data)
        assert ("Also searched the German text for:" in answer.translation_note) == ("de" in languages)


def test_the_translation_note_lists_the_words_searched_in_the_quoted_language():
    from qa.types import Answer, Citation

    cite = Citation(n=1, doc_id="d", title="t", region="r", country="DE", doc_type="op-operations", page=248,
                    sentence="Errichtung einer Flugschule", passage_id="p", span=(0, 27), page_offset=0, language="de",
                    file="f.pdf")
    answer = Answer("Who set up a flight school?", True, [("Errichtung einer Flugschule", 1)], [cite], [],
                    question_language="en",
                    translations=[{"source": "flight school", "language": "de", "words": ["Flugschule"], "origin": "vocabulary"},
                                  {"source": "set up", "language": "de", "words": ["Errichtung", "Aufbau"], "origin": "glossary"},
                                  {"source": "school", "language": "fr", "words": ["école"], "origin": "glossary"}])
    assert answer.translation_note == ("Also searched the German text for: Flugschule (flight school), "
                                       "Errichtung (set up), Aufbau (set up).")
    answer.citations[0].language = "en"
    assert answer.translation_note == "" and answer.language_note == ""


def test_translations_count_for_the_question_terms_they_translate_in_a_sentence_of_that_language():
    from qa.terms import content_terms, term_overlap, translated_terms

    terms = content_terms("Who set up a flight school?")
    translations = [{"source": "flight school", "language": "de", "words": ["Flugschule"], "origin": "vocabulary"},
                    {"source": "set", "language": "fr", "words": ["établir"], "origin": "vocabulary"}]
    german = "Errichtung einer Flugschule in Schönhagen"
    assert term_overlap(terms, german) == 0
    alternatives = translated_terms(translations, "de")
    assert alternatives.keys() == {"flight", "school"}  # a pair's translation counts for both words
    assert term_overlap(terms, german, alternatives) == pytest.approx(
        (terms["flight"] + terms["school"]) / sum(terms.values()))
    assert translated_terms(translations, "it") == {}


@pytest.mark.slow
def test_question_language_is_english_for_short_english_questions_and_detected_otherwise():
    from nlp.language import question_language

    assert question_language("Who was funded to digitise historical forest areas?") == "en"
    assert question_language("What role do DIHs play in RIS3?") == "en"
    assert question_language("Welche Rolle spielen Reallabore in der Strategie der Region?") == "de"
    assert question_language("Quels sont les domaines de spécialisation intelligente de la région ?") == "fr"
