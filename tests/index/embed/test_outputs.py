"""What a passage keeps of its tokens for token match: the tokens of its words, a long passage's
pooled to a fixed number."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from index.embed.outputs import (
    PASSAGE_TOKENS_MAX,
    passage_tokens,
    pooled_tokens,
    word_tokens,
)
from tests.fake_embedder import FakeEmbedder


def _kept_text(text: str) -> list[str]:
    """The tokens word_tokens keeps of `text`, found again by their vectors."""
    [(vectors, spans)] = FakeEmbedder().token_vectors([text])
    kept = word_tokens(text, vectors, spans)
    by_row = {tuple(np.round(v, 5)): text[a:b] for v, (a, b) in zip(vectors, spans, strict=True)}
    return [by_row[tuple(np.round(v, 5))] for v in kept]


def test_punctuation_is_left_out_and_every_word_kept_in_order() -> None:
    text = "“No,” she said — twice. Then: 1905!"
    assert _kept_text(text) == ["No", "she", "said", "twice", "Then", "1905"]


def test_a_text_of_punctuation_alone_keeps_its_tokens() -> None:
    assert _kept_text("* * * — …") == ["*", "*", "*", "—", "…"]


@given(st.text(max_size=200))
def test_any_text_keeps_its_word_tokens_or_else_all_of_them(text: str) -> None:
    [(vectors, spans)] = FakeEmbedder().token_vectors([text])
    kept = word_tokens(text, vectors, spans)
    words = sum(any(c.isalnum() for c in text[a:b]) for a, b in spans)
    assert len(kept) == (words or len(vectors))
    assert kept.shape[1:] == vectors.shape[1:]


def _unit_rows(count: int, seed: int, dimension: int = 16) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 300), st.integers(1, 120), st.integers(1, 400), st.integers(0, 2**32 - 1))
def test_pooled_tokens_fit_the_limit_at_unit_length(
    count: int, most: int, distinct: int, seed: int
) -> None:
    """Also when tokens repeat (a word said over and over reads as near copies)."""
    vectors = _unit_rows(distinct, seed)[np.random.default_rng(seed).integers(0, distinct, count)]
    pooled = pooled_tokens(vectors, most)
    if count <= most:
        assert pooled is vectors  # a passage that fits keeps its own vectors
        return
    assert 1 <= len(pooled) <= most
    assert pooled.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)


def test_pooling_merges_the_closest_tokens_and_keeps_the_others() -> None:
    """Three near copies of one token and two distinct tokens, pooled to three: the copies
    become one (their mean), the distinct ones stay as they were, in their first order."""
    base = _unit_rows(3, seed=7)
    noise = 0.01 * _unit_rows(3, seed=8)
    copies = base[0] + noise
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    vectors = np.concatenate([base[1:2], copies, base[2:3]]).astype(np.float32)
    pooled = pooled_tokens(vectors, 3)
    assert len(pooled) == 3
    np.testing.assert_allclose(pooled[0], base[1], atol=1e-6)
    assert float(pooled[1] @ base[0]) > 0.999
    np.testing.assert_allclose(pooled[2], base[2], atol=1e-6)


def test_a_long_passage_keeps_at_most_the_limit_and_a_short_one_every_word() -> None:
    """Word and punctuation spans as a tokenizer gives them (the fake embedder reads no more
    than 62 tokens, fewer than the limit)."""
    for words in (12, PASSAGE_TOKENS_MAX, 3 * PASSAGE_TOKENS_MAX):
        text = " ".join(f"word{i}," for i in range(words))
        spans = [m.span() for m in re.finditer(r"\w+|[^\w\s]", text)]
        vectors = _unit_rows(len(spans), seed=words)
        kept = passage_tokens(text, vectors, spans)
        assert len(kept) == min(words, PASSAGE_TOKENS_MAX)
        if words <= PASSAGE_TOKENS_MAX:
            np.testing.assert_array_equal(kept, vectors[::2])  # every word, no comma
