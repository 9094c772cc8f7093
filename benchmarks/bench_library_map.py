"""The library's pictures: the heat map (every story against every other) and the corpus map
(every passage on a plane, by PCA), from the passages' vectors.

    python benchmarks/bench_library_map.py [--stories 10 100 1000] [--passages 100]
    python benchmarks/bench_library_map.py --index LIB   # a real index, reading its vectors

Synthetic part: stories of `--passages` random unit vectors (384 dimensions, as the bundled
model's) timed through the engine's own computation (index/compare/story_matrix.py: the
passage-by-passage products reduced per story, then the clustered order); random vectors cost
what real ones do, the arithmetic does not look at them. With `--index`, `story_matrix` on the
index itself, reading its stored vectors first (cold, then cached).

Goal (the whole-stories issue): the heat map of 100 stories in <= 2 s on 2 cores from stored
vectors.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]


def synthetic(stories: int, passages: int, seed: int = 11) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    made = []
    for _ in range(stories):
        vectors = rng.standard_normal((passages, 384)).astype(np.float32)
        made.append(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--passages", type=int, default=100, help="passages per story")
    parser.add_argument("--index", type=Path, default=None, help="time a real index instead")
    args = parser.parse_args()
    from index.compare.corpus_map import project_on_plane
    from index.compare.story_matrix import clustered_order, story_matrix, story_similarities

    if args.index is not None:
        from index import Library

        with Library.open(args.index) as library:  # stored vectors only: no model
            started = time.perf_counter()
            matrix = story_matrix(library)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            story_matrix(library)
            cached = time.perf_counter() - started
        count = sum(s.passage_count for s in matrix.stories)
        print(
            f"{len(matrix.stories)} stories, {count} passages: {cold:.2f} s "
            f"(reading the vectors included), {cached * 1000:.2f} ms when cached"
        )
        return
    print(
        f"{'stories':>8} {'passages':>9} {'similarities s':>15} {'order s':>8} "
        f"{'heat map s':>11} {'corpus map s':>13}"
    )
    for stories in args.stories:
        vectors = synthetic(stories, args.passages)
        started = time.perf_counter()
        closeness, _covered = story_similarities(vectors)
        middle = time.perf_counter()
        clustered_order(closeness)
        ended = time.perf_counter()
        everything = np.concatenate(vectors)
        ids = np.arange(len(everything), dtype=np.int64)
        planed = time.perf_counter()
        project_on_plane(everything, ids, ids // args.passages)
        planed = time.perf_counter() - planed
        print(
            f"{stories:>8} {stories * args.passages:>9} {middle - started:>15.2f} "
            f"{ended - middle:>8.2f} {ended - started:>11.2f} {planed:>13.2f}"
        )


if __name__ == "__main__":
    main()
