"""The relevance shown beside each hit: the closest non-increasing sequence to its evidence."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.optimize import isotonic_regression

from index.search.relevance import evidence, shown_relevance
from index.search.results import Why

values = st.lists(st.floats(-0.5, 1.5, allow_nan=False), max_size=60)


@given(values)
@example([0.19, 0.15, 0.19, 0.02, 0.16])
def test_it_is_the_isotonic_regression_of_the_evidence(raw: list[float]) -> None:
    shown = shown_relevance(raw)
    clipped = np.clip(np.asarray(raw, dtype=np.float64), 0.0, 1.0)
    assert len(shown) == len(raw)
    assert all(0.0 <= r <= 1.0 for r in shown)
    assert all(a >= b for a, b in itertools.pairwise(shown))
    if raw:
        expected = isotonic_regression(clipped, increasing=False).x
        assert np.allclose(shown, expected, atol=1e-9)


def test_one_weak_hit_no_longer_drags_every_hit_below_it_down_to_its_value() -> None:
    shown = shown_relevance([0.19, 0.15, 0.19, 0.02, 0.16])
    assert shown == pytest.approx([0.19, 0.17, 0.17, 0.09, 0.09])
    assert shown_relevance([0.6, 0.5, 0.4]) == [0.6, 0.5, 0.4]  # in order already: as it is


def test_a_hit_read_word_by_word_is_judged_by_its_token_match() -> None:
    assert evidence(Why(dense=0.42, keyword=0.19, token_match=0.9)) == 0.9
    assert evidence(Why(dense=0.42, keyword=0.6, token_match=0.5)) == 0.6  # keywords match better
    assert evidence(Why(dense=0.42, keyword=0.1)) == 0.42  # not read word by word: its meaning
    assert evidence(Why(dense=-0.2)) == 0.0
