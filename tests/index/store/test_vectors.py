"""Exact and approximate vector search on real embeddings of the sample stories' sentences."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from index.build.builder import build_index
from index.embed.model import Embedder
from index.errors import IndexCorrupt
from index.search.library import Library
from index.store.vectors import VectorIndex, cells_for
from index.text.passages import sentence_spans

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
THRESHOLD = 1000  # forced low so that a few thousand vectors get the inverted file

Matrix = npt.NDArray[np.float32]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """2000 distinct pairs of the sample stories' real sentences: short passages of prose."""
    sentences = [
        text[start:end]
        for text in (path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
        for start, end in sentence_spans(text)
    ]
    pairs = [(a, b) for a in range(len(sentences)) for b in range(len(sentences)) if a < b]
    random.Random(5).shuffle(pairs)
    return [f"{sentences[a]} {sentences[b]}" for a, b in pairs[:2000]]


@pytest.fixture(scope="module")
def vectors(texts: list[str], embedder: Embedder) -> Matrix:
    return embedder.encode(texts)


@pytest.fixture(scope="module")
def queries(embedder: Embedder) -> Matrix:
    from tests.index.embed.test_model import QUERIES

    return embedder.encode(QUERIES)


def _ids(n: int) -> list[int]:
    return [7 + 3 * i for i in range(n)]  # not 0..n-1: ids must survive every layout


def _flat(vectors: Matrix) -> VectorIndex:
    index = VectorIndex.empty(vectors.shape[1])
    index.add(_ids(len(vectors)), vectors)
    return index


def _recall(found: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> float:
    return float(
        np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth, strict=True)])
    )


def test_small_libraries_stay_exact(vectors: Matrix) -> None:
    index = _flat(vectors).fitted(threshold=len(vectors) + 1)
    assert index.kind == "flat"
    assert index.params == "flat fp32 exact"


def test_inverted_file_past_the_threshold_keeps_recall(vectors: Matrix, queries: Matrix) -> None:
    exact = _flat(vectors)
    ann = exact.fitted(threshold=THRESHOLD)
    assert ann.kind == "ivf"
    assert f"cells={cells_for(len(vectors))}" in ann.params
    _, truth = exact.search(queries, 10)
    scores, found = ann.search(queries, 10)
    assert _recall(found, truth) >= 0.95
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first
    passage = _ids(len(vectors))[123]
    assert np.allclose(ann.vector(passage), vectors[123], atol=1e-3)  # float16 storage


def test_story_filter_with_the_inverted_file(vectors: Matrix, queries: Matrix) -> None:
    exact, ann = _flat(vectors), _flat(vectors).fitted(threshold=THRESHOLD)
    few = _ids(len(vectors))[100:160]  # one story's passages: searched exactly
    _, truth = exact.search(queries, 10, only=few)
    _, found = ann.search(queries, 10, only=few)
    assert np.array_equal(found, truth)
    many = _ids(len(vectors))[::2]  # a wide filter goes through the inverted file
    _, truth = exact.search(queries, 10, only=many)
    _, found = ann.search(queries, 10, only=many)
    assert set(found.ravel().tolist()) <= set(many)
    assert _recall(found, truth) >= 0.95


def test_excluded_passages_never_come_back(vectors: Matrix, queries: Matrix) -> None:
    ann = _flat(vectors).fitted(threshold=THRESHOLD)
    _, best = ann.search(queries[:1], 10)
    excluded = best[0].tolist()
    _, again = ann.search(queries[:1], 10, exclude=excluded)
    assert not set(again[0].tolist()) & set(excluded)
    assert (again[0] >= 0).all()


def test_inverted_file_updates_in_place_and_survives_disk(vectors: Matrix, tmp_path: Path) -> None:
    ids = _ids(len(vectors))
    ann = _flat(vectors[:1500]).fitted(threshold=THRESHOLD)
    ann.add(ids[1500:], vectors[1500:])
    ann.remove(ids[:100])
    assert len(ann) == 1900
    assert ann.fitted(threshold=THRESHOLD) is ann  # same size class: no retraining
    path = tmp_path / "passages.faiss"
    ann.write(path)
    back = VectorIndex.read(path)
    assert back.kind == "ivf"
    assert back.params == ann.params
    with pytest.raises(KeyError):
        back.vector(ids[0])
    _, found = back.search(vectors[1800:1801], 1)
    assert found[0, 0] == ids[1800]


def test_shrinking_well_below_the_threshold_returns_to_exact(vectors: Matrix) -> None:
    ann = _flat(vectors).fitted(threshold=THRESHOLD)
    ann.remove(_ids(len(vectors))[: len(vectors) - 300])
    flat = ann.fitted(threshold=THRESHOLD)
    assert flat.kind == "flat"
    assert len(flat) == 300
    _, found = flat.search(vectors[-1:], 1)
    assert found[0, 0] == _ids(len(vectors))[-1]


def test_a_foreign_faiss_file_is_refused(tmp_path: Path) -> None:
    import faiss

    path = tmp_path / "passages.faiss"
    faiss.write_index(faiss.IndexFlatL2(8), str(path))
    with pytest.raises(IndexCorrupt):
        VectorIndex.read(path)


def test_library_on_an_inverted_file(
    seeds: Path, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.store.vectors

    monkeypatch.setattr(index.store.vectors, "ANN_THRESHOLD", 10)
    build_index([seeds], tmp_path / "lib", embedder=embedder)
    with Library.open(tmp_path / "lib", embedder=embedder) as library:
        meta = library.info().meta
        assert meta["index_kind"] == "ivf"
        assert meta["precision"] == embedder.precision
        story = library.find_story("Sofia Kalejs")
        hits = library.search("her father says sorry", k=5, stories=[story.id])
        assert hits
        assert {h.passage.story_id for h in hits} == {story.id}
        similar = library.similar(hits[0].passage.id, k=5, other_stories=True)
        assert similar
        assert story.id not in {h.passage.story_id for h in similar}


def test_sentence_vectors_take_the_same_layouts(vectors: Matrix, tmp_path: Path) -> None:
    """Past the threshold the sentence vectors get an inverted file too (not a scan of every
    sentence per query), keep recall, and removing a passage removes all of its sentences."""
    from index.store.sentences import SentenceIndex, passage_of, sentence_ids

    per_passage = 4  # 500 passages of 4 "sentences" each
    sids = np.concatenate([sentence_ids(pid, per_passage) for pid in range(500)])
    exact = SentenceIndex.empty(vectors.shape[1])
    exact.add(sids, vectors)
    ann = exact.fitted(threshold=THRESHOLD)
    assert (exact.kind, ann.kind) == ("flat", "ivf")
    queries = vectors[::40] * 0.7 + vectors[1::40] * 0.3
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    found = np.stack([ann.best(q[None, :], 10)[1] for q in queries])
    truth = np.stack([exact.best(q[None, :], 10)[1] for q in queries])
    assert _recall(found, truth) >= 0.95
    ann.remove_passages([0, 1])
    assert len(ann) == len(sids) - 2 * per_passage
    path = tmp_path / "sentences.faiss"
    ann.write(path)
    back = SentenceIndex.read(path)
    assert back.kind == "ivf"
    assert passage_of(int(back.best(vectors[:1], 1)[1][0]))[0] != 0
    with pytest.raises(KeyError):
        back.vectors(sentence_ids(1, 1))
    assert np.allclose(back.vectors(sentence_ids(2, 1)), vectors[8], atol=1e-3)


def test_overlapping_searches_never_leave_blas_on_one_thread() -> None:
    """The limit is process-wide: two searches in two threads must each run with it, and the
    process must have its threads back once both are done."""
    import threading

    from index.store.vectors import _numpy_blas, one_numpy_blas_thread

    def blas_threads() -> list[int]:
        return [int(lib["num_threads"]) for lib in _numpy_blas().info()]

    before = blas_threads()
    if not before or max(before) == 1:
        pytest.skip("numpy's BLAS runs on one thread here anyway")
    seen: list[int] = []
    release = threading.Event()

    def other_search() -> None:
        with one_numpy_blas_thread():
            release.wait(10)  # still searching when the first search ends
            seen.append(max(blas_threads()))

    other = threading.Thread(target=other_search)
    with one_numpy_blas_thread():  # this search starts first and ends first
        other.start()
        other.join(0.2)
        seen.append(max(blas_threads()))
    release.set()
    other.join(10)
    assert seen == [1, 1]
    assert blas_threads() == before
