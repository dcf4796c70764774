"""Honest abstention (qa/abstain.py): a question whose focus term its scope never mentions says
which term and which scope, and names the other documents that do mention it."""
import math

import pytest

from app.settings import Settings
from qa.abstain import Absence, absent_weight_share, settle
from qa.rerank import named_regions
from qa.types import Answer, Citation

REGIONS = ["Northern Netherlands (Groningen, Fryslân, Drenthe)", "Estonia (national)", "Czechia (14 regions)",
           "Lithuania", "Lithuania (national)", "South Ostrobothnia (Etelä-Pohjanmaa)", "Baden-Württemberg"]


def test_the_message_names_the_term_the_scope_and_the_other_documents():
    a = Absence(["hydrogen"], "The Northern Netherlands documents",
                [("de-brandenburg-ops", "Brandenburg list of operations", 2)], others=1)
    assert a.message == ("The Northern Netherlands documents do not mention hydrogen; 1 other document does: "
                         "Brandenburg list of operations (2 passages).")
    assert Absence(["graphene"], "The corpus").message == "The corpus does not mention graphene."
    many = Absence(["x"], "Lubelskie strategy", [("a", "A", 3), ("b", "B", 1)], others=5)
    assert many.message.endswith("5 other documents do: A (3 passages); B (1 passage); and 3 more.")


def _answer(score: float, missing=()) -> Answer:
    c = Citation(n=1, doc_id="d", title="D", region="", country="", doc_type="ris3", page=3,
                 sentence="Hydrogen valleys are planned.", passage_id="p", span=(0, 29), page_offset=0)
    return Answer("hydrogen?", True, [(c.sentence, 1)], [c], [], scores=[score], missing=list(missing))


def test_an_unmentioned_focus_term_turns_a_weak_answer_into_an_abstention_citing_its_nearest_sentence():
    absent = Absence(["hydrogen"], "The Lubelskie documents")
    weak = settle(_answer(0.4), absent, confident=0.525)
    assert not weak.answered and weak.absent["terms"] == ["hydrogen"]
    assert [c.sentence for c in weak.nearest] == ["Hydrogen valleys are planned."]
    strong = settle(_answer(0.6), absent, confident=0.525)
    assert strong.answered and strong.absent["scope"] == "The Lubelskie documents"  # stands, with the notice
    assert settle(_answer(0.4), None, confident=0.525).answered  # nothing unmentioned: unchanged
    unknown = _answer(0.4, missing=["Bratislava"])
    assert settle(unknown, absent, confident=0.525) is unknown and not unknown.absent  # said by its own notice


def test_unmentioned_terms_carrying_enough_of_the_question_turn_even_a_confident_answer_into_an_abstention():
    minor = Absence(["dozens"], "The Lubelskie documents", share=0.1)
    major = Absence(["PEST", "TOWS"], "The SWOT guideline", share=0.45)
    assert settle(_answer(0.9), minor, confident=0.7, absent_share=0.4).answered  # a paraphrase's word
    held = settle(_answer(0.9), major, confident=0.7, absent_share=0.4)
    assert not held.answered and held.absent["terms"] == ["PEST", "TOWS"] and held.absent["share"] == 0.45
    assert settle(_answer(0.9), major, confident=0.7, absent_share=1.01).answered  # above 1: never


@pytest.mark.slow
def test_the_share_weighs_each_focus_term_by_rarity_and_a_name_no_passage_holds_as_the_rarest(asker):
    asker.warm_up()
    question = "Which hydrogen and Zeppelin projects does the Lubelskie strategy fund?"
    tr = asker.retriever.translate(question)
    scope = asker.index.resolve_filters(region="Lubelskie")
    absence = asker.focus.check(question, tr, scope, {"Lubelskie"}, "The Lubelskie documents")
    assert absence is not None and "Zeppelin" in absence.terms and 0 < absence.share < 1
    kw = asker.index.keyword_index
    terms = asker.focus.focus_terms(question, {"Lubelskie"})
    assert kw.idf("zeppelin") == 0 and len(terms) > len(absence.terms)
    rarest = math.log(1 + (len(kw.ids) + 0.5) / 0.5)
    seen = [kw.idf(t.lower()) for t in terms if kw.idf(t.lower())]
    weight = {t: kw.idf(t.lower()) or (rarest if t[0].isupper() else sum(seen) / len(seen)) for t in terms}
    assert weight["Zeppelin"] == rarest >= max(weight.values())
    assert absence.share == pytest.approx(sum(weight[t] for t in absence.terms) / sum(weight.values()))


def test_a_lower_case_word_no_passage_holds_weighs_as_an_ordinary_term_not_the_rarest():
    # "What did the tourism focus group conclude?" in a two-document index: "conclude" is the
    # asker's word, not the question's subject; "TOWS" is a name nothing mentions
    idf = {"tourism": 1.0, "focus": 2.0, "group": 3.0, "conclude": 0.0, "TOWS": 0.0}
    n = 40
    rarest = math.log(1 + (n + 0.5) / 0.5)
    share = absent_weight_share(["tourism", "focus", "group", "conclude"], ["conclude"], idf, n)
    assert share == pytest.approx(2.0 / 8.0)
    share = absent_weight_share(["tourism", "TOWS"], ["TOWS"], idf, n)
    assert share == pytest.approx(rarest / (1.0 + rarest))
    assert absent_weight_share(["conclude"], ["conclude"], idf, n) == pytest.approx(1.0)


def test_a_region_is_named_by_its_short_name_or_a_name_in_its_brackets():
    assert named_regions("What does the Northern Netherlands strategy say about hydrogen?", REGIONS) == {REGIONS[0]}
    assert named_regions("Which part of Groningen is shrinking?", REGIONS) == {REGIONS[0]}
    assert named_regions("Estonia R&D spending", REGIONS) == {"Estonia (national)"}
    assert named_regions("living labs Etela-Pohjanmaa", REGIONS) == {REGIONS[5]}
    assert named_regions("the national strategies of all 14 regions", REGIONS) == set()  # coverage notes are no names
    assert named_regions("Wurttemberg", REGIONS) == set()  # a part of a hyphenated name is not the name


def test_the_environment_turns_abstention_off():
    assert Settings.from_env({}).absence is not None
    assert Settings.from_env({"RIS3_ABSTAIN": "0"}).absence is None
    with pytest.raises(ValueError, match="RIS3_ABSTAIN"):
        Settings.from_env({"RIS3_ABSTAIN": "perhaps"})


@pytest.mark.slow
def test_a_term_the_named_regions_documents_never_mention_is_said_and_not_answered(asker):
    answer = asker.ask("What does the Northern Netherlands strategy say about hydrogen?")
    assert answer.absent["terms"] == ["hydrogen"]  # abstaining, or a confident answer with the notice before it
    assert answer.text.startswith("The Northern Netherlands documents do not mention hydrogen")
    assert answer.passages  # the nearest passages are still given
    assert answer.to_json()["absent"]["scope"] == "The Northern Netherlands documents"


@pytest.mark.slow
def test_a_filtered_scope_is_named_by_its_document(asker):
    from qa.service import Filters

    answer = asker.ask("What does the strategy say about hydrogen?", Filters(doc_id="nl-northern-netherlands-ris3"))
    assert answer.absent["terms"] == ["hydrogen"]
    title = asker.index.document("nl-northern-netherlands-ris3").meta["title"]
    assert answer.text.startswith(f"{title} does not mention hydrogen")


@pytest.mark.slow
def test_a_paraphrased_question_whose_words_the_scope_holds_is_still_answered(asker):
    answer = asker.ask("What did the South Moravian partners learn from testing services with companies?")
    assert answer.answered and not answer.absent


@pytest.mark.slow
def test_a_question_closing_on_its_verb_after_do_support_does_not_make_the_verb_a_focus_term():
    import spacy

    from nlp.entities import MODEL
    from qa.abstain import supported_verb

    tagger = spacy.load(MODEL, exclude=["parser", "ner", "lemmatizer", "senter"])
    doc = tagger("What did the tourism focus group conclude?")  # the small tagger reads 'conclude' as NN
    assert doc[supported_verb(doc)].text == "conclude"
    for question in ("Does the strategy cover hydrogen?", "What does the strategy say about hydrogen?",
                     "What does the abbreviation HESS stand for in the Lubelskie innovation strategy?"):
        assert supported_verb(tagger(question)) == -1, question
