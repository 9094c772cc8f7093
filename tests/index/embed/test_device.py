"""Where the model runs: a CUDA GPU where torch can use one, the CPU otherwise; the same
vectors and rankings either way. The GPU test runs only where a GPU exists."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from index.build.builder import build_index
from index.embed.model import DEVICE_ENV, Embedder, _moved_if_it_works, resolve_device
from index.embed.sentences import embed_with_sentences
from index.errors import ModelError
from index.search.library import Library
from index.text.passages import sentence_spans

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def test_the_environment_chooses_the_device_and_a_missing_gpu_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    assert resolve_device() == ("cuda" if _cuda() else "cpu")
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert resolve_device() == "cpu"
    monkeypatch.setenv(DEVICE_ENV, "tpu")
    with pytest.raises(ModelError, match="choose one of auto, cpu, cuda"):
        resolve_device()
    if not _cuda():
        monkeypatch.setenv(DEVICE_ENV, "cuda")
        with pytest.raises(ModelError, match="No CUDA GPU") as refused:
            Embedder(precision="fp32").load()
        assert "\n" not in str(refused.value)


def test_a_model_that_cannot_move_to_the_gpu_stays_on_the_cpu_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    if _cuda():
        pytest.skip("this torch can use the GPU: nothing fails to move")
    from sentence_transformers import SentenceTransformer

    from index.embed.model import default_model_dir

    model = SentenceTransformer(str(default_model_dir()), device="cpu")
    before = model.encode(["a dancer doubts she is good enough"])
    with caplog.at_level(logging.WARNING, logger="index.embed.model"):
        _moved_if_it_works(model, "cuda")
    assert model.device.type == "cpu"
    assert "could not run on cuda" in caplog.text
    after = model.encode(["a dancer doubts she is good enough"])
    assert float((before * after).sum() / np.linalg.norm(before) / np.linalg.norm(after)) > 0.9999


@pytest.mark.skipif(not _cuda(), reason="no CUDA GPU here")
def test_a_build_on_the_gpu_embeds_and_ranks_as_the_cpu_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    paragraphs = [p for text in texts for p in text.split("\n\n") if p.strip()]
    spans = [sentence_spans(p) for p in paragraphs]
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    on_cpu = Embedder(precision="fp32")
    cpu_vectors, cpu_sentences = embed_with_sentences(on_cpu, paragraphs, spans)
    monkeypatch.setenv(DEVICE_ENV, "cuda")
    on_gpu = Embedder(precision="fp32")
    assert on_gpu.device == "cuda"
    gpu_vectors, gpu_sentences = embed_with_sentences(on_gpu, paragraphs, spans)
    assert float((cpu_vectors * gpu_vectors).sum(axis=1).min()) >= 0.999
    for a, b in zip(cpu_sentences, gpu_sentences, strict=True):
        assert a.shape == b.shape and float((a * b).sum(axis=1).min()) >= 0.999

    monkeypatch.setenv(DEVICE_ENV, "cpu")
    build_index([SEEDS], tmp_path / "cpu", embedder=on_cpu)
    monkeypatch.setenv(DEVICE_ENV, "cuda")
    build_index([SEEDS], tmp_path / "gpu", embedder=on_gpu)
    queries = ["a dancer doubts she is good enough", "her father apologises after the show"]
    with (
        Library.open(tmp_path / "cpu", embedder=on_cpu) as cpu,
        Library.open(tmp_path / "gpu", embedder=on_cpu) as gpu,
    ):
        for query in queries:
            left = [(h.passage.story_title, h.passage.ordinal) for h in cpu.search(query, k=10)]
            right = [(h.passage.story_title, h.passage.ordinal) for h in gpu.search(query, k=10)]
            assert left[:3] == right[:3]
            assert len(set(left) & set(right)) >= 9
