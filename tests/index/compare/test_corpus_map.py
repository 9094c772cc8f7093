"""The corpus map: every passage as a point, from the stored vectors, by PCA."""

from __future__ import annotations

import numpy as np

from index.compare.corpus_map import corpus_map, project_on_plane
from index.search.library import Library


def test_the_plane_keeps_what_spreads_the_vectors_most() -> None:
    """Two clusters apart along one direction come out apart along the first axis; a vector
    projected later lands where its own cluster is."""
    rng = np.random.default_rng(2)
    direction = np.zeros(16, dtype=np.float32)
    direction[3] = 1.0
    near = rng.normal(0, 0.05, (30, 16)).astype(np.float32) + direction
    far = rng.normal(0, 0.05, (30, 16)).astype(np.float32) - direction
    vectors = np.concatenate([near, far])
    ids = np.arange(60, dtype=np.int64)
    plane = project_on_plane(vectors, ids, ids // 30)
    first = plane.points[:, 0]
    assert abs(first[:30].mean() - first[30:].mean()) > 1.5
    assert plane.explained[0] > 0.8
    again = plane.project(near[:1])[0]
    assert plane.nearest(float(again[0]), float(again[1])) < 30
    assert np.allclose(plane.project(vectors), plane.points, atol=1e-5)


def test_an_empty_library_has_an_empty_map() -> None:
    none = np.zeros(0, dtype=np.int64)
    plane = project_on_plane(np.zeros((0, 8), np.float32), none, none)
    assert plane.points.shape == (0, 2) and plane.nearest(0.0, 0.0) == -1


def test_every_passage_of_the_library_is_a_point(samples_and_draft: Library) -> None:
    atlas = corpus_map(samples_and_draft)
    stories = samples_and_draft.stories()
    assert len(atlas.points) == sum(s.passage_count for s in stories)
    assert set(atlas.story_ids.tolist()) == {s.id for s in stories}
    # The draft's copied passages sit where their originals do.
    original = samples_and_draft.find_story("sofia-kalejs.txt")
    draft = samples_and_draft.find_story("sofia-kalejs-draft.txt")
    place = {int(p): atlas.points[i] for i, p in enumerate(atlas.passage_ids)}
    first_original = samples_and_draft.passages(original.id)[0]
    first_copy = samples_and_draft.passages(draft.id)[1]  # the draft moved its last one first
    spread = float(np.ptp(atlas.points[:, 0]))
    assert np.linalg.norm(place[first_original.id] - place[first_copy.id]) < 0.02 * spread
    assert corpus_map(samples_and_draft) is atlas
    assert len(corpus_map(samples_and_draft, [draft.id]).points) == draft.passage_count
