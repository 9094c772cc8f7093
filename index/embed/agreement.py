"""Whether two ways of running the model rank alike: what a faster path (bfloat16, int8, an
export) must show before it builds or searches an index that float32 would have built."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RANKING_OVERLAP = 0.98  # the indexing-speed issue's bar: on average 98% of float32's top ten

Scores = npt.NDArray[np.float32]


def top_overlap(reference: Scores, other: Scores, depth: int = 10) -> float:
    """The share of each query's `depth` best passages under `reference` that are also among
    its `depth` best under `other`, averaged over the queries. Both are queries x passages
    (every score of each query); fewer passages than `depth` compare them all."""
    if reference.shape != other.shape:
        raise ValueError(f"score matrices differ in shape: {reference.shape} and {other.shape}")
    depth = min(depth, reference.shape[1])
    if depth == 0 or len(reference) == 0:
        return 1.0
    ours = np.argsort(-reference, axis=1, kind="stable")[:, :depth]
    theirs = np.argsort(-other, axis=1, kind="stable")[:, :depth]
    shared = [len(set(a.tolist()) & set(b.tolist())) for a, b in zip(ours, theirs, strict=True)]
    return float(np.mean(shared)) / depth
