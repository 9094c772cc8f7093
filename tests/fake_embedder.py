"""A small deterministic embedder for the fast tier: the plumbing (builder, store, layouts,
service, ranking) without the model's load and forward passes.

It honours the Embedder interface, token offsets included: a text's tokens are its words and
punctuation marks; each token's vector is fixed by the folded token alone (a seeded random unit
vector), and a text's vector is their normalised mean, so texts that share words are close and
the same text always gives the same vector. It knows nothing of meaning: tests of what a
paraphrase finds use the real model (the `model` tier).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from index.embed.model import Embedder, Precision, Vectors
from index.embed.outputs import TokenOutput
from index.errors import BuildCancelled

FAKE_NAME = "fake-embedder"
DIMENSION = 32
MAX_TOKENS = 64  # small, so the chunker's splitting of long paragraphs is exercised
_TOKEN = re.compile(r"\w+|[^\w\s]")


class FakeTokens:
    """The TokenCounter of the fake: a word or a punctuation mark is one token."""

    max_tokens = MAX_TOKENS

    def count(self, text: str) -> int:
        return len(self.offsets(text)) + 2  # and [CLS], [SEP], as the real one counts them

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _TOKEN.finditer(text)]


@cache
def _token_vector(token: str) -> Vectors:
    seed = int.from_bytes(hashlib.blake2b(token.casefold().encode(), digest_size=8).digest())
    vector = np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)
    normalised: Vectors = vector / np.linalg.norm(vector)
    return normalised


class FakeEmbedder(Embedder):
    """Embedder's interface over FakeTokens; loads nothing, counts the texts it embeds."""

    def __init__(self, *, batch_size: int = 16, precision: Precision = "fp32") -> None:
        self.name = FAKE_NAME
        self.path = Path(FAKE_NAME)
        self.model_ref = FAKE_NAME
        self.batch_size = batch_size
        self.requested_precision = precision
        self._fake_precision: Precision = precision  # what it says it runs in; it computes alike
        self.embedded = 0  # texts embedded so far, for tests of what a build re-embeds
        self._count_lock = threading.Lock()

    @property
    def precision(self) -> Precision:
        return self._fake_precision

    def load(self) -> Any:
        return self

    may_use_query_graph = False

    def query_graph(self) -> None:
        return None  # never exported: it reads queries itself

    def export_query_graph(self) -> bool:
        return False

    @property
    def torch_loaded(self) -> bool:
        return True  # as good as loaded: there is nothing to load

    @property
    def running_precision(self) -> Precision:
        return self._fake_precision

    @property
    def dimension(self) -> int:
        return DIMENSION

    @property
    def max_tokens(self) -> int:
        return MAX_TOKENS

    @property
    def tokens(self) -> FakeTokens:
        return FakeTokens()

    @contextmanager
    def batch_threads(self, texts: Sequence[str]) -> Iterator[None]:
        yield

    def encode(
        self,
        texts: Sequence[str],
        *,
        on_batch: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Vectors:
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for first in range(0, len(texts), self.batch_size):
            if cancel is not None and cancel.is_set():
                raise BuildCancelled
            batch = range(first, min(first + self.batch_size, len(texts)))
            for i, output in zip(
                batch, self.forward_tokens([texts[i] for i in batch]), strict=True
            ):
                out[i] = output.pooled / max(float(np.linalg.norm(output.pooled)), 1e-12)
            if on_batch is not None:
                on_batch(len(batch))
        return out

    def read_query(self, text: str) -> tuple[Vectors, Vectors, list[tuple[int, int]]]:
        [output] = self.forward_tokens([text])  # one forward pass, as the real one does
        vector = output.pooled / max(float(np.linalg.norm(output.pooled)), 1e-12)
        keep = [i for i, (s, e) in enumerate(output.spans) if e > s]
        return vector[None, :], output.tokens[keep], [output.spans[i] for i in keep]

    def after_pooling(self, pooled: Vectors) -> Vectors:
        return pooled  # no modules after pooling

    def forward_tokens(self, texts: Sequence[str]) -> list[TokenOutput]:
        with self._count_lock:
            self.embedded += len(texts)
        outputs = []
        for text in texts:
            spans = FakeTokens().offsets(text)[: MAX_TOKENS - 2]
            inner = [_token_vector(text[s:e]) for s, e in spans]
            pooled = np.mean(inner, axis=0) if inner else np.full(DIMENSION, 1e-3, np.float32)
            special = np.zeros(DIMENSION, dtype=np.float32)
            tokens = np.stack([special, *inner, special]).astype(np.float32)
            outputs.append(
                TokenOutput(
                    pooled=np.asarray(pooled, dtype=np.float32),
                    tokens=tokens,
                    spans=[(0, 0), *spans, (0, 0)],
                )
            )
        return outputs
