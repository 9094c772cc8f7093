"""The relevance people are shown beside each hit: one number in 0..1 that never rises down the
ranked list.

The ordering score cannot be shown: token match standardises it per query, so it has no fixed
scale. What is shown is the hit's evidence on a fixed scale, the strongest of:

- word by word: the token match itself (each query word's closest word of the passage, as a
  cosine in context, averaged), for the hits that token match read, which is what ordered
  them;
- meaning: the passage's cosine with the query (passage and best sentence combined), for hits
  that token match did not read (dense mode, "more like this", rows below its depth);
- keywords: the share of a perfect keyword match.

Evidence can still rise down the list where the order followed something else (keywords leading,
or rows token match did not read); the shown values are then the closest non-increasing
sequence to the evidence in least squares (isotonic regression by pool-adjacent-violators), so
one weak hit does not drag every hit below it down to its value.

Why word by word rather than meaning for the hits token match read: over the evaluation sets'
tune halves it tells a right hit from a wrong one better (benchmarks/eval/README.md), and it
agrees with the order, so the bars differ where the hits do.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.search.results import Why


def evidence(why: Why) -> float:
    """A hit's strongest evidence on a fixed 0..1 scale (see the module's docstring)."""
    meaning = why.token_match if why.token_match is not None else why.dense
    return max(0.0, min(1.0, max(meaning, why.keyword)))


def shown_relevance(evidence: Sequence[float]) -> list[float]:
    """The non-increasing sequence closest to `evidence` in least squares, each value in 0..1.

    scipy.optimize.isotonic_regression computes the same (the tests hold them equal), but
    importing scipy.optimize costs a third of a second on the window's first search, for ten
    numbers."""
    blocks: list[tuple[float, int]] = []  # (sum, count) of each pooled run, in list order
    for value in evidence:
        total, count = max(0.0, min(1.0, float(value))), 1
        while blocks and blocks[-1][0] / blocks[-1][1] < total / count:
            previous_total, previous_count = blocks.pop()
            total, count = total + previous_total, count + previous_count
        blocks.append((total, count))
    return [total / count for total, count in blocks for _ in range(count)]
