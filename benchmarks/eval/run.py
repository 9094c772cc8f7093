"""Retrieval quality of Storylens search, method by method, on public data and the seed set.

    python -m benchmarks.eval [--sets fables,proverbs,cosmosqa,odyssey,iliad,seeds]
                              [--bigbench SDIST]

Each set's documents are written as story files, indexed with build_index, and searched through
Library (score_candidates + ranked is search() without building Hit objects). Queries are split
in half with a fixed seed: the fusion weights are tuned on the tune half (printed), the table
reports the test half with the weights Storylens ships (index/search/fusion.py SearchSettings).
A hit counts for the story it comes from; the seed set counts the passage itself.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.eval.datasets import TASKS, EvalSet, ensure_tasks, eval_set, split
from index import Embedder, Library, build_index
from index.search.fusion import Candidates, Mode, SearchSettings
from index.search.relevance import evidence, shown_relevance
from index.search.results import Why
from index.store.generations import IndexDir

DEPTH = 10  # metrics look at the top 10 stories
SINGLE_METHODS = ("dense, whole passage", "dense + sentences", "keyword (BM25)")
FETCH = 50  # passages fetched to fill 10 distinct stories
SENTENCE_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
KEYWORD_GRID = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
FOCUS_GRID = (1.0, 2.0, 3.0)
FUNCTION_GRID = (0.0, 0.25, 0.5, 1.0)
RERANK_DENSE_GRID = (0.0, 0.25, 0.5)
RERANK_KEYWORD_GRID = (0.0, 1.0, 2.0, 4.0)


@dataclass(frozen=True)
class Method:
    label: str
    mode: Mode
    settings: SearchSettings


def methods(shipped: SearchSettings) -> list[Method]:
    return [
        Method("dense, whole passage", "dense", replace(shipped, sentence_weight=0.0)),
        Method("dense + sentences", "dense", shipped),
        Method("keyword (BM25)", "keyword", shipped),
        Method("hybrid, first stage only", "hybrid", replace(shipped, rerank_depth=0)),
        Method("hybrid", "hybrid", shipped),
    ]


@dataclass
class Indexed:
    data: EvalSet
    library: Library
    document_of_passage: dict[int, int]
    marker_passages: list[set[int]] | None  # seeds: ids of the passages holding each marker
    build_seconds: float
    files: dict[str, int]  # bytes per kind of index file
    sentences: int


def index_set(data: EvalSet, embedder: Embedder, where: Path, store: str = "local") -> Indexed:
    """Write the documents as story files and index them (or reuse an index already there);
    with store="milvus", publish that index to a Milvus Lite file and search it there."""
    stories = where / "stories"
    stories.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(data.documents):
        (stories / f"doc-{i:05d}.txt").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    report = build_index([stories], where / "index", embedder=embedder)
    seconds = time.perf_counter() - started if report.changed else float("nan")
    if store == "milvus":
        from index.store.milvus import MilvusAddress
        from index.store.milvus.publish import publish_index

        address = f"milvus:{where / 'library.db'}"
        publish_index(where / "index", MilvusAddress.parse(address))
        library = Library.open(address, embedder=embedder)
    else:
        library = Library.open(where / "index", embedder=embedder)
    library.token_matcher.cache_passages = library.info().passages  # each passage read once
    passages = [p for s in library.stories() for p in library.passages(s.id)]
    document_of_story = {s.id: int(Path(s.path).stem.split("-")[1]) for s in library.stories()}
    document_of_passage = {p.id: document_of_story[p.story_id] for p in passages}
    markers = None
    if data.markers is not None:
        markers = [{p.id for p in passages if m in p.text} for m in data.markers]
    files: dict[str, int] = {}
    for path in IndexDir(where / "index").current().iterdir():
        kind = "keywords" if path.name.startswith("keywords.") else path.name
        files[kind] = files.get(kind, 0) + path.stat().st_size
    sentences = sum(len(p.sentences) for p in passages)
    return Indexed(data, library, document_of_passage, markers, seconds, files, sentences)


def first_relevant_rank(indexed: Indexed, query: int, passage_ids: Sequence[int]) -> list[int]:
    """1-based ranks (within the top DEPTH) of the relevant stories, or passages for seeds."""
    if indexed.marker_passages is not None:
        wanted = indexed.marker_passages[query]
        return [r for r, pid in enumerate(passage_ids[:DEPTH], 1) if pid in wanted]
    relevant = indexed.data.relevant[query]
    seen: list[int] = []
    for pid in passage_ids:
        doc = indexed.document_of_passage[pid]
        if doc not in seen:
            seen.append(doc)
        if len(seen) == DEPTH:
            break
    return [r for r, doc in enumerate(seen, 1) if doc in relevant]


def metrics(indexed: Indexed, ranks: dict[int, list[int]]) -> dict[str, float]:
    return {k: float(np.mean(v)) if v else 0.0 for k, v in per_query(indexed, ranks).items()}


def per_query(indexed: Indexed, ranks: dict[int, list[int]]) -> dict[str, list[float]]:
    """Each metric's value for each query, in the order of `ranks` (metrics() is their mean)."""
    out: dict[str, list[float]] = {k: [] for k in ("R@1", "R@10", "MRR@10", "Hit@1", "Hit@10")}
    for query, found in ranks.items():
        total = 1 if indexed.marker_passages is not None else len(indexed.data.relevant[query])
        out["R@1"].append(sum(r <= 1 for r in found) / total)
        out["R@10"].append(sum(r <= DEPTH for r in found) / total)
        out["MRR@10"].append(1 / found[0] if found else 0.0)
        out["Hit@1"].append(float(bool(found and found[0] == 1)))
        out["Hit@10"].append(float(bool(found)))
    return out


def paired_interval(
    a: Sequence[float], b: Sequence[float], resamples: int = 5000
) -> tuple[float, float]:
    """A 95% interval for mean(a - b) over the same queries (paired bootstrap, fixed seed):
    on a few dozen queries a gap of a few points can be one query's luck, and this says so."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if len(diff) == 0:
        return math.nan, math.nan
    draws = np.random.default_rng(0).integers(0, len(diff), size=(resamples, len(diff)))
    low, high = np.percentile(diff[draws].mean(axis=1), [2.5, 97.5])
    return float(low), float(high)


def candidates_of(
    indexed: Indexed, queries: Sequence[int], vectors: dict[int, object], mode: Mode
) -> dict[int, Candidates]:
    library = indexed.library
    return {
        q: library.score_candidates(
            indexed.data.queries[q],
            vector=vectors[q] if mode != "keyword" else None,  # type: ignore[arg-type]
            mode=mode,
        )
        for q in queries
    }


def evaluate(
    indexed: Indexed,
    found: dict[int, Candidates],
    mode: Mode,
    settings: SearchSettings,
) -> tuple[dict[str, float], dict[int, list[int]]]:
    ranks = {
        q: first_relevant_rank(indexed, q, [r.passage_id for r in c.ranked(FETCH, mode, settings)])
        for q, c in found.items()
    }
    return metrics(indexed, ranks), ranks


def tune(sets: Sequence[Indexed], tune_found: Sequence[dict[int, Candidates]]) -> SearchSettings:
    """Tuned on the tune halves in three steps, MRR@10 taken as a share of a baseline so every
    collection counts the same however hard it is. First the sentence weight, meaning alone, by
    the mean share of whole-passage meaning. Then the keyword weight and focus power of the
    hybrid's first stage, by the worst share, over the sets, of the better single signal
    (whole-passage meaning or keywords): fusion must not make any kind of collection worse.
    Last the token-match rerank (stopword weight, dense and keyword weights) the same way. The
    rows it reranks are the shipped first stage's best (score_candidates chose them)."""
    print("Tuning on the tune halves (MRR@10):")
    base = SearchSettings()
    whole, best_single = [], []
    for x, found in zip(sets, tune_found, strict=True):
        dense = evaluate(x, found, "dense", replace(base, sentence_weight=0.0))[0]["MRR@10"]
        keyword = evaluate(x, found, "keyword", base)[0]["MRR@10"]
        whole.append(max(dense, 1e-9))
        best_single.append(max(dense, keyword, 1e-9))
        print(f"  {x.data.name}: dense (whole passage) {dense:.3f}, keyword {keyword:.3f}")

    def share(mode: Mode, settings: SearchSettings, baseline: list[float]) -> list[float]:
        return [
            evaluate(x, found, mode, settings)[0]["MRR@10"] / b
            for x, found, b in zip(sets, tune_found, baseline, strict=True)
        ]

    def report(label: str, value: float, shares: list[float]) -> None:
        parts = "  ".join(f"{x.data.name} {v:.3f}" for x, v in zip(sets, shares, strict=True))
        print(
            f"    {label} {value:<5} mean share {sum(shares) / len(shares):.3f}, "
            f"worst {min(shares):.3f}  ({parts})"
        )

    print("  dense + sentences, by sentence weight (share of whole passage):")
    by_sentence = []
    for s in SENTENCE_GRID:
        shares = share("dense", replace(base, sentence_weight=s), whole)
        report("sentence", s, shares)
        by_sentence.append((sum(shares) / len(shares), s))
    sentence = max(by_sentence)[1]
    print("  hybrid, by keyword weight and focus power (share of the better single signal):")
    by_keyword = []
    for w, p in itertools.product(KEYWORD_GRID, FOCUS_GRID):
        settings = replace(
            base, sentence_weight=sentence, keyword_weight=w, focus_power=p, rerank_depth=0
        )
        shares = share("hybrid", settings, best_single)
        report(f"keyword {w} focus", p, shares)
        by_keyword.append((min(shares), sum(shares), w, p))
    _, _, w, p = max(by_keyword)
    first = replace(base, sentence_weight=sentence, keyword_weight=w, focus_power=p)
    print("  hybrid, token match of the first stage's best (share of the better single signal):")
    by_rerank = []
    for f, a, b in itertools.product(FUNCTION_GRID, RERANK_DENSE_GRID, RERANK_KEYWORD_GRID):
        settings = replace(first, function_weight=f, rerank_dense=a, rerank_keyword=b)
        shares = share("hybrid", settings, best_single)
        report(f"stopwords {f} dense {a} keyword", b, shares)
        by_rerank.append((min(shares), sum(shares), f, a, b))
    _, _, f, a, b = max(by_rerank)
    return replace(first, function_weight=f, rerank_dense=a, rerank_keyword=b)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="fables,proverbs,cosmosqa,odyssey,iliad,darwin,seeds")
    parser.add_argument("--bigbench", type=Path, help="a local bigbench-1.0.0 sdist or tree")
    parser.add_argument(
        "--work", type=Path, help="keep the indexes here and reuse them next time (default: temp)"
    )
    parser.add_argument(
        "--sentence-vectors",
        choices=["pooled", "separate"],
        default="pooled",
        help="pooled: what Storylens does (token vectors of the passage's forward pass); "
        "separate: embed every sentence on its own as well, to compare quality and build time",
    )
    parser.add_argument(
        "--model",
        type=Path,
        metavar="DIR",
        help="a local sentence-transformers model to evaluate instead of the bundled one (as "
        "`storylens index --model DIR` would use it), with the weights Storylens ships",
    )
    parser.add_argument(
        "--store",
        choices=["local", "milvus"],
        default="local",
        help="milvus: publish each index to Milvus Lite and search it there (pip install "
        "storylens[scale]); the table should not change",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if args.sentence_vectors == "separate":
        import index.build.builder

        index.build.builder.embed_with_sentences = _embed_sentences_separately  # type: ignore[assignment]
    import faiss

    # One query at a time: OpenMP threads only contend (50x slower on a busy 2-core machine).
    faiss.omp_set_num_threads(1)
    names = [n for n in args.sets.split(",") if n]
    folder = ensure_tasks(args.bigbench) if any(n in TASKS for n in names) else None
    embedder = Embedder(args.model)
    shipped = SearchSettings()
    table: list[tuple[str, str, dict[str, float]]] = []
    each_query: dict[tuple[str, str], dict[str, list[float]]] = {}
    misses: list[str] = []
    honesty: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        indexed: list[Indexed] = []
        for name in names:
            data = eval_set(name, folder)
            model = f"-{args.model.name}" if args.model is not None else ""
            where = (args.work or Path(tmp)) / f"{name}-{args.sentence_vectors}{model}"
            indexed.append(index_set(data, embedder, where, args.store))
            x = indexed[-1]
            print(
                f"{name}: {len(data.queries)} queries, {len(data.documents)} stories, "
                f"{len(x.library.info().meta) and x.library.info().passages} passages, "
                f"{x.sentences} sentences; build {_seconds(x.build_seconds)}; files "
                + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sorted(x.files.items())),
                file=sys.stderr,
            )
        halves = {x.data.name: split(len(x.data.queries)) for x in indexed}
        vectors: dict[str, dict[int, object]] = {}
        for x in indexed:
            encoded = embedder.encode(x.data.queries)
            vectors[x.data.name] = {q: encoded[q : q + 1] for q in range(len(x.data.queries))}
        pub = [x for x in indexed if x.data.name != "seeds"]
        if pub:
            tune_found = [
                candidates_of(x, halves[x.data.name][0], vectors[x.data.name], "hybrid")
                for x in pub
            ]
            tuned = tune(pub, tune_found)
            print(f"Tuned: {tuned}.  Shipped: {shipped}.\n")
        for x in indexed:
            # The seed set is ours and small: all of it is reported, none of it tuned on.
            test = halves[x.data.name][1] if x.data.name != "seeds" else range(len(x.data.queries))
            found_by_mode = {
                mode: candidates_of(x, list(test), vectors[x.data.name], mode)
                for mode in ("dense", "keyword", "hybrid")
            }
            for method in methods(shipped):
                result, ranks = evaluate(
                    x, found_by_mode[method.mode], method.mode, method.settings
                )
                table.append((x.data.name, method.label, result))
                each_query[x.data.name, method.label] = per_query(x, ranks)
                if method.label == "hybrid":
                    misses.extend(_misses(x, ranks))
                    honesty.append(relevance_honesty(x, found_by_mode["hybrid"], shipped))
        print_table(table, indexed, halves, each_query)
        print_honesty(honesty)
        if misses:
            print("\nHybrid misses at rank 1 (seed set; public sets: first five each):")
            print("\n".join(misses))
        for x in indexed:
            x.library.close()
    return 0


def _embed_sentences_separately(
    embedder: Embedder,
    texts: Sequence[str],
    sentence_spans: Sequence[Sequence[tuple[int, int]]],
    **options: object,
) -> tuple[object, list[object]]:
    """The alternative to pooling: a second forward pass over every sentence alone."""
    passages = embedder.encode(texts)
    flat = [text[s:e] for text, spans in zip(texts, sentence_spans, strict=True) for s, e in spans]
    vectors = embedder.encode(flat)
    out, at = [], 0
    for spans in sentence_spans:
        out.append(vectors[at : at + len(spans)])
        at += len(spans)
    return passages, out


def relevance_honesty(
    indexed: Indexed, found: dict[int, Candidates], shipped: SearchSettings
) -> str:
    """How well the relevance shown beside each hit tells right hits from wrong ones, across
    queries, against the rule before it (index/search/relevance.py says why it changed)."""
    right: dict[str, list[float]] = {"now": [], "before": []}
    wrong: dict[str, list[float]] = {"now": [], "before": []}
    ties = {"now": 0, "before": 0}
    pairs = 0
    for q, candidates in found.items():
        ranked = candidates.ranked(DEPTH, "hybrid", shipped)
        whys = [Why(dense=r.dense, keyword=r.keyword, token_match=r.token_match) for r in ranked]
        shown = {
            "now": shown_relevance([evidence(why) for why in whys]),
            "before": list(
                itertools.accumulate(
                    (max(0.0, min(1.0, max(w.dense, w.keyword))) for w in whys), min, initial=1.0
                )
            )[1:],
        }
        ok = [_is_right(indexed, q, r.passage_id) for r in ranked]
        pairs += max(len(ranked) - 1, 0)
        for rule, values in shown.items():
            for good, value in zip(ok, values, strict=True):
                (right if good else wrong)[rule].append(value)
            ties[rule] += sum(round(a, 2) == round(b, 2) for a, b in itertools.pairwise(values))
    cells = [
        f"AUC {_auc(right[rule], wrong[rule]):.3f}, equal {ties[rule] / max(pairs, 1):.0%}"
        for rule in ("now", "before")
    ]
    return f"  {indexed.data.name}: {cells[0]} / {cells[1]}"


def print_honesty(lines: Sequence[str]) -> None:
    print(
        "\nThe relevance shown (hybrid, top ten of the test half): AUC of right against "
        "wrong hits pooled over queries (1: every right hit shown above every wrong one); "
        "neighbours shown equal to two decimals. Now / as before (passage cosine or "
        "keywords, capped by every hit above):"
    )
    print("\n".join(lines))


def _is_right(indexed: Indexed, query: int, passage_id: int) -> bool:
    if indexed.marker_passages is not None:
        return passage_id in indexed.marker_passages[query]
    return indexed.document_of_passage[passage_id] in indexed.data.relevant[query]


def _auc(right: Sequence[float], wrong: Sequence[float]) -> float:
    """The chance that a right hit is shown above a wrong one (ties count half)."""
    if not right or not wrong:
        return math.nan
    r = np.asarray(right)[:, None]
    w = np.asarray(wrong)[None, :]
    return float((r > w).mean() + 0.5 * (r == w).mean())


def _seconds(value: float) -> str:
    return "reused" if math.isnan(value) else f"{value:.1f} s"  # NaN: the index was there


def _misses(x: Indexed, ranks: dict[int, list[int]]) -> list[str]:
    out = []
    limit = None if x.data.name == "seeds" else 5
    for q, found in ranks.items():
        if found and found[0] == 1:
            continue
        where = f"rank {found[0]}" if found else "not in top 10"
        out.append(f"  [{x.data.name}] {x.data.queries[q][:90]!r}: {where}")
        if limit is not None and len(out) >= limit:
            break
    return out


def print_table(
    table: Sequence[tuple[str, str, dict[str, float]]],
    indexed: Sequence[Indexed],
    halves: dict[str, tuple[list[int], list[int]]],
    each_query: dict[tuple[str, str], dict[str, list[float]]],
) -> None:
    keys = ["R@1", "R@10", "MRR@10", "Hit@1", "Hit@10"]
    print(f"| set (test queries) | method | {' | '.join(keys)} |")
    print("|---|---|" + "---:|" * len(keys))
    sizes = {
        x.data.name: len(x.data.queries) if x.data.name == "seeds" else len(halves[x.data.name][1])
        for x in indexed
    }
    for name, label, result in table:
        cells = " | ".join(f"{result[k]:.3f}" for k in keys)
        print(f"| {name} ({sizes[name]}) | {label} | {cells} |")
    print(
        "\nhybrid minus the best single method on each metric (negative: fusion lost), with a "
        "95% interval from a paired bootstrap over the queries:"
    )
    for name in sizes:
        rows = {label: result for set_name, label, result in table if set_name == name}
        single = [label for label in SINGLE_METHODS if label in rows]
        if "hybrid" not in rows or not single:
            continue
        gaps = []
        for k in ("R@1", "R@10", "MRR@10"):
            best = max(single, key=lambda label: rows[label][k])
            low, high = paired_interval(each_query[name, "hybrid"][k], each_query[name, best][k])
            gaps.append(f"{k} {rows['hybrid'][k] - rows[best][k]:+.3f} [{low:+.3f}, {high:+.3f}]")
        print(f"  {name}: {', '.join(gaps)}")


if __name__ == "__main__":
    sys.exit(main())
