"""top_overlap: the share of a reference's top passages another ranking keeps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from index.embed.agreement import top_overlap


def test_counts_the_shared_passages_of_each_query() -> None:
    reference = np.array([[0.9, 0.8, 0.1, 0.0], [0.0, 0.1, 0.8, 0.9]], dtype=np.float32)
    other = np.array([[0.9, 0.0, 0.8, 0.1], [0.0, 0.1, 0.9, 0.8]], dtype=np.float32)
    # First query: {0, 1} against {0, 2}, one of two; second: {2, 3} both ways.
    assert top_overlap(reference, other, depth=2) == pytest.approx(0.75)


def test_fewer_passages_than_the_depth_compares_them_all() -> None:
    scores = np.array([[0.3, 0.2, 0.1]], dtype=np.float32)
    assert top_overlap(scores, scores[:, ::-1].copy()) == 1.0


def test_matrices_of_different_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        top_overlap(np.zeros((2, 5), np.float32), np.zeros((2, 4), np.float32))


@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 6), st.integers(1, 30)),
        elements=st.floats(-1, 1, width=32),
    ),
    st.integers(1, 12),
)
def test_a_ranking_agrees_with_itself_and_a_share_stays_in_0_to_1(
    scores: np.ndarray, depth: int
) -> None:
    assert top_overlap(scores, scores, depth) == 1.0
    assert 0.0 <= top_overlap(scores, -scores, depth) <= 1.0
