"""Many searches in one process: latency and memory as the window would see them over a session.

    python benchmarks/bench_queries.py --index PATH [--queries 1000] [--stages] [--phrases]

Opens the index with the model, runs `--queries` hybrid searches one after another (k=10, with
context, as the window asks), cycling through fixed queries made from the passages' own text
(different words each time, so nothing is answered from a cache), and prints the resident
memory (RSS) every 200 queries with the latency of those 200 (p50, p95). Memory that keeps
growing with the count is a leak; it should level off after the first hundred.

--stages also prints where the time went: the median milliseconds of each stage of a search
(reading the query, finding and scoring candidates, token match, building hits), timed by
wrapping those methods in this process only. --phrases times a few queries whose quoted words
many passages hold, with the phrase index (index/store/phrases.py) and without it (each
passage that holds the phrase's stems read and matched, as an index built before it is).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import fixed_queries, percentile

# (class, method) of each stage --stages times, as "module:Class.method"
STAGES = {
    "read the query (model)": "index.search.library:Library._read_query",
    "find + score candidates": "index.search.candidates:Ranker.candidates",
    "  of which scoring": "index.search.candidates:dense_scores",
    "token match": "index.search.library:Library._token_matched",
    "  of which decoding": "index.store.tokens:TokenCodes.vectors",
    "fetch + explain hits": "index.search.library:Library._explained_hits",
}
PHRASE_QUERIES = (
    'the "dance" of her life',
    '"she was" alone on the stage',
    '"sofia kalejs" at the opera',
    'a dancer -"the stage"',
    "a dancer -stage",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--every", type=int, default=200)
    parser.add_argument("--stages", action="store_true", help="time each stage of a search")
    parser.add_argument("--phrases", action="store_true", help="time quoted-phrase queries")
    args = parser.parse_args()
    stage_ms = _timed_stages() if args.stages else {}

    import psutil

    from index.search.library import Library

    process = psutil.Process()
    mb = 1024 * 1024
    with Library.open(args.index) as library:
        texts = [p.text for s in library.stories() for p in library.passages(s.id)]
        queries = fixed_queries(texts, min(len(texts), args.queries), seed=5)
        library.search("warm up", k=10)
        for times in stage_ms.values():
            times.clear()
        print(
            f"{library.info().passages} passages; token vectors stored: "
            f"{library.stores_token_vectors}; RSS after opening and one search "
            f"{process.memory_info().rss / mb:.0f} MB"
        )
        took: list[float] = []
        for n in range(1, args.queries + 1):
            started = time.perf_counter()
            library.search(queries[(n - 1) % len(queries)], k=10, context=True)
            took.append((time.perf_counter() - started) * 1000)
            if n % args.every == 0:
                print(
                    f"  after {n:>5} searches: RSS {process.memory_info().rss / mb:>5.0f} MB; "
                    f"these {len(took)}: p50 {statistics.median(took):.1f} ms, "
                    f"p95 {percentile(took, 0.95):.1f} ms",
                    flush=True,
                )
                took = []
        if stage_ms:
            print("median ms per search, by stage:")
            for label, times in stage_ms.items():
                if times:
                    print(f"  {label:<26} {statistics.median(times):6.1f}")
        if args.phrases:
            _time_phrases(library)


def _time_phrases(library: Any) -> None:
    """Each phrase query with the phrase index and, interleaved, matched passage by passage as
    an index without one is (the ranker's phrase index set aside in this process only)."""
    ranker = library._ranker
    indexed = ranker._phrases
    print("quoted phrases: ms with the phrase index / matching each passage (same hits?)")
    for query in PHRASE_QUERIES:
        took: dict[bool, list[float]] = {True: [], False: []}
        answers: dict[bool, list[int]] = {}
        for _round in range(3):
            for use_index in (True, False):
                ranker._phrases = indexed if use_index else None
                started = time.perf_counter()
                hits = library.search(query, k=10, context=True)
                took[use_index].append((time.perf_counter() - started) * 1000)
                answers[use_index] = [hit.passage.id for hit in hits]
        ranker._phrases = indexed
        fast, slow = statistics.median(took[True]), statistics.median(took[False])
        print(
            f"  {query!r}: {fast:.0f} / {slow:.0f} ms ({slow / fast:.1f}x), "
            f"{len(answers[True])} hits, same: {answers[True] == answers[False]}"
        )


def _timed_stages() -> dict[str, list[float]]:
    """Wrap each stage's method so that every call's wall time is kept (this process only)."""
    import functools
    import importlib

    times: dict[str, list[float]] = {}
    for label, where in STAGES.items():
        module_name, qualified = where.split(":")
        module = importlib.import_module(module_name)
        owner_name, _, method_name = qualified.rpartition(".")
        owner = getattr(module, owner_name) if owner_name else module  # a method or a function
        method = getattr(owner, method_name)
        kept = times.setdefault(label, [])

        def timed(
            *args: object, _method: Any = method, _kept: list[float] = kept, **kwargs: object
        ) -> object:
            started = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                _kept.append((time.perf_counter() - started) * 1000)

        setattr(owner, method_name, functools.wraps(method)(timed))
    return times


if __name__ == "__main__":
    main()
