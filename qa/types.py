"""The records an answer is made of: the Answer (sentences, citations, the passages read) and the
Citation of one sentence (document, page, span). Citations are data; they are built in one place
(qa/citations.py) and rendered by app/render."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from haystack import Document

from nlp.text import passage_language

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "it": "Italian", "es": "Spanish", "pt": "Portuguese",
                  "pl": "Polish", "cs": "Czech", "lt": "Lithuanian", "nl": "Dutch", "fi": "Finnish", "sv": "Swedish",
                  "el": "Greek", "ro": "Romanian", "et": "Estonian", "mt": "Maltese", "sk": "Slovak", "hu": "Hungarian"}

NO_ANSWER = "The corpus does not seem to answer this question. The nearest passages are listed below."


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    region: str
    country: str
    doc_type: str
    page: int
    sentence: str
    passage_id: str
    span: tuple[int, int]  # character span of the sentence in the passage text
    page_offset: int  # character offset of the sentence in the page's cleaned text
    language: str = ""
    file: str = ""
    section: str = ""  # the section path of the sentence ("4 Priorities › 4.1 Energy"), from its headings


@dataclass
class Answer:
    question: str
    answered: bool
    sentences: list[tuple[str, int]]  # (sentence, citation number)
    citations: list[Citation]
    passages: list[Document]
    elapsed_ms: float = 0.0
    id: str | int | None = None
    scores: list[float] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # names in the question the corpus never mentions
    nearest: list[Citation] = field(default_factory=list)  # unanswered: the best sentence below the threshold
    question_language: str = ""  # detected (langdetect); "" when undecidable
    translations: list[dict] = field(default_factory=list)  # what joined the keyword query (index/retrieval.py)
    absent: dict = field(default_factory=dict)  # focus terms the scope never mentions (qa/abstain.py Absence.as_dict)
    data: dict = field(default_factory=dict)  # the bundled data's answer beside the text (analysis/data_answers.py)

    @property
    def other_languages(self) -> list[str]:
        """Languages of the cited sentences that differ from the question's: the answer was found
        in text written in another language (it is quoted as written, not translated)."""
        if not self.question_language:
            return []
        cited = self.citations or self.nearest
        return sorted({c.language for c in cited if c.language and c.language != self.question_language})

    @property
    def language_note(self) -> str:
        if not self.other_languages:
            return ""
        names = ", ".join(LANGUAGE_NAMES.get(x, x) for x in self.other_languages)
        return (f"Found in {names} text; your question is in {LANGUAGE_NAMES.get(self.question_language, self.question_language)}. "
                "Quoted as written.")

    @property
    def translation_note(self) -> str:
        """The words the question was also searched for in the languages the answer quotes
        ("Also searched the German text for: Flugschule (flight school), ..."); "" when the
        answer is in the question's language."""
        parts = []
        for lang in self.other_languages:
            words = list(dict.fromkeys(f"{w} ({t['source']})" for t in self.translations if t["language"] == lang
                                       for w in t["words"]))
            if words:
                more = f", +{len(words) - 8} more" if len(words) > 8 else ""
                parts.append(f"Also searched the {LANGUAGE_NAMES.get(lang, lang)} text for: {', '.join(words[:8])}{more}.")
        return " ".join(parts)

    @property
    def text(self) -> str:
        if not self.answered and self.absent:
            return f"{self.absent['message']} The nearest passages are listed below."
        if not self.answered and self.missing:
            return f"The corpus does not mention {', '.join(self.missing)}: it does not seem to answer this question. " \
                   "The nearest passages are listed below."
        if not self.answered:
            return NO_ANSWER
        said = " ".join(f"{s} [{n}]" for s, n in self.sentences)
        if self.absent:  # answered all the same: the closest sentences the scope has
            return f"{self.absent['message']} The closest sentences it has: {said}"
        return said

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "missing_terms": self.missing,
            "absent": self.absent or None,
            "data_answer": self.data or None,
            "question_language": self.question_language,
            "answer_languages": sorted({c.language for c in (self.citations or self.nearest) if c.language}),
            "language_note": self.language_note,
            "translations": self.translations,
            "citations": [{**asdict(c), "span": list(c.span)} for c in self.citations],
            "nearest": [{**asdict(c), "span": list(c.span)} for c in self.nearest],
            "passages": [passage_json(rank, p) for rank, p in enumerate(self.passages, start=1)],
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def passage_json(rank: int, p: Document) -> dict:
    m = p.meta
    return {
        "rank": rank,
        "id": p.id,
        "doc_id": m.get("doc_id", ""),
        "title": m.get("title", ""),
        "file": m.get("file", ""),
        "doc_type": m.get("doc_type", ""),
        "region": m.get("region", ""),
        "country": m.get("country", ""),
        "language": passage_language(m),
        "page_start": m.get("page_start"),
        "page_end": m.get("page_end"),
        "text": p.content,
        "score": round(float(p.score or 0.0), 6),
    }
