"""How close every story of a library is to every other: the numbers behind the library's heat
map, made from the stored passage vectors (no model pass).

    matrix = story_matrix(library)
    matrix.stories[i], matrix.covered[i, j], matrix.closeness[i, j]

Two measures, both symmetric and in 0..1:
- `closeness`: the mean, over both stories' passages, of each one's closest passage in the
  other. What the map shows: it tells a retelling from stories that share a theme. On the
  sample stories (four ballerinas' lives written alike) and a reworked draft of one of them,
  the draft and its original score 0.92, the next pair 0.72 (benchmarks/README.md, run I).
- `covered`: the share of the two stories' passages whose closest passage in the other story
  is as close as the whole-story alignment asks of a matched passage (PASSAGE_THRESHOLD). In
  the same library it ties the draft (0.94) with another ballerina's story (0.94): stories
  written alike pass the alignment's bar passage by passage, so it goes in the hover, as
  "told by both", not on the map.

The stories come in a clustered order (average linkage over 1 - closeness, leaves in their
optimal order), so stories that tell the same things sit together on the map. A matrix is
cached per index generation: a generation never changes once published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from index.compare.stories import PASSAGE_THRESHOLD
from index.search.library import Library
from index.search.results import Story

Vectors = npt.NDArray[np.float32]

_ROWS_AT_ONCE = 2048  # passages compared with the whole library per matrix product
_CACHED = 4  # matrices kept (one per generation and choice of stories)
_cache: dict[tuple[str, tuple[int, ...]], StoryMatrix] = {}


@dataclass(frozen=True)
class StoryMatrix:
    stories: tuple[Story, ...]  # in clustered order; rows and columns of the matrices
    closeness: Vectors
    covered: Vectors

    def to_json(self) -> dict[str, Any]:
        return {
            "stories": [{"story": s.title, "story_id": s.id} for s in self.stories],
            "closeness": _rounded(self.closeness),
            "covered": _rounded(self.covered),
        }

    def pairs(self) -> list[tuple[Story, Story, float, float]]:
        """Every pair of different stories once, (story, story, closeness, covered), the
        closest first."""
        n = len(self.stories)
        found = [
            (
                self.stories[i],
                self.stories[j],
                float(self.closeness[i, j]),
                float(self.covered[i, j]),
            )
            for i in range(n)
            for j in range(i + 1, n)
        ]
        return sorted(found, key=lambda pair: (-pair[2], -pair[3]))


def story_matrix(library: Library, story_ids: Sequence[int] | None = None) -> StoryMatrix:
    """The matrix of `story_ids` (None: every story with passages), cached per generation."""
    stories = {s.id: s for s in library.stories() if s.passage_count > 0}
    chosen = tuple(sorted(stories if story_ids is None else set(story_ids) & set(stories)))
    key = (str(library.generation), chosen)
    if key not in _cache:
        while len(_cache) >= _CACHED:
            del _cache[next(iter(_cache))]
        vectors = library.story_vectors(chosen)
        closeness, covered = story_similarities(vectors)
        order = clustered_order(closeness)
        _cache[key] = StoryMatrix(
            tuple(stories[chosen[i]] for i in order),
            closeness[np.ix_(order, order)],
            covered[np.ix_(order, order)],
        )
    return _cache[key]


def story_similarities(
    stories: Sequence[Vectors], threshold: float = PASSAGE_THRESHOLD
) -> tuple[Vectors, Vectors]:
    """(closeness, covered) of stories given as their passages' unit vectors (none empty).

    Every passage is compared with every other once: a block of rows against itself and
    every later passage, reduced at once to its best match per story both ways (the product
    is symmetric: the block's rows against a later story's passages also give that story's
    passages against the block's stories). Half the arithmetic of the whole product, and
    memory at one block whatever the library."""
    n = len(stories)
    if n == 0:
        empty = np.zeros((0, 0), dtype=np.float32)
        return empty, empty.copy()
    counts = np.array([len(v) for v in stories])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ends = starts + counts
    everything = np.concatenate(stories).astype(np.float32)
    total = len(everything)
    # [story, passage]: the passage's closest cosine in the story. Story by story in rows, so
    # what a block gives the later passages is written a row at a time.
    closest = np.full((n, total), -np.inf, dtype=np.float32)
    for top in range(0, total, _ROWS_AT_ONCE):
        bottom = min(top + _ROWS_AT_ONCE, total)
        block = everything[top:bottom] @ everything[top:].T  # these rows against the rest
        # The stories from the one holding row `top` on, as segments of the block's columns.
        first = int(np.searchsorted(starts, top, side="right")) - 1
        cuts = np.maximum(starts[first:] - top, 0)
        mine = closest[first:, top:bottom]
        np.maximum(mine, np.maximum.reduceat(block, cuts, axis=1).T, out=mine)
        # The later passages' closest in the stories these rows belong to, a story at a time.
        last = int(np.searchsorted(starts, bottom - 1, side="right"))
        for story in range(first, last) if bottom < total else ():
            rows = block[max(starts[story], top) - top : min(ends[story], bottom) - top]
            later = closest[story, bottom:]
            np.maximum(later, rows[:, bottom - top :].max(axis=0), out=later)
    closest = np.clip(closest, 0.0, 1.0)
    # Sums over each story's passages: [a, b] = over a's passages, their closest in b.
    closest_sum = np.add.reduceat(closest, starts, axis=1).T
    covered_count = np.add.reduceat((closest >= threshold).astype(np.float32), starts, axis=1).T
    both = counts[:, None] + counts[None, :]
    closeness = (closest_sum + closest_sum.T) / both
    covered = (covered_count + covered_count.T) / both
    np.fill_diagonal(closeness, 1.0)
    np.fill_diagonal(covered, 1.0)
    return closeness.astype(np.float32), covered.astype(np.float32)


def clustered_order(similarity: Vectors) -> list[int]:
    """Rows in an order that puts similar ones together (SciPy's average linkage, with the
    leaves in the order that keeps neighbours closest)."""
    n = len(similarity)
    if n < 3:
        return list(range(n))
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    distance = np.clip(1.0 - similarity.astype(np.float64), 0.0, None)
    distance = (distance + distance.T) / 2
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average", optimal_ordering=True)
    return [int(i) for i in leaves_list(tree)]


def _rounded(matrix: Vectors) -> list[list[float]]:
    return [[round(float(value), 4) for value in row] for row in matrix]
