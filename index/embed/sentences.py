"""Sentence vectors from the passage's own forward pass.

The model's token vectors are mean-pooled over each sentence's span (the passage vector is their
mean over the whole passage). Embedding every sentence again would about double the embedding
time for no better ranking (benchmarks/eval measures both).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from index.embed.outputs import normalised, passage_tokens, real_tokens
from index.errors import BuildCancelled

if TYPE_CHECKING:
    from index.embed.model import Embedder

Vectors = npt.NDArray[np.float32]
Span = tuple[int, int]


def embed_with_sentences(
    embedder: Embedder,
    texts: Sequence[str],
    sentence_spans: Sequence[Sequence[Span]],
    *,
    token_counts: Sequence[int] | None = None,
    cancel: threading.Event | None = None,
    on_batch: Callable[[int], None] | None = None,
    on_embedded: Callable[[list[int], Vectors, list[Vectors], list[Vectors]], None] | None = None,
) -> tuple[Vectors, list[Vectors]]:
    """Passage vectors and, from the same forward pass, each passage's sentence vectors.

    `sentence_spans[i]` are offsets into `texts[i]`. The passage vector is exactly what
    `embedder.encode` gives (the model's own pooling); sentence vectors pool the same tokens.
    After each batch, `on_batch(its size)` and `on_embedded(its indices, their passage
    vectors, their sentence vectors, their token vectors)`: each word token's vector in
    context, unit length, a long passage's pooled (passage_tokens: what token match compares,
    index/store/tokens.py).
    `token_counts[i]`, where given, is `texts[i]`'s length in the model's tokens (a build has
    it from cutting the passages), so the texts are not tokenized once more to batch them.
    """
    dimension = embedder.dimension
    passages = np.empty((len(texts), dimension), dtype=np.float32)
    sentences: list[Vectors] = [np.empty((0, dimension), dtype=np.float32)] * len(texts)
    order = by_length(embedder, texts, token_counts)
    for first in range(0, len(order), embedder.batch_size):
        if cancel is not None and cancel.is_set():
            raise BuildCancelled
        batch = order[first : first + embedder.batch_size]
        outputs = embedder.forward_tokens([texts[i] for i in batch])
        pooled: list[Vectors] = []
        tokens: list[Vectors] = []
        for out, i in zip(outputs, batch, strict=True):
            tokens.append(passage_tokens(texts[i], *real_tokens(out.tokens, out.spans)))
            passages[i] = out.pooled / max(float(np.linalg.norm(out.pooled)), 1e-12)
            if len(out.spans) == len(out.tokens):
                pooled.append(
                    pool_sentences(out.tokens, out.spans, sentence_spans[i], normalise=False)
                )
            else:  # tokenizer and model disagree: no sentence vectors beat wrong ones
                pooled.append(np.empty((0, out.tokens.shape[1]), dtype=np.float32))
        # Through the model's own modules after pooling (a Dense projection in many models),
        # so sentence vectors live where passage vectors do.
        finished = np.split(
            normalised(embedder.after_pooling(np.concatenate(pooled))),
            np.cumsum([len(p) for p in pooled])[:-1],
        )
        for vectors, i in zip(finished, batch, strict=True):
            sentences[i] = vectors
            if len(vectors) != len(sentence_spans[i]):  # the disagreement above
                sentences[i] = np.repeat(passages[i][None, :], len(sentence_spans[i]), axis=0)
        if on_embedded is not None:
            on_embedded(batch, passages[batch], [sentences[i] for i in batch], tokens)
        if on_batch is not None:
            on_batch(len(batch))
    return passages, sentences


def by_length(
    embedder: Embedder, texts: Sequence[str], token_counts: Sequence[int] | None = None
) -> list[int]:
    """The texts' indices, longest first in the model's tokens (as far as it reads them), so
    that each batch pads its texts to about the same length. Characters are a poor proxy: cut
    into batches of 64, texts sorted by characters carried 1.6 times the padding tokens of the
    same texts sorted by tokens (benchmarks/README.md, run W). Counted here unless given."""
    tokens = embedder.tokens
    counts = token_counts if token_counts is not None else [tokens.count(t) for t in texts]
    lengths = [min(count, tokens.max_tokens) for count in counts]
    return sorted(range(len(texts)), key=lambda i: lengths[i], reverse=True)


def pool_sentences(
    token_vectors: npt.NDArray[np.float32],
    token_spans: Sequence[tuple[int, int]],
    sentence_spans: Sequence[tuple[int, int]],
    *,
    normalise: bool = True,
) -> Vectors:
    """Mean of the token vectors inside each sentence span (passage offsets), normalised unless
    told not to (when the model's modules after pooling come next).

    `token_spans[i]` is the character span of token i ((0, 0) for special tokens). A sentence
    past the model's reach (its tokens truncated) gets the mean over all tokens instead.
    """
    starts = np.fromiter((s for s, _ in token_spans), dtype=np.int64, count=len(token_spans))
    ends = np.fromiter((e for _, e in token_spans), dtype=np.int64, count=len(token_spans))
    real = ends > starts
    out = np.empty((len(sentence_spans), token_vectors.shape[1]), dtype=np.float32)
    whole = token_vectors.mean(axis=0)
    for row, (start, end) in enumerate(sentence_spans):
        inside = real & (starts < end) & (ends > start)
        out[row] = token_vectors[inside].mean(axis=0) if inside.any() else whole
    return normalised(out) if normalise else out
