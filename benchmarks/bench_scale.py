"""How cost grows: one table for 10k, 100k and 1M passages, Storylens beside the naive way.

    python benchmarks/bench_scale.py [--sizes 10000,100000,1000000] [--sample 1200]

One run, three parts:
1. Throughput (bench_index.py): naive vs Storylens builds interleaved on a real-text sample of
   `--sample` passages; gives both embedding rates, the ranking overlap against float32 and the
   unchanged re-index figures.
2. Reading + passage cutting (readers.py, passages.py) timed on real files of the sample.
3. For each size N, a library of N synthetic passages built for real on the storage side:
   SQLite rows for every story, passage and sentence, FAISS vectors, the exact/approximate
   layout choice and nprobe tuning (builder._write_generation, then an atomic publish). Only
   the embedding is not run: embedding 1M passages on this CPU would take hours. Each
   passage's vector is derived from real embeddings instead: the mean of the real embeddings
   of its sentences, scaled and offset by the residual (real paragraph vector minus its
   sentence mean) of a randomly chosen real paragraph of the sample, then normalised. Measured
   on the sample, real paragraph vectors keep about 0.86 cosine to their sentence mean, so the
   derived vectors have the spread of real ones around it, not an artificial lattice.
   Build time at N = N / (measured embedding rate) + N / (measured reading+cutting rate) +
   the measured storage build at N. The naive build at N = N / (its measured rate) + its
   measured IndexFlatIP.add at N. Queries, memory and recall are measured on the built library
   in a fresh process (model loaded, library open): RSS after the queries, latency of
   Library.search (embed + search + fetch with neighbours), recall@10 against exact search
   over the same vectors. The naive query is SentenceTransformer.encode + IndexFlatIP.search.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import (
    PARAGRAPHS_PER_STORY,
    fixed_queries,
    measure_throughput,
    percentile,
    print_throughput,
    seed_sentences,
    synthetic_picks,
)

QUERIES = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--sample", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--sentence-vectors-up-to", type=int, default=100_000)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    import numpy as np

    from index.embed.model import Embedder

    work = Path(tempfile.mkdtemp(prefix="storylens-scale-"))
    embedder = Embedder()
    embedder.load()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {_cpu_name()}")
    print(f"load average at start {os.getloadavg()[0]:.1f}; work dir {work}")
    started = time.perf_counter()
    t = measure_throughput(work / "sample", args.sample, args.rounds, embedder)
    print()
    print_throughput(t)
    chunk_rate = _reading_rate(work / "sample" / "all", embedder)
    print(f"reading + cutting passages: {chunk_rate:.0f} passages/s")

    sentences = seed_sentences()
    sentence_vectors = embedder.encode(sentences)
    picks = synthetic_picks(args.sample, len(sentences))
    means = np.stack([sentence_vectors[p].mean(axis=0) for p in picks])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    real = t.storylens_vectors
    scale = (real * means).sum(axis=1)
    residuals = real - means * scale[:, None]
    print(f"real paragraph vs its sentence mean: cosine {scale.mean():.3f} (min {scale.min():.3f})")
    derivation = Derivation(
        sentences, sentence_vectors, scale, residuals, _sentence_token_codes(sentences, embedder)
    )
    context = _sentence_vectors_in_context(picks, real, derivation)
    to_own = np.concatenate(
        [(c * sentence_vectors[p]).sum(axis=1) for c, p in zip(context, picks, strict=True)]
    )
    to_passage = np.concatenate(
        [c.astype(np.float32) @ v for c, v in zip(context, real, strict=True)]
    )
    print(
        f"synthetic sentence vectors: cosine {to_own.mean():.2f} to the sentence alone, "
        f"{to_passage.mean():.2f} to their passage (real pooled ones: 0.80 and 0.93)"
    )

    naive_rate = statistics.median(t.naive_rates)
    embed_rate = statistics.median(t.storylens_embed_rates)
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        row = _one_size(work, n, embedder, derivation, args.sentence_vectors_up_to)
        row["build_s"] = n / embed_rate + n / chunk_rate + row["store_s"]
        row["naive_build_s"] = n / naive_rate + row["naive_add_s"]
        rows.append(row)
        print(f"  {n} passages done ({time.perf_counter() - started:.0f} s so far)", flush=True)
        _print_table([row])
        print(flush=True)
    print()
    _print_table(rows)
    print(
        f"\nwhole run {time.perf_counter() - started:.0f} s; load average at end "
        f"{os.getloadavg()[0]:.1f}"
    )


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _reading_rate(folder: Path, embedder: Any) -> float:
    from index.build.readers import read_story
    from index.text.passages import split_passages

    tokens = embedder.tokens
    t0 = time.perf_counter()
    count = 0
    for path in sorted(folder.glob("*.txt")):
        count += len(split_passages(read_story(path).text, tokens))
    return count / (time.perf_counter() - t0)


@dataclass
class Derivation:
    """Real embeddings that synthetic passage vectors are derived from (module docstring)."""

    sentences: list[str]
    sentence_vectors: Any  # one real embedding per seed sentence
    scale: Any  # per real paragraph: cosine to its sentence mean
    residuals: Any  # per real paragraph: its vector minus the scaled sentence mean
    token_codes: tuple[Any, list[Any], list[Any]]  # a token codec, and each sentence's
    # tokens' codes and vectors


def _one_size(
    work: Path, n: int, embedder: Any, derivation: Derivation, with_sentences: int
) -> dict[str, Any]:
    import faiss
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from index.build.builder import BuildReport, _write_generation
    from index.embed.model import default_model_dir
    from index.store.generations import IndexDir

    sentences = derivation.sentences
    picks = synthetic_picks(n, len(sentences), seed=1000 + n)
    vectors = _derived_vectors(picks, derivation, seed=n)
    # Sentence vectors (hybrid search), float16. Above `with_sentences` passages none are
    # stored (search then ranks by passages alone).
    empty = np.empty((0, vectors.shape[1]), dtype=np.float16)
    sentence_vectors = (
        _sentence_vectors_in_context(picks, vectors, derivation)
        if n <= with_sentences
        else [empty] * len(picks)
    )
    prepared = _stories(picks, sentences, embedder)
    paragraphs = [" ".join(sentences[i] for i in p) for p in picks[:5000]]
    queries = fixed_queries(paragraphs, QUERIES, seed=n)

    # Exact answers and the naive way's search, over the same vectors.
    flat = faiss.IndexFlatIP(vectors.shape[1])
    t0 = time.perf_counter()
    flat.add(vectors)
    naive_add_s = time.perf_counter() - t0
    naive_disk = vectors.nbytes
    query_vectors = np.concatenate([embedder.encode([q]) for q in queries])
    _, truth = flat.search(query_vectors, 10)
    naive_model = SentenceTransformer(str(default_model_dir()), device="cpu")
    naive_model.encode(["warm up"])
    naive_ms, naive_cpu_ms = [], []
    for q in queries[:50]:
        t0, c0 = time.perf_counter(), time.process_time()
        flat.search(np.asarray(naive_model.encode([q]), dtype=np.float32), 10)
        naive_ms.append((time.perf_counter() - t0) * 1000)
        naive_cpu_ms.append((time.process_time() - c0) * 1000)
    del flat, naive_model

    layout = IndexDir(work / f"lib-{n}")
    with layout.writer_lock():
        partial = layout.new_generation()
        t0 = time.perf_counter()
        _write_generation(
            partial,
            old_store=None,
            old_generation=None,
            embedder=embedder,
            prepared=prepared,
            vectors=vectors,
            sentence_vectors=sentence_vectors,
            old_tokens=None,
            token_codec=derivation.token_codes[0],
            token_codes={row: _passage_codes(pick, derivation) for row, pick in enumerate(picks)},
            gone=[],
            sources=["/synthetic"],
            excluded=set(),
            report=BuildReport(index_dir=layout.path),
            passage_tokens=None,
            separate_process=None,  # as build_index decides by the library's size
        )
        generation = layout.publish(partial)
        store_s = time.perf_counter() - t0
    del prepared, vectors, sentence_vectors
    disk = sum(f.stat().st_size for f in generation.iterdir())
    token_disk = sum(f.stat().st_size for f in generation.glob("tokens.*"))
    (work / f"queries-{n}.json").write_text(
        json.dumps({"queries": queries, "truth": truth.tolist()}), encoding="utf-8"
    )
    child = subprocess.run(
        [sys.executable, __file__, "--serve", str(layout.path)],
        input=(work / f"queries-{n}.json").read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        check=True,
    )
    served = json.loads(child.stdout.strip().splitlines()[-1])
    return {
        "n": n,
        "store_s": store_s,
        "disk": disk,
        "token_bytes_per_passage": token_disk / n,
        "naive_add_s": naive_add_s,
        "naive_disk": naive_disk,
        "naive_p50": statistics.median(naive_ms),
        "naive_p95": percentile(naive_ms, 0.95),
        "naive_cpu_p50": statistics.median(naive_cpu_ms),
        **served,
    }


def _sentence_token_codes(sentences: list[str], embedder: Any) -> tuple[Any, list[Any]]:
    """Each seed sentence's token vectors in context, compressed as a build stores them. A
    synthetic passage's tokens are its sentences' word tokens (read in the sentence's context
    rather than the passage's: the same number of tokens, stored the same way). A library of
    10k passages or more has far more tokens than the quantizer needs; the sample's few
    distinct sentences have fewer, so the quantizer is trained on all of them."""
    import numpy as np

    from index.embed.outputs import passage_tokens
    from index.store import tokens

    read = [
        passage_tokens(text, v, spans)  # what a build keeps (a sentence is never pooled)
        for first in range(0, len(sentences), 64)
        for text, (v, spans) in zip(
            sentences[first : first + 64],
            embedder.token_vectors(sentences[first : first + 64]),
            strict=True,
        )
    ]
    everything = np.concatenate(read)
    codec = tokens.TokenCodec.trained(everything, quantize=True)
    return codec, [codec.encode(v) for v in read], read


def _passage_codes(pick: list[int], derivation: Derivation) -> Any:
    """A synthetic passage's token codes: its sentences' codes, or, where they are more than a
    build keeps of a passage, their vectors pooled as a build pools them and coded again."""
    import numpy as np

    from index.embed.outputs import PASSAGE_TOKENS_MAX, pooled_tokens

    codec, codes, vectors = derivation.token_codes
    if sum(len(codes[i]) for i in pick) <= PASSAGE_TOKENS_MAX:
        return np.concatenate([codes[i] for i in pick])
    joined = np.concatenate([vectors[i] for i in pick])
    return codec.encode(pooled_tokens(joined, PASSAGE_TOKENS_MAX))


# A real sentence vector is pooled from its passage's forward pass (index/embed/sentences.py), so
# the same sentence in two passages gets two vectors. On the sample stories these pooled
# vectors have cosine 0.80 to the sentence embedded alone and 0.93 to their passage vector;
# the sentence's own embedding pulled towards its passage by this weight has about the same.
CONTEXT_WEIGHT = 1.5


def _sentence_vectors_in_context(
    picks: list[list[int]], vectors: Any, derivation: Derivation
) -> Any:
    """Each passage's sentence vectors: the sentence's real embedding pulled towards the
    passage vector (CONTEXT_WEIGHT), normalised; distinct for every passage as real ones are."""
    import numpy as np

    table = derivation.sentence_vectors
    out = []
    for pick, passage in zip(picks, vectors, strict=True):
        rows = table[pick] + CONTEXT_WEIGHT * passage
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        out.append(rows.astype(np.float16))
    return out


def _derived_vectors(picks: list[list[int]], derivation: Derivation, seed: int) -> Any:
    """Sentence mean of real sentence embeddings, plus a real paragraph's residual (docstring)."""
    import numpy as np

    sentence_vectors, scale, residuals = (
        derivation.sentence_vectors,
        derivation.scale,
        derivation.residuals,
    )
    rng = np.random.default_rng(seed)
    out = np.empty((len(picks), sentence_vectors.shape[1]), dtype=np.float32)
    for first in range(0, len(picks), 100_000):
        block = picks[first : first + 100_000]
        weights = np.zeros((len(block), len(sentence_vectors)), dtype=np.float32)
        for row, pick in enumerate(block):
            weights[row, pick] = 1.0
        means = weights @ sentence_vectors
        means /= np.linalg.norm(means, axis=1, keepdims=True)
        donor = rng.integers(0, len(residuals), size=len(block))
        out[first : first + len(block)] = means * scale[donor, None] + residuals[donor]
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def _stories(picks: list[list[int]], sentences: list[str], embedder: Any) -> list[Any]:
    """Stories of 40 paragraphs with passage and sentence offsets known by construction
    (what the chunker finds for them: each paragraph fits the model, so it is one passage)."""
    from index.build.builder import _Prepared
    from index.build.readers import StoryText
    from index.text.passages import PassageSpan, SentenceSpan

    tokenizer = embedder.tokens
    sentence_tokens = [tokenizer.count(s) - 2 for s in sentences]
    prepared = []
    for number, first in enumerate(range(0, len(picks), PARAGRAPHS_PER_STORY)):
        parts: list[str] = []
        passages = []
        position = 0
        for ordinal, pick in enumerate(picks[first : first + PARAGRAPHS_PER_STORY]):
            if ordinal:
                parts.append("\n\n")
                position += 2
            start = position
            spans = []
            for k, i in enumerate(pick):
                if k:
                    parts.append(" ")
                    position += 1
                parts.append(sentences[i])
                spans.append(SentenceSpan(position, position + len(sentences[i])))
                position += len(sentences[i])
            tokens = 2 + sum(sentence_tokens[i] for i in pick)
            passages.append(PassageSpan(ordinal, start, position, tuple(spans), tokens))
        text = "".join(parts) + "\n"
        story = StoryText(
            path=Path(f"/synthetic/story-{number:06d}.txt"),
            title=f"Story {number}",
            text=text,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            source_format="txt",
            encoding="utf-8",
        )
        prepared.append(_Prepared(story, passages, None))
    return prepared


def serve(index_dir: Path) -> None:
    """In a fresh process: open the library with the model, answer the queries, report."""
    import psutil

    from index.embed.model import Embedder
    from index.search.library import Library

    asked = json.loads(sys.stdin.read())
    queries, truth = asked["queries"], asked["truth"]
    t0 = time.perf_counter()
    embedder = Embedder()
    library = Library.open(index_dir, embedder=embedder)
    _passage_search(library, "warm up")
    open_s = time.perf_counter() - t0
    library.search("warm up", k=10)
    total_ms, cpu_ms, embed_ms, recalls, dense_ms = [], [], [], [], []
    hybrid_ms, hybrid_cpu_ms, hybrid_found = [], [], []
    for query, exact in zip(queries, truth, strict=True):
        # Passage search: embed, nearest passage vectors, fetch with neighbours (what
        # similar() uses); then search() in its "dense" and default (hybrid) modes.
        t0, c0 = time.perf_counter(), time.process_time()
        hits = _passage_search(library, query)
        total_ms.append((time.perf_counter() - t0) * 1000)
        cpu_ms.append((time.process_time() - c0) * 1000)
        t0 = time.perf_counter()
        library.search(query, k=10, mode="dense")
        dense_ms.append((time.perf_counter() - t0) * 1000)
        t0, c0 = time.perf_counter(), time.process_time()
        found = library.search(query, k=10)  # the default mode, hybrid
        hybrid_ms.append((time.perf_counter() - t0) * 1000)
        hybrid_cpu_ms.append((time.process_time() - c0) * 1000)
        hybrid_found.append({h.passage.id for h in found})
        t0 = time.perf_counter()
        library.embed_query(query)
        embed_ms.append((time.perf_counter() - t0) * 1000)
        recalls.append(len(set(hits) & set(exact)) / 10)
    sentence_kind = library._store.sentences.params
    # search() against itself with every inverted-file cell probed (exact up to float16).
    for vectors in (library._store.vectors, library._store.sentences):
        if vectors._ivf is not None:
            vectors._ivf.nprobe = vectors._ivf.nlist
    hybrid_recall = [
        len({h.passage.id for h in library.search(query, k=10)} & found) / 10
        for query, found in zip(queries[:50], hybrid_found, strict=False)
    ]
    meta = library.info().meta
    print(
        json.dumps(
            {
                "rss": psutil.Process().memory_info().rss,
                "open_s": open_s,
                "p50": statistics.median(total_ms),
                "p95": percentile(total_ms, 0.95),
                "cpu_p50": statistics.median(cpu_ms),
                "hybrid_p50": statistics.median(hybrid_ms),
                "hybrid_p95": percentile(hybrid_ms, 0.95),
                "hybrid_cpu_p50": statistics.median(hybrid_cpu_ms),
                "hybrid_recall": statistics.mean(hybrid_recall),
                "dense_p50": statistics.median(dense_ms),
                "sentences": len(library._store.sentences),
                "sentence_kind": sentence_kind,
                "embed_p50": statistics.median(embed_ms),
                "recall": statistics.mean(recalls),
                "kind": meta.get("index_params", meta.get("index_kind", "?")),
                "precision": meta.get("precision", "?"),
            }
        )
    )


def _passage_search(library: Any, query: str) -> list[int]:
    """Passage search alone: embed, nearest passage vectors, the passages with their
    neighbours fetched (what similar() does)."""
    found = library._store.dense_search(library.embed_query(query), 10)
    passages, _near = library._passages([pid for _, pid in found], context=True)
    return list(passages)


def _print_table(rows: list[dict[str, Any]]) -> None:
    """Query times are wall clock (p50, p95) and CPU time (p50: what the query costs on an
    idle machine; the benchmark machine is shared, so wall clock includes waiting for a core)."""
    head = (
        f"{'passages':>9} {'who':<9} {'build s':>8} {'pass/s':>7} {'disk MB':>8} {'RSS MB':>7} "
        f"{'q p50':>7} {'q p95':>7} {'q cpu':>7} {'recall':>7} "
        f"{'pass p50':>8} {'cpu':>5} {'recall':>7} {'embed':>6}  layout"
    )
    print(head)
    print("-" * len(head))
    mb = 1024 * 1024
    for r in rows:
        n = r["n"]
        print(
            f"{n:>9} {'Storylens':<9} {r['build_s']:>8.0f} {n / r['build_s']:>7.1f} "
            f"{r['disk'] / mb:>8.0f} {r['rss'] / mb:>7.0f} {r['hybrid_p50']:>7.1f} "
            f"{r['hybrid_p95']:>7.1f} {r['hybrid_cpu_p50']:>7.1f} {r['hybrid_recall']:>7.3f} "
            f"{r['p50']:>8.1f} {r['cpu_p50']:>5.1f} {r['recall']:>7.3f} {r['embed_p50']:>6.1f}  "
            f"passages {r['kind']} ({r['precision']}); {r['sentences']:,} sentences "
            f"{r['sentence_kind']}; storage build {r['store_s']:.0f} s, open {r['open_s']:.1f} s; "
            f"search(mode=dense) p50 {r['dense_p50']:.1f}; stored tokens "
            f"{r['token_bytes_per_passage']:.0f} bytes/passage"
        )
        print(
            f"{'':>9} {'naive':<9} {r['naive_build_s']:>8.0f} "
            f"{n / r['naive_build_s']:>7.1f} {r['naive_disk'] / mb:>8.0f} {'':>7} "
            f"{r['naive_p50']:>7.1f} {r['naive_p95']:>7.1f} {r['naive_cpu_p50']:>7.1f} "
            f"{1.0:>7.3f}  IndexFlatIP fp32 (vectors only)"
        )
    print(
        "times in ms. q: search() as the window calls it (embed, hybrid ranking over passages, "
        "sentences and keywords, fetch with neighbours), its CPU time, and its top-10 overlap "
        "with the same search probing every inverted-file cell; pass: passage search alone "
        "(what similar() does) and its recall@10 against exact search; embed: the query's "
        "embedding. naive: encode + IndexFlatIP.search, exact by construction."
    )


if __name__ == "__main__":
    main()
