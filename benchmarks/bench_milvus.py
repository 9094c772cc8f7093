"""A library kept in Milvus Lite against the local store, side by side in one run.

    python benchmarks/bench_milvus.py [--passages 100000] [--queries 200] [--index PATH]

The store part uses synthetic vectors, as stated in its output: `--passages` unit vectors of 384
dimensions drawn around 2,000 centres (text vectors cluster by topic, and an index is only
tested by clustered data), so that a million need no week of embedding. Each store is built
and searched in a process of its own (its memory measured alone): the local store
(index/store/vectors.py: exact below 20,000 vectors, else an inverted file tuned to recall@10
>= 0.97), Milvus Lite with a FLAT index (exact, what a publish to a .db file makes) and with
HNSW (M 16, efConstruction 200, ef 64: what a publish to a server makes). For each: build
seconds, p50/p95 of one query of k=10 over `--queries` queries (half near stored vectors, half
new), recall@10 against exact search, and the resident memory the store added.

With `--index PATH`, also the real thing: that index published to Milvus Lite (seconds), and
the same hybrid searches (k=10, token match included) answered from each, alternating, with
how often their top 10 agree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DIMENSION = 384
CENTRES = 2000
STORES = ("local", "milvus-flat", "milvus-hnsw")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index", type=Path, help="a real index to publish and search both ways")
    parser.add_argument("--only", choices=STORES, help=argparse.SUPPRESS)  # one store, as a child
    args = parser.parse_args()
    if args.only:
        print(json.dumps(_store_run(args.only, args.passages, args.queries)))
        return
    print(
        f"Synthetic vectors: {args.passages:,} x {DIMENSION}, clustered around {CENTRES:,} centres"
    )
    heads = ("build s", "p50 ms", "p95 ms", "recall@10", "memory MB")
    print(f"{'store':<13} " + " ".join(f"{head:>9}" for head in heads))
    for store in STORES:
        child = subprocess.run(
            [sys.executable, __file__, "--only", store, "--passages", str(args.passages),
             "--queries", str(args.queries)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if child.returncode != 0:
            print(f"{store:<13} failed: {child.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{store:<13} {r['build_s']:>9.1f} {r['p50_ms']:>9.1f} {r['p95_ms']:>9.1f} "
            f"{r['recall']:>9.3f} {r['memory_mb']:>9.0f}"
        )
    if args.index is not None:
        _real_library(args.index, args.queries)


def _vectors(passages: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((CENTRES, DIMENSION)).astype(np.float32)
    stored = np.empty((passages, DIMENSION), dtype=np.float32)
    for at in range(0, passages, 100_000):
        n = min(100_000, passages - at)
        block = centres[rng.integers(0, CENTRES, n)] + 0.9 * rng.standard_normal((n, DIMENSION))
        stored[at : at + n] = block
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    near = stored[rng.integers(0, passages, queries // 2)]
    near = near + 0.5 * rng.standard_normal(near.shape).astype(np.float32) / np.sqrt(DIMENSION)
    new = centres[rng.integers(0, CENTRES, queries - len(near))]
    new = new + 0.9 * rng.standard_normal(new.shape).astype(np.float32)
    asked = np.concatenate([near, new]).astype(np.float32)
    asked /= np.linalg.norm(asked, axis=1, keepdims=True)
    return stored, asked


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def _store_run(store: str, passages: int, queries: int) -> dict[str, float]:
    stored, asked = _vectors(passages, queries)
    truth = [set(np.argsort(-(stored @ q))[:10].tolist()) for q in asked]
    before = _rss_mb()
    started = time.perf_counter()
    search = _local(stored) if store == "local" else _milvus(stored, hnsw=store == "milvus-hnsw")
    build_s = time.perf_counter() - started
    memory = _rss_mb() - before
    times, recalls = [], []
    for q, expected in zip(asked, truth, strict=True):
        started = time.perf_counter()
        found = search(q)
        times.append((time.perf_counter() - started) * 1000)
        recalls.append(len(set(found) & expected) / 10)
    return {
        "build_s": build_s,
        "p50_ms": statistics.median(times),
        "p95_ms": float(np.percentile(times, 95)),
        "recall": statistics.fmean(recalls),
        "memory_mb": memory,
    }


def _local(stored: np.ndarray) -> Any:
    from index.store.vectors import VectorIndex

    index = VectorIndex.empty(DIMENSION)
    index.add(np.arange(len(stored)), stored)
    index = index.fitted()

    def search(q: np.ndarray) -> list[int]:
        _scores, ids = index.search(q[None, :], 10)
        return [int(i) for i in ids[0]]

    return search


def _milvus(stored: np.ndarray, *, hnsw: bool) -> Any:
    from pymilvus import DataType, MilvusClient

    folder = tempfile.mkdtemp(prefix="bench-milvus-")
    client = MilvusClient(str(Path(folder) / "bench.db"))
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIMENSION)
    index = client.prepare_index_params()
    if hnsw:
        index.add_index(
            "vector", index_type="HNSW", metric_type="IP", params={"M": 16, "efConstruction": 200}
        )
    else:
        index.add_index("vector", index_type="FLAT", metric_type="IP")
    client.create_collection("bench", schema=schema, index_params=index)
    client.load_collection("bench")
    for at in range(0, len(stored), 5000):
        block = stored[at : at + 5000]
        client.insert("bench", [{"id": at + i, "vector": v.tolist()} for i, v in enumerate(block)])
    client.flush("bench")
    params = {"metric_type": "IP", "params": {"ef": 64}} if hnsw else {"metric_type": "IP"}
    client.search("bench", data=[stored[0].tolist()], limit=10, search_params=params)  # loads

    def search(q: np.ndarray) -> list[int]:
        hits = client.search("bench", data=[q.tolist()], limit=10, search_params=params)
        return [int(hit["id"]) for hit in hits[0]]

    return search


def _real_library(index: Path, queries: int) -> None:
    from bench_index import fixed_queries

    from index.search.library import Library
    from index.store.milvus import MilvusAddress
    from index.store.milvus.publish import publish_index

    folder = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    address = f"milvus:{folder / 'library.db'}"
    started = time.perf_counter()
    published = publish_index(index, MilvusAddress.parse(address))
    seconds = time.perf_counter() - started
    print(f"\nReal library {index}: {published.passages:,} passages published in {seconds:.1f} s")
    local = Library.open(index)
    remote = Library.open(address, embedder=local.embedder)
    paragraphs = [p.text for story in local.stories() for p in local.passages(story.id)]
    asked = fixed_queries(paragraphs, min(queries, 200))
    times: dict[str, list[float]] = {"local": [], "milvus": []}
    same = 0
    for query in asked:
        answers = []
        for name, library in (("local", local), ("milvus", remote)):
            started = time.perf_counter()
            hits = library.search(query, k=10, context=True)
            times[name].append((time.perf_counter() - started) * 1000)
            answers.append([hit.passage.id for hit in hits])
        same += answers[0] == answers[1]
    for name, kept in times.items():
        print(
            f"  hybrid search from {name:<6}: p50 {statistics.median(kept):6.1f} ms, "
            f"p95 {float(np.percentile(kept, 95)):6.1f} ms"
        )
    print(f"  the same top 10 for {same} of {len(asked)} queries")


if __name__ == "__main__":
    main()
