"""A query read by ONNX Runtime: the search answers by meaning without importing torch.

Importing torch and sentence-transformers is most of the ten seconds before a restarted window
can search by meaning, and a query's forward pass in torch costs 12-18 ms. ONNX Runtime imports
in a fraction of a second and runs the same float32 graph in less. So the model's whole
sentence-transformers pipeline (transformer, pooling, any Dense or Normalize module) is exported
once per model on this machine, by torch's own exporter, after something loaded the model in
torch (a build, or a search before the export existed). The export is kept only if it gives what
the torch model gives on probe texts (vectors, token vectors, token spans: `_agrees`), in the
user cache folder under a fingerprint of the model's files; a changed model is exported anew.

Where anything is missing (no exporter or runtime installed, no tokenizer.json, an export or a
check that fails, a damaged file) queries run in torch as before. Builds always run in torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from platformdirs import user_cache_path

from index.embed.outputs import normalised, real_tokens
from index.paths import expand_user

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vectors = npt.NDArray[np.float32]
Spans = list[tuple[int, int]]

CACHE_ENV = "STORYLENS_CACHE"
_FORMAT = 1  # bump when what is exported changes
_GRAPH_NAME = "model.onnx"
_ABOUT_NAME = "about.json"
_WORK_PREFIX = ".export-"
_ABANDONED_AFTER_S = 3600
# The export must give the torch model's float32 answers to within this, on every probe
# (cosine distance of each vector; ONNX Runtime's own kernels differ in the last bits).
_TOLERANCE = 1e-4
_PROBES = (
    "a dancer doubts she is good enough",
    "Sofía Kalējs bowed; the audience — on its feet — roared “bravo!”",
    "x",
    " ".join(["her estranged father waited backstage after the performance"] * 60),  # truncated
)

_log = logging.getLogger(__name__)


def _without_telemetry() -> None:
    """ONNX Runtime's Linux builds carry Microsoft's telemetry client: on import it writes a
    device id and an event store under ~/.cache/Microsoft and may send events. Storylens sends
    nothing anywhere; this must run before onnxruntime is imported (the exporter may import it
    too)."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"


def cache_root() -> Path:
    """Where exported query graphs are kept ($STORYLENS_CACHE, else the user cache folder)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return expand_user(override) / "query-graphs"
    return user_cache_path("Storylens", appauthor=False) / "query-graphs"


def graph_dir(model_dir: Path) -> Path:
    """The folder of this model's export: named by a fingerprint of the model's files (names,
    sizes, modification times), so an edited or replaced model is never answered by an old
    export."""
    digest = hashlib.sha256(f"storylens-query-graph {_FORMAT}\n".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(
            f"{path.relative_to(model_dir)}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode()
        )
    return cache_root() / digest.hexdigest()[:32]


def exported(model_dir: Path) -> bool:
    """Whether this model (as its files now are) has a kept export."""
    return (graph_dir(model_dir) / _ABOUT_NAME).is_file()


class QueryGraph:
    """One model's exported pipeline in an ONNX Runtime session, with the model's tokenizer.
    Thread-safe (ONNX Runtime sessions run concurrently; the tokenizer is not shared)."""

    def __init__(self, session: Any, tokenizer_json: str, about: dict[str, Any]) -> None:
        self._session = session
        self._tokenizer_json = tokenizer_json
        self._local = threading.local()
        self.max_tokens = int(about["max_tokens"])
        self.dimension = int(about["dimension"])
        self._inputs: list[str] = list(about["inputs"])

    @classmethod
    def open(cls, model_dir: Path) -> QueryGraph | None:
        """This model's export, or None where there is none or it cannot be used."""
        where = graph_dir(model_dir)
        if not (where / _ABOUT_NAME).is_file():
            return None
        try:
            return cls._at(where, model_dir)
        except Exception as exc:  # a missing runtime or a damaged file: torch answers instead
            _log.warning("The exported query model at %s is not usable (%s).", where, exc)
            return None

    @classmethod
    def _at(cls, where: Path, model_dir: Path) -> QueryGraph:
        """The export in `where` (kept, or still being checked) of the model in `model_dir`;
        raises whatever opening it raises."""
        _without_telemetry()
        import onnxruntime

        about = json.loads((where / _ABOUT_NAME).read_text(encoding="utf-8"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one query: a second core would cost more
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(
            str(where / _GRAPH_NAME), options, providers=["CPUExecutionProvider"]
        )
        tokenizer_json = (model_dir / "tokenizer.json").read_text(encoding="utf-8")
        graph = cls(session, tokenizer_json, about)
        graph._tokenizer()  # a tokenizer that does not load fails here, not at a query
        return graph

    def _tokenizer(self) -> Any:
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_str(self._tokenizer_json)
            tokenizer.no_padding()
            tokenizer.enable_truncation(self.max_tokens)
            self._local.tokenizer = tokenizer
        return tokenizer

    def forward(self, text: str) -> tuple[Vectors, Vectors, Spans]:
        """(pooled vector as the model's modules leave it, token vectors, token spans) of one
        text, as sentence-transformers computes them, special tokens included."""
        encoding = self._tokenizer().encode(text)
        columns = {
            "input_ids": encoding.ids,
            "attention_mask": encoding.attention_mask,
            "token_type_ids": encoding.type_ids,
        }
        feed = {name: np.asarray([columns[name]], dtype=np.int64) for name in self._inputs}
        tokens, pooled = self._session.run(None, feed)
        return (
            np.asarray(pooled, dtype=np.float32),
            np.asarray(tokens[0], dtype=np.float32),
            [(int(start), int(end)) for start, end in encoding.offsets],
        )

    def read_query(self, text: str) -> tuple[Vectors, Vectors, Spans]:
        """What Embedder.read_query gives: the normalised vector (1 x d), the real tokens'
        normalised vectors and their spans."""
        pooled, tokens, spans = self.forward(text)
        return (normalised(pooled), *real_tokens(tokens, spans))

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Normalised vectors of a few texts (a query, or the chunks of a long one)."""
        return normalised(np.concatenate([self.forward(text)[0] for text in texts]))


def export(model: SentenceTransformer, model_dir: Path, max_tokens: int) -> bool:
    """Export `model` (loaded from `model_dir`, in any precision) as this model's query graph,
    checked against the model in float32 before it is kept. False where it cannot be made or
    does not agree; nothing is left behind then. Seconds to a minute, once per model."""
    if not (model_dir / "tokenizer.json").is_file():
        return False
    _without_telemetry()
    final = graph_dir(model_dir)
    if (final / _ABOUT_NAME).is_file():
        if QueryGraph.open(model_dir) is not None:
            return True
        shutil.rmtree(final, ignore_errors=True)  # damaged: made again below
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(final.parent)
        work = Path(tempfile.mkdtemp(prefix=_WORK_PREFIX, dir=final.parent))
    except OSError as exc:  # no writable cache folder: queries stay in torch
        _log.warning("Cannot keep an exported query model in %s (%s).", final.parent, exc)
        return False
    try:
        import torch

        reference = _float32_copy(model)

        prepared = _prepare(reference, ["probe"])
        given = {name for name, value in prepared.items() if isinstance(value, torch.Tensor)}
        constants = {name: value for name, value in prepared.items() if name not in given}
        inputs = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in given]
        if inputs[:2] != ["input_ids", "attention_mask"] or given - set(inputs):
            return False  # a tokenizer with other inputs than a BERT-like model's
        get_dimension = (  # renamed in sentence-transformers 6
            getattr(reference, "get_embedding_dimension", None)
            or reference.get_sentence_embedding_dimension
        )
        dimension = int(get_dimension() or 0)
        about = {
            "max_tokens": max_tokens,
            "dimension": dimension,
            "inputs": inputs,
            "model": str(model_dir),
        }
        _export_graph(reference, inputs, constants, work / _GRAPH_NAME)
        (work / _ABOUT_NAME).write_text(json.dumps(about, indent=1), encoding="utf-8")
        if not _agrees(reference, model_dir, work):
            _log.warning("The exported query model disagrees with torch; queries stay in torch.")
            return False
        try:
            work.replace(final)
        except OSError:  # another process made it meanwhile
            return (final / _ABOUT_NAME).is_file()
        return True
    except Exception as exc:  # no exporter installed, or a model it cannot trace
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        _log.warning("Could not export the query model (%s); queries stay in torch.", first_line)
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remove_abandoned(root: Path) -> None:
    """Remove the work folders of exports that a closed window or a killed process left
    (about 90 MB each); one younger than an hour may be another process's, still writing."""
    now = time.time()
    for folder in root.glob(f"{_WORK_PREFIX}*"):
        with contextlib.suppress(OSError):
            if now - folder.stat().st_mtime > _ABANDONED_AFTER_S:
                shutil.rmtree(folder, ignore_errors=True)


def _float32_copy(model: SentenceTransformer) -> SentenceTransformer:
    """A private float32 copy on the CPU: tracing must not touch the model that builds and
    searches may be running in other threads meanwhile, and queries are read on the CPU."""
    import copy

    return copy.deepcopy(model).to("cpu").float()


def _prepare(model: SentenceTransformer, texts: list[str]) -> dict[str, Any]:
    """The model's inputs for `texts`, as its own encode prepares them."""
    prepare = getattr(model, "preprocess", None) or model.tokenize
    return dict(prepare(texts))


def _export_graph(
    model: SentenceTransformer, inputs: Sequence[str], constants: dict[str, Any], path: Path
) -> None:
    import torch

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor | None = None,
        ) -> tuple[torch.Tensor, torch.Tensor]:
            features = {"input_ids": input_ids, "attention_mask": attention_mask, **constants}
            if token_type_ids is not None:
                features["token_type_ids"] = token_type_ids
            out = self.model(features)
            return out["token_embeddings"], out["sentence_embedding"]

    example = tuple(torch.ones((1, 8), dtype=torch.long) for _ in inputs)
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=max(8, 4096))
    # The exporter reports its steps on stdout and logs what it skips; a command's --json
    # output must stay clean, and none of it is for the person.
    with (
        warnings.catch_warnings(),  # the exporter's notes on torch internals, not for people
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        _quiet("torch.onnx"),
        _quiet("torch.export"),
        _quiet("torch._dynamo"),
    ):
        warnings.simplefilter("ignore")
        with torch.inference_mode(False), torch.no_grad():
            program = torch.onnx.export(
                Pipeline().eval(),
                example,
                dynamo=True,
                input_names=inputs,
                output_names=["token_embeddings", "sentence_embedding"],
                dynamic_shapes=tuple({0: batch, 1: length} for _ in inputs),
            )
        assert program is not None
        program.save(str(path))


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _agrees(model: SentenceTransformer, model_dir: Path, where: Path) -> bool:
    """Whether the export at `where` gives the float32 torch model's vectors, token vectors
    and token spans on every probe text."""
    import torch

    graph = QueryGraph._at(where, model_dir)
    for text in _PROBES:
        with torch.inference_mode():
            features = model(_prepare(model, [text]))
        length = int(features["attention_mask"][0].sum())
        want_pooled = features["sentence_embedding"].float().numpy()
        want_tokens = features["token_embeddings"][0][:length].float().numpy()
        want_spans = model.tokenizer(
            [text], return_offsets_mapping=True, truncation=True, max_length=graph.max_tokens
        )["offset_mapping"][0]
        pooled, tokens, spans = graph.forward(text)
        if spans != [(int(a), int(b)) for a, b in want_spans]:
            return False
        if tokens.shape != want_tokens.shape or pooled.shape != want_pooled.shape:
            return False
        if _cosine_distance(pooled, want_pooled) > _TOLERANCE:
            return False
        if _cosine_distance(tokens, want_tokens) > _TOLERANCE:
            return False
    return True


def _cosine_distance(got: Vectors, want: Vectors) -> float:
    """The largest 1 - cosine between matching rows."""
    got, want = normalised(got.astype(np.float32)), normalised(want.astype(np.float32))
    return float(np.max(1.0 - np.sum(got * want, axis=-1)))
