"""The files beside the passage vectors that hybrid search reads, and how a build writes them.

    gen-NNNNNN/sentences.faiss    one vector per sentence (sentences.py)
    gen-NNNNNN/keywords.*         BM25 over every passage (keywords.py)
    gen-NNNNNN/phrases.sqlite     every passage's words, for "exact phrases" (phrases.py)

Sentence vectors are updated incrementally, like the passage vectors. The keyword and phrase
indexes are rebuilt from the stored text at every build: BM25 statistics span the whole
library, and tokenising is cheap next to embedding (measured in benchmarks/eval). Both come
from one folding of each passage's text, in the same order, so a phrase index row is a keyword
index row.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from index.errors import REBUILD_ADVICE, IndexCorrupt
from index.store.keywords import KeywordIndex
from index.store.phrases import PHRASES_NAME, PhraseIndex
from index.store.sentences import SENTENCES_NAME, SentenceIndex, sentence_ids
from index.text.folding import words
from index.text.stems import stem_words

if TYPE_CHECKING:
    from index.store.database import Store

Vectors = npt.NDArray[np.float32]


def open_sentence_index(old_generation: Path | None, dimension: int) -> SentenceIndex:
    if old_generation is None:
        return SentenceIndex.empty(dimension)
    return SentenceIndex.read(old_generation / SENTENCES_NAME)


def add_sentences(
    index: SentenceIndex, passage_ids: Sequence[int], vectors: Sequence[Vectors]
) -> None:
    for pid, rows in zip(passage_ids, vectors, strict=True):
        ids = sentence_ids(pid, len(rows))
        index.add(ids, rows[: len(ids)])


def write_search_files(generation: Path, store: Store, sentences: SentenceIndex) -> None:
    """Write the sentence vectors (in the layout their number calls for) and a keyword index
    of every passage now in `store`."""
    sentences.fitted().write(generation / SENTENCES_NAME)
    ids: list[int] = []
    stemmed: list[list[str]] = []
    joined: list[str] = []
    for story in store.stories():
        text = store.story_text(story.id)
        for row in store.story_passages(story.id):
            folded = words(text[row.start : row.end])
            ids.append(row.id)
            stemmed.append(stem_words(folded))
            joined.append(" ".join(folded))
    KeywordIndex.from_stems(ids, stemmed).save(generation)
    del stemmed
    PhraseIndex.write(generation / PHRASES_NAME, joined)


def read_search_files(
    generation: Path,
) -> tuple[SentenceIndex, KeywordIndex, PhraseIndex | None]:
    sentences = SentenceIndex.read(generation / SENTENCES_NAME)
    keywords = KeywordIndex.load(generation)
    phrases = PhraseIndex.open(generation)
    if phrases is not None and phrases.rows != len(keywords):
        phrases.close()
        raise IndexCorrupt(f"The phrase index does not match the keyword index. {REBUILD_ADVICE}")
    return sentences, keywords, phrases
