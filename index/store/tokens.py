"""Every passage's token vectors, compressed, so that token match scores stored codes and a
query runs the model on the query alone.

The build's forward pass computes each token's vector in context anyway (for the sentence
vectors); keeping them is what ColBERTv2 and PLAID do. Stored whole they would be 768 bytes a
token in float16, about 60 KB a passage. A passage keeps its word tokens (its punctuation is left
out), at most 110 of them (a longer passage's pooled into 110: embed.outputs.passage_tokens),
each as a product quantizer's code (FAISS PQ: 96 sub-vectors of 4 dimensions, 3 bits each, 36
bytes a token), so that no passage's codes and row take more than 4,000 bytes; a decoded vector
is put back to unit length. Every other layout of 32 to 36 bytes measured lost more of what
token match finds: 4-bit or 8-bit codes of fewer sub-vectors, a learnt rotation, residuals
against each word piece's mean, fewer bytes for stopwords alone, a PCA before the quantizer, or
fewer vectors for every passage (content words alone, pooling every passage by 2); 64 bytes a
token (128 sub-vectors of 4 bits, what libraries built before keep) rank a little better on the
tune halves and cost twice the disk (benchmarks/README.md, runs D, S, X, Y and Z;
benchmarks/bench_token_codes.py). A library too small to train a quantizer on (fewer than
PQ_MIN_TOKENS tokens) keeps float16, which is exact and small there.

    gen-NNNNNN/tokens.codec           the codec: a FAISS index used only to encode and decode
    gen-NNNNNN/tokens.codes.npy       one row of codes per token, passage after passage
    gen-NNNNNN/tokens.passages.npy    per passage: id, first row, number of rows (int64)

The codes are memory-mapped: opening an index reads the small table, not the codes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import REBUILD_ADVICE, IndexCorrupt
from index.store.vectors import faiss_threads

CODEC_NAME = "tokens.codec"
CODES_NAME = "tokens.codes.npy"
TABLE_NAME = "tokens.passages.npy"

PQ_MIN_TOKENS = 20_000  # fewer tokens than this stay float16: too few to train a quantizer
# that later text, encoded with it, will fit
PQ_TRAIN_TOKENS = 32_000  # a quantizer is trained on at most this many, drawn evenly
PQ_BITS = 288  # a token's code: 36 bytes (pq_layout)
PQ_SEED = 20241202  # the same library gives the same codes

Vectors = npt.NDArray[np.float32]
Codes = npt.NDArray[np.uint8]


def pq_layout(dimension: int) -> tuple[int, int]:
    """(sub-vectors, bits each) of the quantizer for vectors of `dimension`: the most bits up to
    PQ_BITS in sub-vectors that divide the dimension, 3 or 4 bits each (fewer bits first): for
    the bundled model's 384 dimensions, 96 sub-vectors of 3 bits."""
    layouts = [
        (subvectors, bits)
        for bits in (3, 4)
        for subvectors in range(1, PQ_BITS // bits + 1)
        if dimension % subvectors == 0
    ]
    return max(layouts, key=lambda layout: (layout[0] * layout[1], -layout[1]))


class TokenCodec:
    """Turns token vectors into codes and back (FAISS's standalone codec interface)."""

    def __init__(self, faiss_index: Any) -> None:
        self._index = faiss_index
        if self.kind == "pq":
            # FAISS then encodes by products with the centroids laid out by dimension, not a
            # distance loop per sub-vector: same nearest centroids (up to ties in the last
            # bit), the saved index unchanged, encoding about a third faster.
            faiss_index.pq.sync_transposed_centroids()

    @classmethod
    def trained(cls, sample: Vectors, *, quantize: bool | None = None) -> TokenCodec:
        """A product quantizer trained on `sample`, or float16 when it is too small for one
        (`quantize` decides instead, when given)."""
        import faiss

        dimension = sample.shape[1]
        if quantize is None:
            quantize = len(sample) >= PQ_MIN_TOKENS
        if not quantize:
            return cls(faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_fp16))
        if len(sample) > PQ_TRAIN_TOKENS:
            sample = sample[np.linspace(0, len(sample) - 1, PQ_TRAIN_TOKENS).astype(np.int64)]
        subvectors, bits = pq_layout(dimension)
        index = faiss.IndexPQ(dimension, subvectors, bits, faiss.METRIC_INNER_PRODUCT)
        index.pq.cp.seed = PQ_SEED
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        return cls(index)

    @classmethod
    def read(cls, path: Path) -> TokenCodec:
        import faiss

        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexCorrupt(f"The token codec {path.name} is damaged. {REBUILD_ADVICE}") from exc
        return cls(index)

    def write(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    def to_bytes(self) -> bytes:
        """The codec as FAISS serialises it: what a library kept elsewhere stores (Milvus)."""
        import faiss

        return bytes(faiss.serialize_index(self._index).tobytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> TokenCodec:
        import faiss

        try:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except RuntimeError as exc:
            raise IndexCorrupt(f"The stored token codec is damaged. {REBUILD_ADVICE}") from exc
        return cls(index)

    @property
    def kind(self) -> str:
        """ "pq" or "fp16"."""
        return "pq" if type(self._index).__name__ == "IndexPQ" else "fp16"

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    @property
    def code_size(self) -> int:
        return int(self._index.sa_code_size())

    @cached_property
    def fingerprint(self) -> str:
        """Tells codecs apart: codes made by one are read by it alone."""
        return hashlib.sha256(self.to_bytes()).hexdigest()[:16]

    def encode(self, vectors: Vectors) -> Codes:
        if len(vectors) == 0:
            return np.empty((0, self.code_size), dtype=np.uint8)
        with faiss_threads(1):  # a batch's or a query's few thousand: not worth a thread pool
            codes: Codes = self._index.sa_encode(np.ascontiguousarray(vectors, dtype=np.float32))
        return codes

    def decode(self, codes: Codes) -> Vectors:
        """Unit-length vectors back from codes."""
        if len(codes) == 0:
            return np.empty((0, self.dimension), dtype=np.float32)
        codes = np.ascontiguousarray(codes)
        vectors: Vectors
        if self.kind == "fp16":
            vectors = codes.view(np.float16).astype(np.float32)
        elif self._byte_table is not None:
            table, first_row = self._byte_table
            rows = np.add(codes, first_row, dtype=np.intp)
            vectors = table.take(rows, axis=0).reshape(len(codes), self.dimension)
        else:
            with faiss_threads(1):
                vectors = self._index.sa_decode(codes)
        norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))  # no temporary of the squares
        vectors /= np.maximum(norms, 1e-12)[:, None]
        return vectors

    @cached_property
    def _byte_table(self) -> tuple[Vectors, npt.NDArray[np.intp]] | None:
        """For 4-bit codes: what each byte value decodes to, per byte of a code (a byte holds
        two sub-vectors' centroids, the first in its low bits), and where each byte's rows
        start. Decoding is then one gather, two to three times faster than FAISS's loop over
        every sub-vector; the result is the same to the bit."""
        import faiss

        pq = self._index.pq
        if pq.nbits != 4 or pq.M % 2:
            return None
        centroids = faiss.vector_to_array(pq.centroids).reshape(pq.M, pq.ksub, pq.dsub)
        value = np.arange(256)
        low, high = centroids[0::2][:, value & 15, :], centroids[1::2][:, value >> 4, :]
        table = np.concatenate([low, high], axis=2).reshape(-1, 2 * pq.dsub)
        first_row = np.arange(pq.M // 2, dtype=np.intp) * 256
        return np.ascontiguousarray(table, dtype=np.float32), first_row


class TokenCodes:
    """A generation's stored token codes, read-only; the codes stay on disk (memory-mapped)."""

    def __init__(self, codec: TokenCodec, codes: Codes, table: npt.NDArray[np.int64]) -> None:
        self.codec = codec
        self._codes = codes
        order = np.argsort(table[:, 0], kind="stable")  # looked up by binary search: no dict
        self._ids = np.ascontiguousarray(table[order, 0])  # of a million entries to build
        self._first = np.ascontiguousarray(table[order, 1])
        self._count = np.ascontiguousarray(table[order, 2])

    @classmethod
    def open(cls, generation: Path) -> TokenCodes | None:
        """The generation's token codes, or None for an index built before they were stored
        (search then reads those passages with the model, as it used to)."""
        if not (generation / CODEC_NAME).exists():
            return None
        codec = TokenCodec.read(generation / CODEC_NAME)
        try:
            codes = np.load(generation / CODES_NAME, mmap_mode="r", allow_pickle=False)
            table = np.load(generation / TABLE_NAME, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"The stored token vectors are damaged. {REBUILD_ADVICE}") from exc
        total = int(table[:, 1:].sum(axis=1).max()) if len(table) else 0
        if codes.ndim != 2 or codes.shape[1] != codec.code_size or total > len(codes):
            raise IndexCorrupt(f"The stored token vectors do not fit together. {REBUILD_ADVICE}")
        return cls(codec, codes, table)

    def __contains__(self, passage_id: int) -> bool:
        return self._at(passage_id) is not None

    def __len__(self) -> int:
        return len(self._ids)

    def count(self, passage_id: int) -> int:
        """How many tokens a stored passage has, from the table (no code is read)."""
        return int(self._count[self._index_of(passage_id)])

    def codes(self, passage_id: int) -> Codes:
        at = self._index_of(passage_id)
        first = int(self._first[at])
        return np.asarray(self._codes[first : first + int(self._count[at])])

    def _at(self, passage_id: int) -> int | None:
        at = int(np.searchsorted(self._ids, passage_id))
        return at if at < len(self._ids) and int(self._ids[at]) == passage_id else None

    def _index_of(self, passage_id: int) -> int:
        at = self._at(passage_id)
        if at is None:
            raise KeyError(passage_id)
        return at

    def vectors(self, passage_ids: Sequence[int]) -> tuple[Vectors, list[int]]:
        """The decoded token vectors of these passages, one after another, and how many rows
        each has (all must be stored here)."""
        if not passage_ids:
            return np.empty((0, self.codec.dimension), dtype=np.float32), []
        parts = [self.codes(pid) for pid in passage_ids]
        counts = [len(part) for part in parts]
        codes = np.concatenate(parts)
        return self.codec.decode(codes), counts

    def sample(self, limit: int) -> Vectors:
        """Up to `limit` decoded token vectors drawn evenly, to train a new codec on."""
        total = len(self._codes)
        if total == 0:
            return np.empty((0, self.codec.dimension), dtype=np.float32)
        rows = np.unique(np.linspace(0, total - 1, min(total, limit)).astype(np.int64))
        return self.codec.decode(np.asarray(self._codes[rows]))


def write_token_codes(
    generation: Path, codec: TokenCodec, passages: Iterable[tuple[int, Codes]], total: int
) -> None:
    """Write `total` tokens' codes, passage by passage, with the codec that made them."""
    codec.write(generation / CODEC_NAME)
    codes = np.lib.format.open_memmap(
        generation / CODES_NAME, mode="w+", dtype=np.uint8, shape=(total, codec.code_size)
    )
    table: list[tuple[int, int, int]] = []
    at = 0
    for pid, rows in passages:
        codes[at : at + len(rows)] = rows
        table.append((pid, at, len(rows)))
        at += len(rows)
    if at != total:
        raise IndexCorrupt(f"Internal mismatch: {at} token codes written, {total} expected.")
    # No msync here: it holds the GIL for the whole write-back, stalling the window's event
    # loop, and publishing the generation fsyncs every file anyway.
    del codes
    np.save(
        generation / TABLE_NAME,
        np.asarray(table, dtype=np.int64).reshape(-1, 3),
        allow_pickle=False,
    )


def carried_codes(
    old: TokenCodes | None, codec: TokenCodec, passage_ids: Iterable[int]
) -> Iterator[tuple[int, Codes]]:
    """The old generation's codes of these passages (all stored there; none without it), in
    `codec`'s terms: decoded and encoded again when the codec changed."""
    if old is None:
        return
    same = old.codec.fingerprint == codec.fingerprint
    for pid in passage_ids:
        codes = old.codes(pid)
        yield pid, codes if same else codec.encode(old.codec.decode(codes))
