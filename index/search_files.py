"""The files beside the passage vectors that hybrid search reads, and how a build makes them.

    gen-NNNNNN/sentences.faiss    one vector per sentence (sentence_vectors.py)
    gen-NNNNNN/keywords.*         BM25 over every passage (keywords.py)

Sentence vectors are updated incrementally, like the passage vectors. The keyword index is
rebuilt from the stored text at every build: BM25 statistics span the whole library, and
tokenising is cheap next to embedding (measured in benchmarks/eval).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from index.errors import BuildCancelled
from index.keywords import KeywordIndex
from index.sentence_vectors import SENTENCES_NAME, SentenceIndex, pool_sentences, sentence_ids

if TYPE_CHECKING:
    from index.model import Embedder
    from index.store import Store

Vectors = npt.NDArray[np.float32]
Span = tuple[int, int]


def embed_with_sentences(
    embedder: Embedder,
    texts: Sequence[str],
    sentence_spans: Sequence[Sequence[Span]],
    *,
    cancel: threading.Event | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[Vectors, list[Vectors]]:
    """Passage vectors and, from the same forward pass, each passage's sentence vectors.

    `sentence_spans[i]` are offsets into `texts[i]`. The passage vector is exactly what
    `embedder.encode` gives (the model's own pooling); sentence vectors pool the same tokens.
    """
    dimension = embedder.dimension
    passages = np.empty((len(texts), dimension), dtype=np.float32)
    sentences: list[Vectors] = [np.empty((0, dimension), dtype=np.float32)] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    for first in range(0, len(order), embedder.batch_size):
        if cancel is not None and cancel.is_set():
            raise BuildCancelled("Cancelled; the previous index is unchanged.")
        batch = order[first : first + embedder.batch_size]
        outputs = embedder.forward_tokens([texts[i] for i in batch])
        for out, i in zip(outputs, batch, strict=True):
            passages[i] = out.pooled / max(float(np.linalg.norm(out.pooled)), 1e-12)
            if len(out.spans) == len(out.tokens):
                sentences[i] = pool_sentences(out.tokens, out.spans, sentence_spans[i])
            else:  # tokenizer and model disagree: no sentence vectors beat wrong ones
                sentences[i] = np.repeat(passages[i][None, :], len(sentence_spans[i]), axis=0)
        if on_batch is not None:
            on_batch(len(batch))
    return passages, sentences


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
    texts: list[str] = []
    for story in store.stories():
        text = store.story_text(story.id)
        for row in store.story_passages(story.id):
            ids.append(row.id)
            texts.append(text[row.start : row.end])
    KeywordIndex.build(ids, texts).save(generation)


def read_search_files(generation: Path) -> tuple[SentenceIndex, KeywordIndex]:
    return (
        SentenceIndex.read(generation / SENTENCES_NAME),
        KeywordIndex.load(generation),
    )
