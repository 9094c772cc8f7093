"""The library's heat map: how much of every two stories is told by both, from stored vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from index.compare.stories import PASSAGE_THRESHOLD
from index.compare.story_matrix import clustered_order, story_matrix, story_similarities
from index.search.library import Library
from tests.index.cli.test_cli import storylens
from tests.index.compare.conftest import unit_vectors

DIMENSION = 32


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    return unit_vectors(rng, n, DIMENSION)


def test_a_story_that_retells_half_of_another_covers_half_of_the_two() -> None:
    rng = np.random.default_rng(3)
    original = unit(rng, 6)
    half_retold = np.concatenate([original[:3], unit(rng, 3)])
    stranger = unit(rng, 4)
    closeness, covered = story_similarities([original, half_retold, stranger])
    # Three of six passages on each side have their copy in the other: 6 of 12.
    assert covered[0, 1] == covered[1, 0] == 0.5
    assert covered[0, 2] == covered[1, 2] == 0.0
    assert np.all(np.diag(covered) == 1.0) and np.all(np.diag(closeness) == 1.0)
    assert closeness[0, 1] > closeness[0, 2] > 0.0


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(1, 9), min_size=1, max_size=7),
    seed=st.integers(0, 1000),
    rows_at_once=st.integers(1, 20),
)
def test_the_measures_are_symmetric_shares_whatever_the_blocks(
    counts: list[int], seed: int, rows_at_once: int
) -> None:
    """Any library: both matrices symmetric and in 0..1, and what the whole passage-by-passage
    product gives directly, whatever block of rows the half product is computed in (a block
    may end inside a story)."""
    import index.compare.story_matrix as module

    rng = np.random.default_rng(seed)
    stories = [unit(rng, n) for n in counts]
    kept, module._ROWS_AT_ONCE = module._ROWS_AT_ONCE, rows_at_once
    try:
        closeness, covered = story_similarities(stories)
    finally:
        module._ROWS_AT_ONCE = kept
    assert np.allclose(covered, covered.T) and np.allclose(closeness, closeness.T)
    assert covered.min() >= 0.0 and closeness.max() <= 1.0 + 1e-6
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    everything = np.concatenate(stories)
    best = np.clip(np.maximum.reduceat(everything @ everything.T, starts, axis=1), 0.0, 1.0)
    both = np.add.outer(counts, counts)
    closest = np.add.reduceat(best, starts, axis=0)
    expected = (closest + closest.T) / both
    np.fill_diagonal(expected, 1.0)
    assert np.allclose(closeness, expected, atol=1e-5)
    told = np.add.reduceat((best >= PASSAGE_THRESHOLD).astype(np.float32), starts, axis=0)
    expected = (told + told.T) / both
    np.fill_diagonal(expected, 1.0)
    assert np.allclose(covered, expected)
    assert sorted(clustered_order(covered)) == list(range(len(counts)))


def test_clustering_puts_stories_that_tell_alike_side_by_side() -> None:
    similarity = np.eye(4, dtype=np.float32)
    similarity[0, 2] = similarity[2, 0] = 0.9
    similarity[1, 3] = similarity[3, 1] = 0.8
    order = clustered_order(similarity)
    assert abs(order.index(0) - order.index(2)) == 1
    assert abs(order.index(1) - order.index(3)) == 1


def test_a_draft_and_its_original_are_the_closest_stories(samples_and_draft: Library) -> None:
    matrix = story_matrix(samples_and_draft)
    titles = [s.title for s in matrix.stories]
    assert len(titles) == 5
    original = next(s for s in matrix.stories if s.path.endswith("sofia-kalejs.txt"))
    draft = next(s for s in matrix.stories if s.path.endswith("sofia-kalejs-draft.txt"))
    pairs = matrix.pairs()
    assert {pairs[0][0].id, pairs[0][1].id} == {original.id, draft.id}
    # Closer than any two of the sample stories, which are four ballerinas' lives written
    # alike, by a clear margin; seven of the draft's nine passages retell the original.
    assert pairs[0][2] > pairs[1][2] + 0.1
    assert pairs[0][3] > 0.75
    # They sit next to each other on the map, and the matrix is kept for this generation.
    assert abs(titles.index(original.title) - titles.index(draft.title)) == 1
    assert story_matrix(samples_and_draft) is matrix
    assert story_matrix(samples_and_draft, [original.id, draft.id]).closeness.shape == (2, 2)


def test_heatmap_on_the_command_line(samples_and_draft: Library, tmp_path: Path) -> None:
    index = samples_and_draft.layout.path
    said = storylens("heatmap", "-k", "2", index=index)
    assert said.returncode == 0, said.stderr
    lines = said.stdout.splitlines()
    assert len(lines) == 2 and lines[0].endswith("Sofia Kalejs  |  Sofia Kalejs Draft")
    shown = json.loads(storylens("heatmap", "--json", index=index).stdout)
    assert len(shown["stories"]) == len(shown["closeness"]) == 5
    two = storylens(
        "heatmap", "--story", "Romy Baktybekova", "--story", "Camilla Roche", "--json", index=index
    )
    assert len(json.loads(two.stdout)["stories"]) == 2
    written = tmp_path / "map.csv"
    assert storylens("heatmap", "--format", "csv", "-o", str(written), index=index).returncode == 0
    assert len(written.read_text("utf-8").splitlines()) == 1 + 10  # every pair of five, once
    assert storylens("heatmap", "-k", "0", index=index).returncode == 2


def test_align_several_stories_on_the_command_line(samples_and_draft: Library) -> None:
    index = samples_and_draft.layout.path
    names = ("sofia-kalejs.txt", "sofia-kalejs-draft.txt", "Sofia Kalmurzaeva")
    shown = storylens("align", *names, "--json", index=index)
    assert shown.returncode == 0, shown.stderr
    payload = json.loads(shown.stdout)
    assert [s["story"] for s in payload["stories"]] == [
        "Sofia Kalejs",
        "Sofia Kalejs Draft",
        "Sofia Kalmurzaeva",
    ]
    assert all(len(row["cells"]) == 3 for row in payload["rows"])
    said = storylens("align", *names, index=index)
    assert "each aligned with Sofia Kalejs" in said.stdout and "told by 3 of 3" in said.stdout
    page = storylens("align", *names, "--format", "html", index=index)
    assert page.stdout.count("<th>") == 3 and "<mark" in page.stdout
