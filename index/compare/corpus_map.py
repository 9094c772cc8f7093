"""Every passage of the library as a point on a plane, so a person sees at a glance where their
stories lie and where a search's hits fall among them: the stored passage vectors projected on
their two principal axes (PCA), from the stored vectors, no model pass.

    atlas = corpus_map(library)
    atlas.points[i], atlas.passage_ids[i], atlas.story_ids[i]
    atlas.project(query_vector)  # where a query falls on the same plane

PCA rather than UMAP: umap-learn brings numba and llvmlite (tens of MB in the installer, which
is already over its budget) and a first-call compile of many seconds; PCA is a 384 x 384
eigenproblem, linear (a query projects onto the same axes exactly), and stable across runs.
A map is cached per index generation, which never changes once published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.search.library import Library

Vectors = npt.NDArray[np.float32]

_CACHED = 2
_cache: dict[tuple[str, tuple[int, ...] | None], CorpusMap] = {}


@dataclass(frozen=True)
class CorpusMap:
    points: Vectors  # (passages, 2), in the order of passage_ids
    passage_ids: npt.NDArray[np.int64]
    story_ids: npt.NDArray[np.int64]
    mean: Vectors  # the vectors' mean and the two axes: project() places anything alike
    axes: Vectors  # (2, dimension)
    explained: tuple[float, float]  # the share of the vectors' variance along each axis

    def project(self, vectors: Vectors) -> Vectors:
        """Points for more vectors (a query's), on the same plane."""
        centred = np.atleast_2d(vectors).astype(np.float32) - self.mean
        projected: Vectors = (centred @ self.axes.T).astype(np.float32)
        return projected

    def nearest(self, x: float, y: float) -> int:
        """The index of the point nearest (x, y); -1 on an empty map."""
        if len(self.points) == 0:
            return -1
        return int(np.argmin(((self.points - np.array([x, y], dtype=np.float32)) ** 2).sum(1)))


def corpus_map(library: Library, story_ids: Sequence[int] | None = None) -> CorpusMap:
    """The map of the stories `story_ids` (None: every story), cached per generation."""
    chosen = tuple(sorted(story_ids)) if story_ids is not None else None
    key = (str(library.generation), chosen)
    if key not in _cache:
        while len(_cache) >= _CACHED:
            del _cache[next(iter(_cache))]
        stories = [s.id for s in library.stories() if chosen is None or s.id in chosen]
        ids_by_story = library.story_passage_ids(stories)
        passage_ids = np.array([p for s in stories for p in ids_by_story[s]], dtype=np.int64)
        owners = np.array([s for s in stories for _ in ids_by_story[s]], dtype=np.int64)
        vectors = np.concatenate(library.story_vectors(stories)) if stories else None
        _cache[key] = project_on_plane(vectors, passage_ids, owners)
    return _cache[key]


def project_on_plane(
    vectors: Vectors | None,
    passage_ids: npt.NDArray[np.int64],
    story_ids: npt.NDArray[np.int64],
) -> CorpusMap:
    """PCA of `vectors` onto two axes (each axis's sign fixed, so a map does not flip between
    two builds of the same library)."""
    if vectors is None or len(vectors) == 0:
        dimension = 0 if vectors is None else vectors.shape[1]
        empty = np.zeros((0, 2), dtype=np.float32)
        return CorpusMap(
            empty, passage_ids, story_ids, np.zeros(dimension, np.float32),
            np.zeros((2, dimension), np.float32), (0.0, 0.0),
        )  # fmt: skip
    vectors = vectors.astype(np.float32)
    mean = vectors.mean(axis=0)
    centred = vectors - mean
    covariance = (centred.T @ centred).astype(np.float64) / max(len(vectors) - 1, 1)
    values, vectors_of = np.linalg.eigh(covariance)  # ascending
    order = np.argsort(values)[::-1][:2]
    axes = vectors_of[:, order].T.astype(np.float32)
    if axes.shape[0] < 2:
        axes = np.vstack([axes, np.zeros((2 - axes.shape[0], axes.shape[1]), np.float32)])
    skew = ((centred @ axes.T) ** 3).sum(axis=0)
    axes *= np.where(skew < 0, -1.0, 1.0).astype(np.float32)[:, None]  # heavier tail: positive
    total = float(values.sum()) or 1.0
    share = [float(values[i]) / total for i in order] + [0.0, 0.0]
    points = (centred @ axes.T).astype(np.float32)
    return CorpusMap(points, passage_ids, story_ids, mean, axes, (share[0], share[1]))
