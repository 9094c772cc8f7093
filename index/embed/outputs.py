"""What a forward pass gives for one text, and the vectors search keeps of it: shared by the
torch model (model.py) and its ONNX Runtime export (query_graph.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

# The most token vectors a passage keeps: at 36 bytes a code (store.tokens.PQ_BITS) with the
# passage's 24-byte row in the table, 110 keep every passage's token codes within 4,000 bytes.
PASSAGE_TOKENS_MAX = 110


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
    digit: what a passage keeps for token match (passage_tokens). A punctuation token finds a
    close match in almost any passage; leaving them out ranked as well on every public set and
    stores an eighth fewer codes (benchmarks/README.md, runs X and Y). A text of punctuation
    alone keeps every token, so that it can still be matched."""
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


def passage_tokens(text: str, vectors: Vectors, spans: Sequence[tuple[int, int]]) -> Vectors:
    """What a passage keeps for token match: its word tokens (word_tokens), and of a passage
    with more than PASSAGE_TOKENS_MAX of them, that many means of similar ones (pooled_tokens).
    Only long passages pool, and only their excess: a long paragraph takes no more disk than a
    passage of 110 words, at a cost measured in benchmarks/README.md (run Z)."""
    return pooled_tokens(word_tokens(text, vectors, spans), PASSAGE_TOKENS_MAX)


def pooled_tokens(vectors: Vectors, most: int) -> Vectors:
    """`vectors` (unit length) as at most `most` rows: grouped by Ward's hierarchical
    clustering, each group's mean kept at unit length (token pooling: Clavie et al., 2024,
    found it the way to keep a passage's matches with fewer vectors). `vectors` is returned
    itself when it already fits."""
    if len(vectors) <= most:
        return vectors
    return group_means(vectors, token_groups(vectors, most))


def group_means(vectors: Vectors, labels: npt.NDArray[np.int32]) -> Vectors:
    """Each group's mean at unit length, group 0 first (`labels` as token_groups numbers them)."""
    sums = np.zeros((int(labels.max(initial=-1)) + 1, vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, labels, vectors)
    return normalised(sums)  # a mean at unit length: its sum at unit length


def token_groups(vectors: Vectors, groups: int) -> npt.NDArray[np.int32]:
    """A group label per row of `vectors`, at most `groups` of them (Ward, scipy), numbered
    0, 1, ... in the order of each group's first row."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(vectors) <= max(groups, 1):
        return np.arange(len(vectors), dtype=np.int32)
    tree = linkage(vectors.astype(np.float64), method="ward")
    labels = fcluster(tree, t=groups, criterion="maxclust")
    _, firsts, group = np.unique(labels, return_index=True, return_inverse=True)
    numbered = np.empty(len(firsts), dtype=np.int32)
    numbered[np.argsort(firsts)] = np.arange(len(firsts), dtype=np.int32)
    return numbered[group]
