"""The FAISS half of an index: passage vectors under their int64 passage ids.

Inner product over L2-normalised vectors (= cosine similarity); a passage keeps its id across
incremental updates. Written with FAISS's own writer; never pickled. faiss is imported lazily:
importing `index` must stay cheap for the window.

Two layouts, chosen by size when a build finishes (`fitted`):
- "flat": exact search, float32, ids through IndexIDMap2. Below ANN_THRESHOLD passages a query
  scans every vector in a few milliseconds, so nothing is gained by approximating.
- "ivf": an inverted file (k-means cells, float16 vectors, ids kept by FAISS with a hash-table
  direct map so `vector()` works). A query scans only the `nprobe` cells nearest to it. Unlike
  FAISS's HNSW it supports removing vectors, so adding one story to a million-passage library
  stays an incremental update; and it trains in seconds where HNSW takes minutes (benchmarks/).
  `nprobe` is tuned at fit time so that recall@10 against exact search is >= TARGET_RECALL on
  probe queries made from the library itself.
A story filter that leaves few passages is searched exactly over just those passages.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from index.errors import REBUILD_ADVICE, IndexCorrupt

FlatIds = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]

# Below this many vectors an exact scan costs a small part of a query's budget; above it the
# inverted file answers faster at the target recall (figures: benchmarks/README.md).
ANN_THRESHOLD = 20_000
TARGET_RECALL = 0.97  # on each kind of probe query (see _tuned_nprobe)
EXACT_SUBSET = 20_000  # a filter allowing at most this many passages is searched exactly
# FAISS spreads even one query over every core; the threads then wait for each other, and on
# a busy machine a 10k-passage flat search took 13 ms of CPU instead of 0.6 ms on one thread.
_ONE_THREAD_QUERIES = 4
_ONE_THREAD_RECONSTRUCT = 20_000
_PROBE_QUERIES = 1000  # 500 of each kind: recall estimates within about +-0.01
_TRAIN_POINTS_PER_CELL = 64  # k-means sample size per cell (FAISS wants >= 39)
_TIE = 2e-3  # cosine difference below float16's resolution for unit vectors
_COPY_BLOCK = 100_000  # vectors copied at a time when the layout changes


def cells_for(passages: int) -> int:
    """Inverted-file cells for a library: a power of two near 2 * sqrt(n), so each cell holds
    a few hundred passages and a query scans a few percent of the library; fewer when k-means
    would have too few points per cell to train on."""
    near = int(2 ** round(math.log2(max(16.0, 2 * math.sqrt(passages)))))
    return max(1, min(near, passages // _TRAIN_POINTS_PER_CELL))


def read_faiss_file(path: Path, what: str, kinds: tuple[type, ...]) -> Any:
    """Read a FAISS file of an index generation; missing, damaged or foreign -> IndexCorrupt."""
    import faiss

    if not path.is_file():
        raise IndexCorrupt(f"The {what} is missing ({path}). {REBUILD_ADVICE}")
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise IndexCorrupt(f"The {what} is damaged ({first_line}). {REBUILD_ADVICE}") from exc
    if not isinstance(index, kinds):
        raise IndexCorrupt(f"{path} is not a Storylens {what}. {REBUILD_ADVICE}")
    return index


class VectorIndex:
    """Vectors under int64 ids, exact or inverted-file (see the module docstring)."""

    WHAT = "vector file"  # in messages about a missing or damaged file

    def __init__(self, faiss_index: Any) -> None:
        self._index = faiss_index

    @classmethod
    def empty(cls, dimension: int) -> Self:
        import faiss

        return cls(faiss.IndexIDMap2(cls._flat_storage(dimension)))

    @classmethod
    def _flat_storage(cls, dimension: int) -> Any:
        """How vectors are held while the index is exact: float32 here."""
        import faiss

        return faiss.IndexFlatIP(dimension)

    @classmethod
    def read(cls, path: Path) -> Self:
        import faiss

        return cls(read_faiss_file(path, cls.WHAT, (faiss.IndexIDMap2, faiss.IndexIVF)))

    def write(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> str:
        """ "flat" or "ivf", as recorded in the index metadata."""
        return "ivf" if self._ivf is not None else "flat"

    @property
    def params(self) -> str:
        """How the vectors are searched, for the metadata: e.g. "ivf cells=512 nprobe=64 fp16"."""
        ivf = self._ivf
        if ivf is None:
            return "flat fp32 exact"
        return f"ivf cells={ivf.nlist} nprobe={ivf.nprobe} fp16"

    @property
    def _ivf(self) -> Any:
        import faiss

        return self._index if isinstance(self._index, faiss.IndexIVF) else None

    def add(self, ids: Sequence[int] | FlatIds, vectors: Matrix) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: Sequence[int] | FlatIds) -> None:
        if len(ids):
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def vector(self, passage_id: int) -> npt.NDArray[np.float32]:
        try:
            return np.asarray(self._index.reconstruct(int(passage_id)), dtype=np.float32)
        except RuntimeError as exc:
            raise KeyError(passage_id) from exc

    def vectors(self, ids: Sequence[int] | FlatIds) -> Matrix:
        """The stored vectors of these ids, in order (KeyError if one is missing)."""
        if not len(ids):
            return np.empty((0, self.dimension), dtype=np.float32)
        try:
            # One thread for a query's few thousand: OpenMP's threads would cost more than
            # they save, and spin on a core afterwards.
            with faiss_threads(1 if len(ids) <= _ONE_THREAD_RECONSTRUCT else None):
                found = self._index.reconstruct_batch(np.asarray(ids, dtype=np.int64))
        except RuntimeError as exc:
            raise KeyError(ids) from exc
        return np.asarray(found, dtype=np.float32)

    def search(
        self,
        queries: npt.NDArray[np.float32],
        k: int,
        *,
        only: Sequence[int] | None = None,
        exclude: Sequence[int] | None = None,
    ) -> tuple[npt.NDArray[np.float32], FlatIds]:
        """Top-k (scores, ids) per query row; `only`/`exclude` filter passage ids inside FAISS."""
        import faiss

        k = max(1, min(k, len(self)))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        ivf = self._ivf
        if ivf is not None and only is not None and len(only) <= EXACT_SUBSET:
            return self._search_subset(queries, k, only)
        # FAISS keeps raw pointers to selectors: every one must stay referenced until the
        # search returns, the inner selector of IDSelectorNot included.
        batch: Any = None
        selector: Any = None
        if only is not None:
            selector = batch = faiss.IDSelectorBatch(np.asarray(only, dtype=np.int64))
        elif exclude:
            batch = faiss.IDSelectorBatch(np.asarray(exclude, dtype=np.int64))
            selector = faiss.IDSelectorNot(batch)
        params: Any = None
        if ivf is not None:
            params = faiss.SearchParametersIVF()
            params.nprobe = ivf.nprobe
            if only is not None:  # a wide filter: probe more cells to find k allowed passages
                share = max(len(only), 1) / max(len(self), 1)
                params.nprobe = min(ivf.nlist, math.ceil(ivf.nprobe / share))
        elif selector is not None:
            params = faiss.SearchParameters()
        if params is not None and selector is not None:
            params.sel = selector
        with faiss_threads(1 if len(queries) <= _ONE_THREAD_QUERIES else None):
            scores, ids = self._index.search(queries, k, params=params)
        del batch, selector
        return scores, ids

    def _search_subset(
        self, queries: Matrix, k: int, only: Sequence[int]
    ) -> tuple[npt.NDArray[np.float32], FlatIds]:
        """Exact search over a few allowed passages, from their stored vectors."""
        ids = np.unique(np.asarray(only, dtype=np.int64))
        try:
            vectors = np.asarray(self._index.reconstruct_batch(ids), dtype=np.float32)
        except RuntimeError:  # an id without a vector: keep those that have one
            ids = np.asarray([pid for pid in ids.tolist() if self._has(pid)], dtype=np.int64)
            vectors = np.asarray(self._index.reconstruct_batch(ids), dtype=np.float32)
        scores_out = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids_out = np.full((len(queries), k), -1, dtype=np.int64)
        if len(ids) == 0:
            return scores_out, ids_out
        scores = queries @ vectors.T
        take = min(k, len(ids))
        top = np.argsort(-scores, axis=1, kind="stable")[:, :take]
        scores_out[:, :take] = np.take_along_axis(scores, top, axis=1)
        ids_out[:, :take] = ids[top]
        return scores_out, ids_out

    def _has(self, passage_id: int) -> bool:
        try:
            self._index.reconstruct(passage_id)
        except RuntimeError:
            return False
        return True

    # -- choosing the layout ---------------------------------------------------------------------

    def fitted(self, *, threshold: int | None = None) -> Self:
        """The layout this library's size calls for: flat below `threshold` (ANN_THRESHOLD)
        vectors, else an inverted file (re-trained when the library grew or shrank fourfold)."""
        threshold = ANN_THRESHOLD if threshold is None else threshold
        n = len(self)
        ivf = self._ivf
        if ivf is None:
            return self._as_ivf() if n >= threshold else self
        if n < threshold // 2:  # hysteresis: a few removals do not flip the layout back and forth
            return self._as_flat()
        if not 0.25 <= cells_for(n) / ivf.nlist <= 4:
            return self._as_flat()._as_ivf()
        return self

    def _as_flat(self) -> Self:
        import faiss

        flat = self.empty(self.dimension)
        lists = self._ivf.invlists
        for cell in range(self._ivf.nlist):
            if size := lists.list_size(cell):
                ids = faiss.rev_swig_ptr(lists.get_ids(cell), size).copy()
                flat.add(ids, np.asarray(self._index.reconstruct_batch(ids), dtype=np.float32))
        return flat

    def _as_ivf(self) -> Self:
        """An inverted file with this (flat) index's contents, copied block by block so that
        the library is never held twice in float32."""
        import faiss

        n, dimension = len(self), self.dimension
        cells = cells_for(n)
        ivf = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dimension),
            dimension,
            cells,
            faiss.ScalarQuantizer.QT_fp16,
            faiss.METRIC_INNER_PRODUCT,
        )
        rng = np.random.default_rng(0)
        sample = rng.choice(n, size=min(n, cells * _TRAIN_POINTS_PER_CELL), replace=False)
        ivf.cp.seed = 0
        ivf.train(self._rows(np.sort(sample)))
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        for first in range(0, n, _COPY_BLOCK):
            block = self._index.index.reconstruct_n(first, min(_COPY_BLOCK, n - first))
            ivf.add_with_ids(np.asarray(block, dtype=np.float32), ids[first : first + _COPY_BLOCK])
        ivf.nprobe = _tuned_nprobe(ivf, self, rng)
        return type(self)(ivf)

    def _rows(self, rows: npt.NDArray[np.int64]) -> Matrix:
        """Vectors by position in a flat index (not by id)."""
        inner = self._index.index
        return np.asarray(inner.reconstruct_batch(np.asarray(rows, dtype=np.int64)), np.float32)


def _tuned_nprobe(ivf: Any, flat: VectorIndex, rng: np.random.Generator) -> int:
    """The fewest cells to probe for recall@10 >= TARGET_RECALL against exact search (`flat`,
    the same vectors), on each of two kinds of probe query made from the library itself:
    - near: the midpoint of two random passages, a question close to what the library holds;
    - far: the library's mean plus a random mix of eight passages with signed weights, a
      question that no passage answers closely. Real questions are mostly like these (their
      best passage is at cosine 0.5-0.7), and they are the hardest for an inverted file:
      their neighbours lie in many cells. Measured on 2000 real sentence pairs, real queries
      need about as many cells as these for the same recall (tests/index/store/test_vectors.py)."""
    n = len(flat)
    half = max(1, min(_PROBE_QUERIES, n) // 2)
    near = flat._rows(rng.integers(0, n, size=half * 2)).reshape(half, 2, -1).sum(axis=1)
    weights = rng.standard_normal((half, 8, 1)).astype(np.float32)
    mixed = flat._rows(rng.integers(0, n, size=half * 8)).reshape(half, 8, -1)
    mean = np.zeros(flat.dimension, dtype=np.float64)
    for first in range(0, n, _COPY_BLOCK):
        mean += flat._rows(np.arange(first, min(n, first + _COPY_BLOCK))).sum(axis=0)
    far = (mixed * weights).sum(axis=1) + (mean / n).astype(np.float32)
    k = min(10, n)
    groups = []
    for probes in (near, far):
        queries = np.ascontiguousarray(
            probes / np.maximum(np.linalg.norm(probes, axis=1, keepdims=True), 1e-12),
            dtype=np.float32,
        )
        groups.append((queries, *flat._index.search(queries, k)))
    nprobe = 1
    while nprobe < ivf.nlist:
        ivf.nprobe = nprobe
        if all(_recall(ivf.search(q, k), truth) >= TARGET_RECALL for q, *truth in groups):
            break
        nprobe = _more(nprobe, ivf.nlist)
    # Two steps more: real questions scatter their neighbours wider still. On 2000 real
    # sentence pairs of the sample stories (31 cells), the ten questions of the tests found
    # 0.94 of their true top-10 at one step more (12 cells) and 0.98 at two (15 cells).
    return _more(_more(nprobe, ivf.nlist), ivf.nlist)


def _more(nprobe: int, cells: int) -> int:
    return min(cells, max(nprobe + 1, round(nprobe * 1.25)))


def _recall(answer: Sequence[Any], truth: Sequence[Any]) -> float:
    """Share of the true top-k found. A vector tied with the k-th true one within float16's
    resolution counts as found (0.002 cosine, about what float16 rounding can move a score):
    either is an equally right answer, and near-copies (the same sentence in many passages)
    would otherwise make any recall target unreachable."""
    (found_scores, found), (truth_scores, true) = answer, truth
    hits = 0
    for scores, ids, true_scores, true_ids in zip(
        found_scores, found, truth_scores, true, strict=True
    ):
        tied = scores >= true_scores[-1] - _TIE
        hits += min(len(true_ids), len(np.union1d(np.intersect1d(ids, true_ids), ids[tied])))
    return hits / int(true.size)


@cache
def _numpy_blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas", prefix="libscipy_openblas")


_ONE_BLAS_THREAD = threading.Lock()


@contextmanager
def one_numpy_blas_thread() -> Iterator[None]:
    """numpy's OpenBLAS on one thread for the block (a query's small products). With more,
    its idle threads spin on the other core after each product: a search cost twice its
    wall time in CPU. FAISS's and torch's own thread pools are left alone.

    The limit is process-wide, and only the thread that set it can lift it again (OpenBLAS
    ignored the restore from another), so overlapping blocks take turns: they are the
    milliseconds of a first stage, never a model pass."""
    with _ONE_BLAS_THREAD, _numpy_blas().limit(limits=1):
        yield


@contextmanager
def faiss_threads(threads: int | None) -> Iterator[None]:
    """FAISS's OpenMP thread count for the block (per calling thread); None leaves it."""
    if threads is None:
        yield
        return
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
