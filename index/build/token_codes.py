"""Codes for the token vectors of passages as a build embeds them (index/store/tokens.py).

A codec is trained once per index and kept by every later build, as PLAID keeps its centroids:
codes already stored stay valid and a refresh encodes only its new passages. A build with no
quantizer yet (a new index, or one small enough for float16) holds its new token vectors in
memory until there are PQ_MIN_TOKENS of them, trains a quantizer on those and encodes from then
on; what it held is bounded by that number. Passages an older codec encoded are converted when
the generation is written (store.tokens.carried_codes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from index.store.tokens import PQ_MIN_TOKENS, PQ_TRAIN_TOKENS, Codes, TokenCodec, TokenCodes

Vectors = npt.NDArray[np.float32]


class TokenCoder:
    """Collects each embedded passage's token codes, by row of the build's passage list."""

    def __init__(self, previous: TokenCodes | None, dimension: int) -> None:
        self.previous = previous  # the previous generation's codes
        self._dimension = dimension  # of token vectors, for a build that embeds nothing
        keeps = previous is not None and previous.codec.kind == "pq"
        self.codec: TokenCodec | None = previous.codec if keeps and previous else None
        self.codes: dict[int, Codes] = {}
        self._waiting: dict[int, npt.NDArray[np.float16]] = {}  # rows without a codec yet
        self._waiting_tokens = 0
        self.on_trained: Callable[[TokenCodec], None] | None = None

    def add(self, rows: Sequence[int], tokens: Sequence[Vectors]) -> None:
        if self.codec is not None:
            for row, vectors in zip(rows, tokens, strict=True):
                self.codes[row] = self.codec.encode(vectors)
            return
        for row, vectors in zip(rows, tokens, strict=True):
            self._waiting[row] = vectors.astype(np.float16)
            self._waiting_tokens += len(vectors)
        if self._waiting_tokens >= PQ_MIN_TOKENS:
            self._train()

    def add_codes(self, rows: Sequence[int], codes: Sequence[Codes]) -> None:
        """Codes this build's codec made earlier (a stopped build's staged batches)."""
        for row, its_codes in zip(rows, codes, strict=True):
            self.codes[row] = its_codes

    def finish(self) -> TokenCodec:
        """The codec of the generation being written, every row's codes made with it."""
        if self.codec is None:
            self._train()
        assert self.codec is not None
        return self.codec

    def _train(self) -> None:
        waiting = [v.astype(np.float32) for v in self._waiting.values()]
        # The transformer's width: a model with a Dense head has passage vectors of another.
        if waiting:
            dimension = waiting[0].shape[1]
        elif self.previous is not None:
            dimension = self.previous.codec.dimension
        else:
            dimension = self._dimension
        sample = np.concatenate([*waiting, np.empty((0, dimension), dtype=np.float32)])
        if self.previous is not None:  # a float16 codec's tokens are exact: train on them too
            old = self.previous.sample(max(PQ_TRAIN_TOKENS - len(sample), 0))
            if len(old):
                sample = np.concatenate([sample, old])
        self.codec = TokenCodec.trained(sample)
        if self.on_trained is not None:
            self.on_trained(self.codec)
        for row, vectors in self._waiting.items():
            self.codes[row] = self.codec.encode(vectors.astype(np.float32))
        self._waiting.clear()
        self._waiting_tokens = 0
