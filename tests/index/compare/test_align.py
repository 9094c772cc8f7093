"""Sentence alignment on the real model and the sample stories, and the matching's guarantees
checked against brute force on arbitrary score matrices."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from index.compare.align import (
    DEFAULT_THRESHOLD,
    AlignedPair,
    align_passages,
    match_sentences,
    passage_sentences,
    same_moment,
)
from index.search.library import Library
from index.search.results import Passage


@pytest.fixture(scope="module")
def lib(seed_index: Path, embedder: object) -> Iterator[Library]:
    from index.embed.model import Embedder

    assert isinstance(embedder, Embedder)
    with Library.open(seed_index, embedder=embedder) as library:
        yield library


def passage_with(lib: Library, story: str, phrase: str) -> Passage:
    found = [p for p in lib.passages(lib.find_story(story).id) if phrase in p.text]
    assert len(found) == 1, f"{phrase!r} in {story}"
    return found[0]


@pytest.fixture(scope="module")
def bows(lib: Library) -> tuple[Passage, Passage]:
    """The same moment in two stories: the final bow and the applause."""
    return (
        passage_with(lib, "Camilla Roche", "took a triumphant bow"),
        passage_with(lib, "Sofia Kalejs", "As she took her final bow"),
    )


def test_the_bow_and_applause_sentences_are_aligned(
    lib: Library, bows: tuple[Passage, Passage]
) -> None:
    alignment = align_passages(lib, *bows)
    joined = [
        (alignment.left_sentences[p.left_index].text, alignment.right_sentences[p.right_index].text)
        for p in alignment.pairs
    ]
    audience = next(s.text for s in alignment.left_sentences if "triumphant bow" in s.text)
    partners = [right for left, right in joined if left == audience]
    assert partners, joined
    assert "final bow" in partners[0] or "applause was thunderous" in partners[0]
    # a sentence that tells nothing of the bow is not dragged into a pair
    mother = next(i for i, s in enumerate(alignment.right_sentences) if "mother's words" in s.text)
    assert mother in alignment.right_only
    assert 0.3 < alignment.similarity < 1.0


def test_sides_partition_the_sentences_and_pairs_are_one_to_one(
    lib: Library, bows: tuple[Passage, Passage]
) -> None:
    alignment = align_passages(lib, *bows, threshold=0.3)
    lefts = [p.left_index for p in alignment.pairs]
    rights = [p.right_index for p in alignment.pairs]
    assert len(set(lefts)) == len(lefts) and len(set(rights)) == len(rights)
    assert lefts == sorted(lefts)
    assert sorted([*lefts, *alignment.left_only]) == list(range(len(alignment.left_sentences)))
    assert sorted([*rights, *alignment.right_only]) == list(range(len(alignment.right_sentences)))
    assert all(p.score >= 0.3 for p in alignment.pairs)
    for pair in alignment.pairs:
        assert pair.score == pytest.approx(alignment.matrix[pair.left_index, pair.right_index])


def test_sentences_are_the_passage_text_at_their_story_offsets(
    lib: Library, bows: tuple[Passage, Passage]
) -> None:
    left = bows[0]
    story = lib.story_text(left.story_id)
    sentences = passage_sentences(left)
    assert len(sentences) == len(left.sentences) >= 3
    for sentence in sentences:
        assert story[sentence.start : sentence.end].strip() == sentence.text


def test_a_higher_threshold_never_adds_pairs(lib: Library, bows: tuple[Passage, Passage]) -> None:
    alignment = align_passages(lib, *bows, threshold=0.0)
    counts = [len(alignment.with_threshold(t / 100).pairs) for t in range(0, 101, 2)]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == min(len(alignment.left_sentences), len(alignment.right_sentences))
    assert counts[-1] == 0
    assert alignment.with_threshold(DEFAULT_THRESHOLD).matrix is alignment.matrix  # no re-embedding


def test_identical_passages_align_every_sentence_with_itself(
    lib: Library, bows: tuple[Passage, Passage]
) -> None:
    passage = bows[1]
    alignment = align_passages(lib, passage, passage)
    assert [(p.left_index, p.right_index) for p in alignment.pairs] == [
        (i, i) for i in range(len(alignment.left_sentences))
    ]
    assert all(p.score == pytest.approx(1.0, abs=1e-5) for p in alignment.pairs)
    assert alignment.left_only == alignment.right_only == ()
    assert alignment.similarity == pytest.approx(1.0, abs=1e-5)


def test_swapping_mirrors_the_alignment(lib: Library, bows: tuple[Passage, Passage]) -> None:
    alignment = align_passages(lib, *bows)
    swapped = alignment.swapped()
    assert swapped.left == alignment.right and swapped.right == alignment.left
    assert {(p.right_index, p.left_index) for p in swapped.pairs} == {
        (p.left_index, p.right_index) for p in alignment.pairs
    }
    assert swapped.left_only == alignment.right_only
    assert swapped.similarity == alignment.similarity
    direct = align_passages(lib, bows[1], bows[0])
    assert [(p.left_index, p.right_index) for p in direct.pairs] == [
        (p.left_index, p.right_index) for p in swapped.pairs
    ]


def test_same_moment_finds_the_closest_passage_of_every_other_story(
    lib: Library, bows: tuple[Passage, Passage]
) -> None:
    camilla_bow, sofia_bow = bows
    hits = same_moment(lib, camilla_bow.id)
    others = [s.id for s in lib.stories() if s.id != camilla_bow.story_id]
    assert sorted(h.passage.story_id for h in hits) == sorted(others)
    assert [h.rank for h in hits] == list(range(1, len(others) + 1))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    kalejs = next(h for h in hits if h.passage.story_id == sofia_bow.story_id)
    assert kalejs.passage.id == sofia_bow.id
    for hit in hits:
        best = lib.similar(camilla_bow.id, k=1, stories=[hit.passage.story_id])[0]
        assert hit.passage.id == best.passage.id
        assert hit.score == pytest.approx(best.score, abs=1e-4)


def test_the_same_moment_keeps_to_the_stories_chosen_and_the_best_few(
    lib: Library, bows: tuple[Passage, Passage]
) -> None:
    camilla_bow, sofia_bow = bows
    everyone = same_moment(lib, camilla_bow.id)
    assert same_moment(lib, camilla_bow.id, limit=2) == everyone[:2]
    only = same_moment(lib, camilla_bow.id, stories=[sofia_bow.story_id, camilla_bow.story_id])
    assert [h.passage.id for h in only] == [sofia_bow.id]  # its own story is never listed
    assert same_moment(lib, camilla_bow.id, stories=[]) == []


def test_a_passage_without_sentence_offsets_is_one_sentence() -> None:
    passage = Passage(1, 1, "T", 0, 1, 10, 25, "  Short text.  ", ())
    (only,) = passage_sentences(passage)
    assert (only.start, only.end, only.text) == (10, 25, "Short text.")


# -- the matching itself, on arbitrary scores --------------------------------------------------

scores = st.integers(1, 5).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: arrays(np.float32, (rows, cols), elements=st.floats(-1, 1, width=32))
    )
)


def best_margin(matrix: np.ndarray, threshold: float) -> float:
    """Brute force: the largest summed margin any one-to-one matching above threshold has."""
    rows, cols = matrix.shape
    best = 0.0
    for chosen in itertools.permutations(range(cols), min(rows, cols)) if rows <= cols else []:
        best = max(best, sum(max(matrix[r, c] - threshold, 0) for r, c in enumerate(chosen)))
    for chosen in itertools.permutations(range(rows), cols) if rows > cols else []:
        best = max(best, sum(max(matrix[r, c] - threshold, 0) for c, r in enumerate(chosen)))
    return best


def margin(pairs: list[AlignedPair], threshold: float) -> float:
    return sum(p.score - threshold for p in pairs)


@settings(max_examples=150, deadline=None)
@given(scores, st.floats(-0.5, 0.95))
def test_matching_is_one_to_one_optimal_and_above_threshold(
    matrix: np.ndarray, threshold: float
) -> None:
    pairs = match_sentences(matrix, threshold)
    assert len({p.left_index for p in pairs}) == len(pairs)
    assert len({p.right_index for p in pairs}) == len(pairs)
    assert all(p.score >= threshold for p in pairs)
    assert margin(pairs, threshold) == pytest.approx(best_margin(matrix, threshold), abs=1e-5)


@settings(max_examples=150, deadline=None)
@given(scores, st.floats(-0.5, 0.9), st.floats(0.001, 0.5))
def test_raising_the_threshold_never_adds_pairs(
    matrix: np.ndarray, threshold: float, raise_by: float
) -> None:
    assert len(match_sentences(matrix, threshold + raise_by)) <= len(
        match_sentences(matrix, threshold)
    )
