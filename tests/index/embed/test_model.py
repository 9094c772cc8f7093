"""Precision on the real model: bfloat16 where the CPU has it, float32 on request, same rankings."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from index.embed.agreement import RANKING_OVERLAP, top_overlap
from index.embed.model import PRECISION_ENV, Embedder, cpu_has_native_bfloat16, resolve_precision
from index.errors import ModelError
from index.text.passages import sentence_spans

SEEDS = Path(__file__).resolve().parents[3] / "seeds"

QUERIES = [
    "a dancer doubts she is good enough",
    "her father apologises after the performance",
    "a nightclub in the Russian capital",
    "a strict ballet teacher at the academy",
    "the breakup with her director",
    "growing up in Kazakhstan",
    "applause and flowers on stage",
    "she practised until her feet bled",
    "a letter from home",
    "winter in Moscow",
]


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    """Real sentences of the sample stories, alone and in pairs: 400 texts to rank."""
    sentences = [
        text[start:end]
        for text in (path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
        for start, end in sentence_spans(text)
    ]
    rng = random.Random(3)
    pairs = [" ".join(rng.sample(sentences, 2)) for _ in range(400 - len(sentences))]
    return sentences + pairs


@pytest.fixture(scope="module")
def fp32() -> Embedder:
    return Embedder(precision="fp32")


@pytest.fixture(scope="module")
def bf16() -> Embedder:
    return Embedder(precision="bf16")


def test_forced_precisions_are_what_runs(fp32: Embedder, bf16: Embedder) -> None:
    assert fp32.precision == "fp32"
    assert bf16.precision == "bf16"
    assert str(next(fp32.load().parameters()).dtype) == "torch.float32"
    assert str(next(bf16.load().parameters()).dtype) == "torch.bfloat16"


def test_no_layer_is_swapped_for_a_kernel_from_the_hub(fp32: Embedder) -> None:
    """transformers 5.25 on kernelizes every model it loads, with code fetched from the Hub."""
    transformer = fp32.load()[0].auto_model
    assert transformer.use_kernels is False


def test_auto_follows_the_cpu_and_the_environment_overrides_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PRECISION_ENV, raising=False)
    assert resolve_precision("auto") == ("bf16" if cpu_has_native_bfloat16() else "fp32")
    monkeypatch.setenv(PRECISION_ENV, "fp32")
    assert resolve_precision("auto") == "fp32"
    assert resolve_precision("bf16") == "bf16"  # an explicit choice beats the environment
    monkeypatch.setenv(PRECISION_ENV, "fp8")
    with pytest.raises(ModelError, match=PRECISION_ENV):
        resolve_precision("auto")


def test_environment_forces_float32_on_a_loaded_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRECISION_ENV, "fp32")
    embedder = Embedder()
    assert embedder.precision == "fp32"
    vectors = embedder.encode(["one sentence", "and another one"])
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ModelError, match="precision"):
        Embedder(precision="half")


def fixed_queries(corpus: list[str], count: int = 200) -> list[str]:
    """The handwritten queries and, to make `count`, the opening words of sampled texts."""
    rng = random.Random(5)
    openings = [
        " ".join(text.split()[: rng.randint(3, 9)])
        for text in rng.sample(corpus, count - len(QUERIES))
    ]
    return QUERIES + openings


def test_bfloat16_keeps_vectors_and_top10_rankings(
    fp32: Embedder, bf16: Embedder, corpus: list[str]
) -> None:
    """What lets an index built in one precision be searched in the other (index/embed/
    model.py): on 200 fixed queries, the top ten of bfloat16 are float32's (overlap >= 0.98,
    the indexing-speed issue's bar for a faster path)."""
    reference, reduced = fp32.encode(corpus), bf16.encode(corpus)
    assert reduced.dtype == np.float32
    assert np.allclose(np.linalg.norm(reduced, axis=1), 1.0, atol=1e-5)
    assert float((reference * reduced).sum(axis=1).min()) >= 0.99
    queries = fixed_queries(corpus)
    assert len(queries) == 200
    exact = np.concatenate([fp32.encode([query]) for query in queries]) @ reference.T
    faster = np.concatenate([bf16.encode([query]) for query in queries]) @ reduced.T
    assert top_overlap(exact, faster) >= RANKING_OVERLAP


def test_a_single_query_is_embedded_as_in_a_batch(fp32: Embedder, corpus: list[str]) -> None:
    """Queries take a one-thread path without encode()'s bookkeeping: same vector."""
    alone = fp32.encode([corpus[0]])
    in_batch = fp32.encode(corpus[:8])[:1]
    assert float((alone * in_batch).sum()) >= 0.99999


def test_progress_and_cancel_reach_the_batches(fp32: Embedder, corpus: list[str]) -> None:
    import threading

    from index.errors import BuildCancelled

    seen: list[int] = []
    fp32.encode(corpus[:20], on_batch=seen.append)
    assert sum(seen) == 20
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(BuildCancelled):
        fp32.encode(corpus[:20], cancel=cancel)


def test_thread_chooser_measures_both_then_keeps_the_faster() -> None:
    import time

    from index.embed.threads import ThreadChooser

    chooser = ThreadChooser(4, trials=2, warmup=0, recheck=3)
    seconds_per_char = {4: 2e-6, 1: 1e-6}  # one thread is faster here, as on a busy machine
    tried = []
    for _ in range(4):
        threads = chooser.next()
        tried.append(threads)
        chooser.record(threads, 1000, time.perf_counter() - 1000 * seconds_per_char[threads])
    assert sorted(tried) == [1, 1, 4, 4]  # both measured, alternately
    assert chooser.choice == 1
    assert [chooser.next() for _ in range(2)] == [1, 1]
    for _ in range(3):
        chooser.record(1, 1000, time.perf_counter() - 1e-3)
    assert chooser.next() == 4  # after `recheck` batches it measures again


def test_thread_chooser_on_all_cores_measures_again_when_the_machine_slows_it() -> None:
    import time

    from index.embed.threads import ThreadChooser

    def run(chooser: ThreadChooser, seconds_per_char: dict[int, float]) -> int:
        threads = chooser.next()
        chooser.record(threads, 1000, time.perf_counter() - 1000 * seconds_per_char[threads])
        return threads

    idle = {2: 1e-6, 1: 2e-6}  # all cores twice as fast, as on an idle machine
    busy = {2: 3.4e-6, 1: 2e-6}  # then another program takes a core
    chooser = ThreadChooser(2, trials=1, recheck_all_cores=10)
    assert run(chooser, {2: 1e-4}) == 2  # the first batch, slow as a fresh model's: not a trial
    assert sorted(run(chooser, idle) for _ in range(2)) == [1, 2]  # one trial each
    assert chooser.choice == 2
    assert [run(chooser, idle) for _ in range(9)] == [2] * 9  # a steady pace: no trials
    assert run(chooser, idle) == 2
    # ... until recheck_all_cores batches have passed: both measured again
    assert sorted(run(chooser, idle) for _ in range(2)) == [1, 2]
    assert [run(chooser, idle) for _ in range(3)] == [2, 2, 2]
    assert run(chooser, busy) == 2  # a batch at under half the recent pace
    assert sorted(run(chooser, busy) for _ in range(2)) == [1, 2]  # measured again at once
    assert chooser.choice == 1


def test_one_core_has_nothing_to_choose() -> None:
    from index.embed.threads import ThreadChooser

    chooser = ThreadChooser(1)
    assert chooser.candidates == [1]
    assert chooser.next() == 1
