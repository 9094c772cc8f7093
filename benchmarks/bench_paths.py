"""Ways to run the model, side by side: passages/s and whether they rank like float32.

    python benchmarks/bench_paths.py [--passages 900] [--queries 200] [--work DIR]

Each path embeds the same synthetic passages (bench_index.py's corpus) in batches of 64 sorted
by length, on every core, in interleaved rounds (the machine is shared: compare ratios within
one run). Then each embeds 200 fixed queries and ranks the passages it embedded; the top ten
are compared with float32's: the indexing-speed issue's bar is an overlap >= 0.98.

Paths: torch float32 and bfloat16 (what Storylens builds with); ONNX Runtime (installed with
Storylens, which reads queries with it) float32 and dynamic int8 (per tensor, per channel, and
per channel with 7-bit weights); and OpenVINO with bfloat16 and float32 inference when it is
installed (`pip install openvino`, not a Storylens dependency); all from one export of the model
made here (`torch.onnx.export(..., dynamo=True)`; the older TorchScript exporter gives wrong
token vectors with transformers 5).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_index import fixed_queries, seed_sentences, synthetic_picks
from index.embed.agreement import top_overlap

Embed = Callable[[list[str]], Any]  # texts -> their pooled vectors (a numpy array)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def torch_path(model: Any, dtype: Any) -> Embed:
    import torch

    def embed(texts: list[str]) -> Any:
        model.to(dtype)
        with torch.inference_mode():
            return model(model.preprocess(texts))["sentence_embedding"].float().numpy()

    return embed


def export_onnx(model: Any, folder: Path) -> Path:
    """The whole sentence-transformers pipeline (token vectors and pooled vector) as ONNX."""
    import torch

    target = folder / "model.onnx"
    if target.exists():
        return target

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            features = self.model(
                {
                    "input_ids": input_ids,
                    "attention_mask": attention_mask,
                    "token_type_ids": token_type_ids,
                }
            )
            return features["token_embeddings"], features["sentence_embedding"]

    example = model.tokenizer(
        ["a short one", "and a longer text"], padding=True, return_tensors="pt"
    )
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
    torch.onnx.export(
        Pipeline().eval(),
        tuple(example[name] for name in INPUTS),
        str(target),
        dynamo=True,
        input_names=list(INPUTS),
        output_names=["tokens", "pooled"],
        dynamic_shapes=({0: batch, 1: length},) * 3,
        external_data=False,
    )
    return target


def onnxruntime_paths(model: Any, exported: Path, threads: int) -> dict[str, Embed]:
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    models = {"onnxruntime fp32": exported}
    # reduce_range: 7-bit weights, which ONNX Runtime advises on CPUs without VNNI (AVX2 alone),
    # where 8-bit products can saturate its 16-bit accumulators.
    for per_channel, reduce_range, name in (
        (False, False, "onnxruntime int8"),
        (True, False, "onnxruntime int8/channel"),
        (True, True, "onnxruntime int8/channel 7-bit"),
    ):
        layout = ("channel" if per_channel else "tensor") + ("-7bit" if reduce_range else "")
        quantized = exported.with_name(f"int8-{layout}.onnx")
        if not quantized.exists():
            quantize_dynamic(
                str(exported),
                str(quantized),
                weight_type=QuantType.QInt8,
                per_channel=per_channel,
                reduce_range=reduce_range,
            )
        models[name] = quantized
    paths: dict[str, Embed] = {}
    for name, path in models.items():
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        paths[name] = _onnx_embed(model, lambda feeds, s=session: s.run(["pooled"], feeds)[0])
    return paths


def openvino_paths(model: Any, exported: Path, threads: int) -> dict[str, Embed]:
    import openvino

    core = openvino.Core()
    graph = core.read_model(str(exported))
    paths: dict[str, Embed] = {}
    for hint in ("bf16", "f32"):
        compiled = core.compile_model(
            graph, "CPU", {"INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": hint}
        )
        request = compiled.create_infer_request()
        pooled = compiled.output("pooled")
        paths[f"openvino {hint}"] = _onnx_embed(
            model, lambda feeds, r=request, out=pooled: r.infer(feeds)[out]
        )
    return paths


def _onnx_embed(model: Any, run: Callable[[dict[str, Any]], Any]) -> Embed:
    import numpy as np

    def embed(texts: list[str]) -> Any:
        encoded = model.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=model.max_seq_length,
            return_tensors="np",
        )
        return run({name: encoded[name].astype(np.int64) for name in INPUTS})

    return embed


def embed_all(embed: Embed, texts: Sequence[str], batch: int = 64) -> Any:
    import numpy as np

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    out: Any = None
    for first in range(0, len(order), batch):
        rows = order[first : first + batch]
        vectors = np.asarray(embed([texts[i] for i in rows]), dtype=np.float32)
        if out is None:
            out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
        out[rows] = vectors
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=900)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, help="keep the exported models here (default: temp)")
    args = parser.parse_args()

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from index.embed.model import default_model_dir

    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    sentences = seed_sentences()
    picks = synthetic_picks(args.passages, len(sentences))
    passages = [" ".join(sentences[i] for i in pick) for pick in picks]
    queries = fixed_queries(passages, args.queries)
    model = SentenceTransformer(str(default_model_dir()), device="cpu").eval()
    paths: dict[str, Embed] = {
        "torch fp32": torch_path(model, torch.float32),
        "torch bf16": torch_path(model, torch.bfloat16),
    }
    work = args.work or Path(tempfile.mkdtemp(prefix="storylens-paths-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        exported = export_onnx(model.to(torch.float32), work)
    except ImportError as exc:
        print(f"no ONNX export ({exc.name} not installed): torch paths only")
    else:
        for more in (onnxruntime_paths, openvino_paths):
            try:
                paths.update(more(model, exported, threads))
            except ImportError as exc:
                print(f"skipped {more.__name__}: {exc.name} not installed")

    rates: dict[str, list[float]] = {name: [] for name in paths}
    parts: dict[str, list[Any]] = {name: [] for name in paths}
    rounds = [passages[r :: args.rounds] for r in range(args.rounds)]
    for r, part in enumerate(rounds):
        for name in list(paths) if r % 2 == 0 else list(paths)[::-1]:
            started = time.perf_counter()
            parts[name].append(embed_all(paths[name], part))
            rates[name].append(len(part) / (time.perf_counter() - started))
    vectors = {name: np.concatenate(got) for name, got in parts.items()}
    scores = {name: embed_all(paths[name], queries, batch=1) @ vectors[name].T for name in paths}
    reference = "torch fp32"
    naive = statistics.median(rates[reference])
    print(
        f"{len(passages)} passages, {len(queries)} queries, {threads} threads, "
        f"{args.rounds} interleaved rounds"
    )
    print(f"{'path':32}{'passages/s':>12}{'x fp32':>8}{'top-10 overlap':>16}{'min cosine':>12}")
    for name in paths:
        overlap = top_overlap(scores[reference], scores[name])
        cosine = float((vectors[name] * vectors[reference]).sum(axis=1).min())
        rate = statistics.median(rates[name])
        print(f"{name:32}{rate:>12.1f}{rate / naive:>8.2f}{overlap:>16.3f}{cosine:>12.4f}")


if __name__ == "__main__":
    main()
