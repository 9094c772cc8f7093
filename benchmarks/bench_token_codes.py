"""How many bytes a stored token vector needs: token match's ranking with each way of coding them.

    python benchmarks/bench_token_codes.py [--sets cosmosqa,odyssey,iliad,fables,proverbs,seeds]
        [--bigbench SDIST] [--work DIR] [--codes exact,built@wordlike+cap110,pq128]
        [--seeds 20241202,1,2]

The search issue asks for at most 4 KB of token codes a passage with token match's quality
kept (every eval set within 0.01 MRR@10). Each set of `benchmarks/eval` is indexed as the eval
indexes it (or its index in --work reused); every passage's token vectors are read again by the
model, exactly, and coded each way; the hybrid search of the eval then runs on each coding alone,
with the weights Storylens ships, over the tune and the test half of the set's queries.

Codings: `exact` (float16, 768 bytes a token); `pqM`: a product quantizer of M sub-vectors of
4 bits (M/2 bytes a token; libraries built before 36-byte codes keep pq128), `pqMxB` of B bits,
trained as a build trains it, once per seed (the ranking moves with the seed: compare against
the spread); `built`: the layout a build trains now (store.tokens.pq_layout: pq96x3, and a
build keeps word tokens alone, a long passage's pooled: `built@wordlike+cap110`); `mixedC/F`:
content-word tokens in pqC and stopword and punctuation tokens in pqF (the query's split),
its bytes the mean over the set's tokens (`mixed96/2x8`: the rest in 2 sub-vectors of 8 bits);
`f:DESCRIPTION`: any FAISS codec by its factory string, commas written as semicolons
(`f:PCA128;PQ64x4`, `f:PQ32x8`). Every quantizer is trained on 32,000 tokens drawn evenly
(PQ_TRAIN_TOKENS), as a build's is.

Fewer tokens instead of fewer bytes a token: a coding followed by `@` and steps joined by `+`
keeps only some of each passage's tokens before coding them (the query is read whole):
`@content` its content words' tokens, `@wordlike` every token of a word (punctuation left out),
`@poolF` its tokens clustered (Ward) into 1/F as many and each cluster's mean kept (token
pooling, Clavie et al., 2024), `@capN` only a passage's tokens beyond N pooled away so (what a
build does at embed.outputs.PASSAGE_TOKENS_MAX). `pq128@wordlike+pool2` does both in that order;
`built@wordlike+cap110` is what Storylens stores.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import numpy.typing as npt

from benchmarks.eval import run
from benchmarks.eval.datasets import TASKS, ensure_tasks, eval_set, split
from index import Embedder
from index.embed.outputs import (
    group_means,
    normalised,
    real_tokens,
    token_groups,
    word_token_mask,
)
from index.search.fusion import SearchSettings
from index.search.token_match import TokenMatcher, content_tokens
from index.store.tokens import PQ_TRAIN_TOKENS, TokenCodec, TokenCodes, pq_layout

Vectors = npt.NDArray[np.float32]


@dataclass
class ExactTokens:
    """A set's passages and every token's vector in context, as the build computes them
    (kept in float16 on disk; float32 here, converted once for every coding)."""

    ids: list[int]
    counts: list[int]
    vectors: Vectors
    content: npt.NDArray[np.bool_]  # per token: part of a content word
    wordlike: npt.NDArray[
        np.bool_
    ]  # per token: part of a word (letters or digits), not punctuation

    def kept(self, keep: npt.NDArray[np.bool_]) -> ExactTokens:
        """These tokens without those `keep` leaves out (a passage may keep none)."""
        ends = np.cumsum(self.counts)
        counts = [int(keep[end - n : end].sum()) for end, n in zip(ends, self.counts, strict=True)]
        return ExactTokens(
            self.ids, counts, self.vectors[keep], self.content[keep], self.wordlike[keep]
        )


def pooled_tokens(exact: ExactTokens, groups_of: Callable[[int], int]) -> ExactTokens:
    """Each passage's token vectors clustered (Ward, hierarchical) into groups_of(its count)
    groups and each group's mean kept, unit length, as embed.outputs.pooled_tokens keeps them:
    token pooling (Clavie et al., 2024). A group is a content token if any of its tokens is."""
    counts: list[int] = []
    parts: list[Vectors] = []
    content: list[npt.NDArray[np.bool_]] = []
    start = 0
    for count in exact.counts:
        vectors = exact.vectors[start : start + count]
        flags = exact.content[start : start + count]
        start += count
        labels = token_groups(vectors, groups_of(count))
        parts.append(group_means(vectors, labels))
        grouped = np.zeros(len(parts[-1]), dtype=bool)
        np.logical_or.at(grouped, labels, flags)
        content.append(grouped)
        counts.append(len(grouped))
    flags_all = np.concatenate(content)
    return ExactTokens(exact.ids, counts, np.concatenate(parts), flags_all, flags_all)


def groups_by(step: str) -> Callable[[int], int]:
    """`poolF`: a passage's tokens into 1/F as many groups (at least one); `capN`: at most N,
    a passage with N or fewer kept whole."""
    if step.startswith("cap"):
        most = int(step[3:])
        return lambda count: min(count, most)
    factor = float(step[4:])
    return lambda count: max(1, math.ceil(count / factor)) if count > 2 else count


def exact_tokens(indexed: run.Indexed, embedder: Embedder, cache: Path) -> ExactTokens:
    if cache.exists():
        with np.load(cache) as saved:
            return ExactTokens(
                saved["ids"].tolist(),
                saved["counts"].tolist(),
                saved["vectors"].astype(np.float32),
                saved["content"],
                saved["wordlike"],
            )
    library = indexed.library
    texts = {p.id: p.text for s in library.stories() for p in library.passages(s.id)}
    ids = sorted(texts)
    counts: list[int] = []
    parts: list[npt.NDArray[np.float16]] = []
    content: list[npt.NDArray[np.bool_]] = []
    wordlike: list[npt.NDArray[np.bool_]] = []
    for first in range(0, len(ids), 32):  # as the build's forward pass (Embedder.token_vectors
        batch = ids[first : first + 32]  # would read a short last batch on the query export)
        for pid, out in zip(batch, embedder.forward_tokens([texts[p] for p in batch]), strict=True):
            vectors, spans = real_tokens(out.tokens, out.spans)
            parts.append(vectors.astype(np.float16))
            counts.append(len(vectors))
            content.append(content_tokens(texts[pid], spans))
            wordlike.append(word_token_mask(texts[pid], spans))
    kept, flags, words = np.concatenate(parts), np.concatenate(content), np.concatenate(wordlike)
    np.savez(
        cache,
        ids=np.asarray(ids),
        counts=np.asarray(counts),
        vectors=kept,
        content=flags,
        wordlike=words,
    )
    return ExactTokens(ids, counts, kept.astype(np.float32), flags, words)


class MixedCodec:
    """Content-word tokens in one quantizer, the rest in a smaller one (a row holds a flag byte
    and the wider code; the bytes reported are what a layout of two arrays would keep)."""

    def __init__(self, content: TokenCodec, function: TokenCodec) -> None:
        self.content, self.function = content, function
        self.dimension = content.dimension
        self.code_size = 1 + max(content.code_size, function.code_size)

    def encode(self, vectors: Vectors, is_content: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint8]:
        rows = np.zeros((len(vectors), self.code_size), dtype=np.uint8)
        rows[:, 0] = is_content
        rows[is_content, 1 : 1 + self.content.code_size] = self.content.encode(vectors[is_content])
        rows[~is_content, 1 : 1 + self.function.code_size] = self.function.encode(
            vectors[~is_content]
        )
        return rows

    def decode(self, rows: npt.NDArray[np.uint8]) -> Vectors:
        is_content = rows[:, 0].astype(bool)
        vectors = np.empty((len(rows), self.dimension), dtype=np.float32)
        vectors[is_content] = self.content.decode(rows[is_content, 1 : 1 + self.content.code_size])
        vectors[~is_content] = self.function.decode(
            rows[~is_content, 1 : 1 + self.function.code_size]
        )
        return vectors


class FactoryCodec:
    """Any FAISS standalone codec by its factory string (a PCA before a quantizer, 8-bit
    codes, residual quantizers), decoded vectors put back to unit length."""

    def __init__(self, description: str, sample: Vectors, seed: int) -> None:
        import faiss

        self._index = faiss.index_factory(sample.shape[1], description, faiss.METRIC_INNER_PRODUCT)
        inner = faiss.downcast_index(self._index)
        if isinstance(inner, faiss.IndexPreTransform):
            inner = faiss.downcast_index(inner.index)
        if isinstance(inner, faiss.IndexPQ):
            inner.pq.cp.seed = seed
        self._index.train(np.ascontiguousarray(sample))
        self.dimension = sample.shape[1]
        self.code_size = int(self._index.sa_code_size())

    def encode(self, vectors: Vectors) -> npt.NDArray[np.uint8]:
        codes: npt.NDArray[np.uint8] = self._index.sa_encode(np.ascontiguousarray(vectors))
        return codes

    def decode(self, codes: npt.NDArray[np.uint8]) -> Vectors:
        return normalised(self._index.sa_decode(np.ascontiguousarray(codes)))


def product_quantizer(sample: Vectors, subvectors: int, seed: int, bits: int = 4) -> TokenCodec:
    import faiss

    index = faiss.IndexPQ(sample.shape[1], subvectors, bits, faiss.METRIC_INNER_PRODUCT)
    index.pq.cp.seed = seed
    index.train(np.ascontiguousarray(sample))
    return TokenCodec(index)


@dataclass
class Coded:
    label: str
    codec: Any  # TokenCodec or MixedCodec: what TokenCodes decodes with
    codes: npt.NDArray[np.uint8]
    bytes_per_token: float
    train_s: float
    encode_us: float  # a token


def coded(spec: str, seed: int, exact: ExactTokens) -> Coded:
    vectors = exact.vectors
    drawn = np.linspace(0, len(vectors) - 1, min(len(vectors), PQ_TRAIN_TOKENS)).astype(np.int64)
    sample = vectors[drawn]
    started = time.perf_counter()
    codec: Any
    if spec == "exact":
        codec = TokenCodec.trained(sample, quantize=False)
    elif spec == "built":
        subvectors, bits = pq_layout(sample.shape[1])
        codec = product_quantizer(sample, subvectors, seed, bits)
    elif spec.startswith("pq"):
        subvectors, _, bits = spec[2:].partition("x")
        codec = product_quantizer(sample, int(subvectors), seed, int(bits or 4))
    elif spec.startswith("f:"):
        codec = FactoryCodec(spec[2:].replace(";", ","), sample, seed)
    elif spec.startswith("mixed"):
        wide, narrow_spec = spec[5:].split("/")
        narrow, _, bits = narrow_spec.partition("x")  # "2x8": 2 sub-vectors of 8 bits
        is_content = exact.content[drawn]
        function_sample = vectors[~exact.content]
        function_sample = function_sample[
            np.linspace(
                0, len(function_sample) - 1, min(len(function_sample), PQ_TRAIN_TOKENS)
            ).astype(np.int64)
        ]
        codec = MixedCodec(
            product_quantizer(sample[is_content], int(wide), seed),
            product_quantizer(function_sample, int(narrow), seed, int(bits or 4)),
        )
    else:
        raise SystemExit(f"Unknown coding {spec!r}: exact, built, pqM[xB], mixedC/F, f:FACTORY.")
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    if isinstance(codec, MixedCodec):
        codes = codec.encode(vectors, exact.content)
        share = float(exact.content.mean())
        size = share * codec.content.code_size + (1 - share) * codec.function.code_size
    else:
        codes = codec.encode(vectors)
        size = float(codec.code_size)
    encode_us = (time.perf_counter() - started) / len(vectors) * 1e6
    return Coded(spec, codec, codes, size, train_s, encode_us)


def evaluate_coded(
    indexed: run.Indexed,
    exact: ExactTokens,
    coding: Coded,
    halves: tuple[list[int], list[int]],
    query_vectors: dict[int, object],
) -> tuple[float, float]:
    """Hybrid MRR@10 on the tune and test halves with the token vectors coded this way."""
    library = indexed.library
    counts = np.asarray(exact.counts, dtype=np.int64)
    table = np.stack([np.asarray(exact.ids), np.cumsum(counts) - counts, counts], axis=1)
    stored = TokenCodes(coding.codec, coding.codes, table)
    library.token_matcher = TokenMatcher(library.embedder.token_vectors, stored)
    shipped = SearchSettings()
    mrr = []
    for half in halves:
        found = run.candidates_of(indexed, half, query_vectors, "hybrid")
        mrr.append(run.evaluate(indexed, found, "hybrid", shipped)[0]["MRR@10"])
    return mrr[0], mrr[1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="cosmosqa,odyssey,iliad,fables,proverbs")
    parser.add_argument("--bigbench", type=Path, help="a local bigbench-1.0.0 sdist or tree")
    parser.add_argument("--work", type=Path, required=True, help="indexes and token vectors")
    parser.add_argument("--codes", default="exact,built@wordlike+cap110,pq128")
    parser.add_argument("--seeds", default="20241202,1,2", help="for every quantizer")
    args = parser.parse_args(argv)
    import faiss

    faiss.omp_set_num_threads(1)  # as run.py: one query at a time
    names = [n for n in args.sets.split(",") if n]
    folder = ensure_tasks(args.bigbench) if any(n in TASKS for n in names) else None
    seeds = [int(s) for s in args.seeds.split(",")]
    embedder = Embedder()
    print(
        "set       coding        seed  bytes/token  KB/passage  train s  encode us/token  "
        "MRR@10 tune  test"
    )
    summary: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for name in names:
        data = eval_set(name, folder)
        indexed = run.index_set(data, embedder, args.work / f"{name}-pooled")
        exact = exact_tokens(indexed, embedder, args.work / f"{name}-tokens.npz")
        halves = split(len(data.queries))
        encoded = embedder.encode(data.queries)
        query_vectors: dict[int, object] = {q: encoded[q : q + 1] for q in range(len(data.queries))}
        for spec in args.codes.split(","):
            coding_spec, _, keep = spec.partition("@")
            tokens = exact
            for step in keep.split("+") if keep else []:
                if step.startswith(("pool", "cap")):
                    started = time.perf_counter()
                    tokens = pooled_tokens(tokens, groups_by(step))
                    print(f"  {step} in {time.perf_counter() - started:.1f} s", flush=True)
                else:
                    tokens = tokens.kept(getattr(tokens, step))
            per_passage = float(np.mean(tokens.counts))
            for seed in [0] if coding_spec == "exact" else seeds:
                coding = coded(coding_spec, seed, tokens)
                tune, test = evaluate_coded(indexed, tokens, coding, halves, query_vectors)
                summary.setdefault((name, spec), []).append((tune, test))
                print(
                    f"{name:9} {spec:12} {seed:>9} {coding.bytes_per_token:12.1f} "
                    f"{coding.bytes_per_token * per_passage / 1024:11.2f} {coding.train_s:8.1f} "
                    f"{coding.encode_us:16.1f}  {tune:11.3f} {test:5.3f}",
                    flush=True,
                )
        indexed.library.close()
    print("\nmean over seeds (tune, test):")
    for (name, spec), rows in summary.items():
        tune = statistics.fmean(r[0] for r in rows)
        test = statistics.fmean(r[1] for r in rows)
        print(f"  {name:9} {spec:12} {tune:.3f} {test:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
