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

import logging
from collections.abc import Callable, Sequence
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


# From this many passages on, the word indexes are built in a separate process (see
# write_search_files); below it they take milliseconds.
SEPARATE_PROCESS_FROM = 5_000


def write_search_files(
    generation: Path, store: Store, sentences: SentenceIndex, *, separate: bool | None = None
) -> None:
    """Write the sentence vectors (in the layout their number calls for), then the keyword
    and phrase indexes of every passage now in `store`.

    The word indexes are built in a separate process when `separate` is True, or None and the
    library has SEPARATE_PROCESS_FROM passages or more: folding, stemming and bm25s's indexing
    hold the GIL for stretches of 100-300 ms at 10,000 passages when other threads want it,
    which froze the window for as long during every rebuild while it watched its folders
    (benchmarks/README.md, run P). Where a process cannot be started, they are built here."""
    sentences.fitted().write(generation / SENTENCES_NAME)
    ids: list[int] = []
    texts: list[str] = []
    for story in store.stories():
        text = store.story_text(story.id)
        for row in store.story_passages(story.id):
            ids.append(row.id)
            texts.append(text[row.start : row.end])
    if separate is None:
        separate = len(ids) >= SEPARATE_PROCESS_FROM
    if not separate or not _in_separate_process(write_word_indexes, generation, ids, texts):
        write_word_indexes(generation, ids, texts)


def write_word_indexes(generation: Path, passage_ids: list[int], texts: list[str]) -> None:
    """The keyword index (BM25 over stems) and the phrase index (the folded words) of these
    passages, from one folding of each, so a phrase index row is a keyword index row."""
    stemmed: list[list[str]] = []
    joined: list[str] = []
    for text in texts:
        folded = words(text)
        stemmed.append(stem_words(folded))
        joined.append(" ".join(folded))
    KeywordIndex.from_stems(passage_ids, stemmed).save(generation)
    del stemmed
    PhraseIndex.write(generation / PHRASES_NAME, joined)


def _in_separate_process(work: Callable[..., None], *args: object) -> bool:
    """Run `work(*args)` in a new Python process and wait for it (waiting holds no GIL). False
    when no process could be started or it died: the caller then does the work here, over
    whatever it left. An error raised by `work` itself is raised here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: the window's process has Qt's, torch's and the pool's threads running
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            future = pool.submit(work, *args)
            future.result()
    except BrokenProcessPool as exc:
        logging.getLogger(__name__).warning("word indexes built in this process: %s", exc)
        return False
    return True


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
