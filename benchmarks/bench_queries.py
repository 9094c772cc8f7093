"""Many searches in one process: latency and memory as the window would see them over a session.

    python benchmarks/bench_queries.py --index PATH [--queries 1000]

Opens the index with the model, runs `--queries` hybrid searches one after another (k=10, with
context, as the window asks), cycling through fixed queries made from the passages' own text
(different words each time, so nothing is answered from a cache), and prints the resident
memory (RSS) every 200 queries with the latency of those 200 (p50, p95). Memory that keeps
growing with the count is a leak; it should level off after the first hundred.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import fixed_queries, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--every", type=int, default=200)
    args = parser.parse_args()

    import psutil

    from index.search.library import Library

    process = psutil.Process()
    mb = 1024 * 1024
    with Library.open(args.index) as library:
        texts = [p.text for s in library.stories() for p in library.passages(s.id)]
        queries = fixed_queries(texts, min(len(texts), args.queries), seed=5)
        library.search("warm up", k=10)
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


if __name__ == "__main__":
    main()
