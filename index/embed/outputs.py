"""What a forward pass gives for one text, and the vectors search keeps of it: shared by the
torch model (model.py) and its ONNX Runtime export (query_graph.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TokenOutput:
    """What one text gave in a forward pass (Embedder.forward_tokens)."""

    pooled: Vectors  # the model's own pooled vector, not normalised
    tokens: Vectors  # one row per token the model read, special tokens included
    spans: list[tuple[int, int]]  # the tokenizer's character span of each token; (0, 0) for
    # special tokens. Its length differs from len(tokens) only if tokenizer and model disagree.


def real_tokens(
    vectors: Vectors, spans: Sequence[tuple[int, int]]
) -> tuple[Vectors, list[tuple[int, int]]]:
    """The tokens that stand for text (not [CLS], [SEP] or padding): their vectors, unit
    length, and their character spans."""
    keep = [i for i, (start, end) in enumerate(spans[: len(vectors)]) if end > start]
    return normalised(np.asarray(vectors[keep], dtype=np.float32)), [spans[i] for i in keep]


def normalised(vectors: Vectors) -> Vectors:
    """Unit length, computed in float32: bfloat16 arithmetic leaves norms off by ~1e-3."""
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors


def word_tokens(text: str, vectors: Vectors, spans: Sequence[tuple[int, int]]) -> Vectors:
    """The rows of `text`'s tokens (real_tokens) that are part of a word, with a letter or a
    digit: what a passage keeps for token match. A punctuation token finds a close match in
    almost any passage; leaving them out ranked as well on every public set and stores an
    eighth fewer codes (benchmarks/README.md, runs X and Y). A text of punctuation alone keeps
    every token, so that it can still be matched."""
    keep = word_token_mask(text, spans)
    if not keep.any() or keep.all():
        return vectors
    return np.ascontiguousarray(vectors[keep])


def word_token_mask(text: str, spans: Sequence[tuple[int, int]]) -> npt.NDArray[np.bool_]:
    """Per token span of `text`: whether it holds a letter or a digit (part of a word)."""
    return np.fromiter(
        (any(c.isalnum() for c in text[start:end]) for start, end in spans),
        dtype=bool,
        count=len(spans),
    )
