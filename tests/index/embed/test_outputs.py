"""What a passage keeps of its tokens for token match: the tokens of its words."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from index.embed.outputs import word_tokens
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
