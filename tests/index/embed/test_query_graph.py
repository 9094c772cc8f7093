"""Queries on ONNX Runtime: the export reads a query as the torch model does, search answers
the same, a new process searches by meaning without importing torch, and an export that cannot
be used (damaged, of another version of the model) is never used."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.embed.model import TORCH_QUERIES_ENV, Embedder
from index.embed.query_graph import QueryGraph, exported, graph_dir
from index.search.library import Library

QUERIES = [
    "a dancer doubts she is good enough",
    "her dad, long gone from her life, turns up after the show to say sorry",
    "Sofía Kalējs bows — “bravo!” — and the hall roars",
    "ballet",
]


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Of two normalised 1 x d vectors."""
    return float((a @ b.T)[0, 0])


@pytest.fixture
def in_torch() -> Embedder:
    """The same model reading queries in torch, float32."""
    return Embedder(precision="fp32", query_graph=False)


def test_the_bundled_model_is_exported_and_used(embedder: Embedder) -> None:
    assert exported(embedder.path)
    assert embedder.query_graph() is not None
    assert embedder.running_precision == "fp32"


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_reads_as_in_torch(embedder: Embedder, in_torch: Embedder, query: str) -> None:
    vector, tokens, spans = embedder.read_query(query)
    want_vector, want_tokens, want_spans = in_torch.read_query(query)
    assert spans == want_spans
    assert _cosine(vector, want_vector) > 0.9999
    assert tokens.shape == want_tokens.shape
    assert np.min(np.sum(tokens * want_tokens, axis=1)) > 0.9999
    assert _cosine(embedder.encode([query]), in_torch.encode([query])) > 0.9999


# Two float32 implementations differ in the last bits of each cosine (1e-4 at most, above), and
# token match standardises its scores over the passages it reads, so two passages whose scores
# are this close (in those standardised units) may trade places between them; nothing else may.
NEAR_TIE = 0.01


def test_search_answers_as_with_torch(
    seed_index: Path, embedder: Embedder, in_torch: Embedder
) -> None:
    with (
        Library.open(seed_index, embedder=embedder) as fast,
        Library.open(seed_index, embedder=in_torch) as slow,
    ):
        for query in [*QUERIES, '"estranged father" backstage', "x" * 3000]:
            by_export = {h.passage.id: h.score for h in fast.search(query, k=20)}
            by_torch = {h.passage.id: h.score for h in slow.search(query, k=20)}
            assert _differences_beyond_near_ties(by_export, by_torch) == [], query


def _differences_beyond_near_ties(
    by_export: dict[int, float], by_torch: dict[int, float], depth: int = 10
) -> list[tuple[int, ...]]:
    """Where the two top tens differ other than by near ties: a passage in one top ten that
    the other ranks clearly below its tenth, or two passages in opposite order by a clear gap
    in both."""
    found: list[tuple[int, ...]] = []
    top = {"export": list(by_export)[:depth], "torch": list(by_torch)[:depth]}
    for mine, other, scores in (("export", "torch", by_torch), ("torch", "export", by_export)):
        for passage in set(top[mine]) - set(top[other]):
            if passage not in scores or scores[top[other][-1]] - scores[passage] >= NEAR_TIE:
                found.append((passage,))
    both = [p for p in top["export"] if p in top["torch"]]
    for a, b in itertools.combinations(both, 2):  # a above b by the export
        swapped = top["torch"].index(a) > top["torch"].index(b)
        if swapped and min(by_export[a] - by_export[b], by_torch[b] - by_torch[a]) >= NEAR_TIE:
            found.append((a, b))
    return found


def test_a_new_process_searches_by_meaning_without_torch(seed_index: Path, tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from index.search.library import Library\n"
        "with Library.open(sys.argv[1]) as lib:\n"
        "    hits = lib.search('her father, missing from her life, waits at the side of the "
        "stage', k=3)\n"
        "print(hits[0].passage.story_title, hits[0].why.dense > 0, 'torch' in sys.modules)\n"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in (TORCH_QUERIES_ENV, "ORT_DISABLE_TELEMETRY")
    }
    env |= {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / ".cache")}
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", script, str(seed_index)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == ["Sofia", "Kalejs", "True", "False"]
    # ONNX Runtime's telemetry client wrote a device id under ~/.cache/Microsoft when allowed
    assert not (tmp_path / ".cache" / "Microsoft").exists()


@pytest.fixture
def model_copy(embedder: Embedder, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(embedder.path, copy)
    return copy


def test_a_damaged_export_is_not_used(model_copy: Path, embedder: Embedder) -> None:
    assert Embedder(model_copy).export_query_graph()
    (graph_dir(model_copy) / "model.onnx").write_bytes(b"not a graph")
    assert QueryGraph.open(model_copy) is None
    fresh = Embedder(model_copy)
    assert fresh.query_graph() is None
    vector, _tokens, _spans = fresh.read_query(QUERIES[0])  # read in torch instead
    assert _cosine(vector, embedder.read_query(QUERIES[0])[0]) > 0.99
    assert fresh.export_query_graph()  # the next export makes it again
    assert QueryGraph.open(model_copy) is not None


def test_a_changed_model_is_not_answered_by_the_old_export(model_copy: Path) -> None:
    assert Embedder(model_copy).export_query_graph()
    before = graph_dir(model_copy)
    config = model_copy / "config.json"
    config.write_text(json.dumps(json.loads(config.read_text(encoding="utf-8"))), "utf-8")
    assert graph_dir(model_copy) != before
    assert not exported(model_copy)
    assert Embedder(model_copy).query_graph() is None


def test_a_model_with_a_dense_head_exports_too(dense_model: Path) -> None:
    model = Embedder(dense_model, precision="fp32")
    assert model.export_query_graph()
    graph = QueryGraph.open(dense_model)
    assert graph is not None and graph.dimension == 256
    want = Embedder(dense_model, precision="fp32", query_graph=False).encode([QUERIES[1]])
    assert _cosine(graph.encode([QUERIES[1]]), want) > 0.9999


def test_precision_bf16_keeps_queries_in_torch(embedder: Embedder) -> None:
    assert Embedder(precision="bf16").query_graph() is None


def test_the_environment_keeps_queries_in_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TORCH_QUERIES_ENV, "1")
    assert Embedder().query_graph() is None


def test_work_left_by_an_interrupted_export_is_removed(
    model_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STORYLENS_CACHE", str(tmp_path / "cache"))
    root = graph_dir(model_copy).parent
    abandoned, writing = root / ".export-abandoned", root / ".export-writing"
    for folder in (abandoned, writing):
        folder.mkdir(parents=True)
        (folder / "model.onnx").write_bytes(b"half written")
    os.utime(abandoned, (0, 0))  # left long ago; `writing` is another process's, just begun
    assert Embedder(model_copy).export_query_graph()
    assert not abandoned.exists()
    assert writing.exists()
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [".export-writing", graph_dir(model_copy).name]
    )


def test_a_cache_that_cannot_be_written_leaves_queries_in_torch(
    model_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("STORYLENS_CACHE", str(blocked))
    model = Embedder(model_copy)
    assert not model.export_query_graph()
    assert model.query_graph() is None
    assert model.read_query(QUERIES[0])[0].shape == (1, 384)
