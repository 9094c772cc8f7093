"""Embedding that survives Cancel, Ctrl+C and a crash.

Every batch of passages, once embedded, is written to the index folder's staging area, each
passage under a key made of everything its vectors depend on (the model as loaded, the
passage's text and its sentences). A build that stops before publishing leaves them there; the
next build loads them instead of embedding those passages again, so at most one batch of work
is lost. Once a build is published the staging area is emptied: what it held is in the index
now, or was made for text that has changed since.

    INDEX_DIR/staging/batch-*.npz    keys (n), passages (n x d), sentences (m x d), counts (n),
                                     tokens (t x w), token_counts (n), token_codec:
                                     numpy's own format, read with allow_pickle=False
    INDEX_DIR/staging/codec-*.faiss  the token codec this build trained (index/store/tokens.py)

A batch's tokens are codes of the codec named by `token_codec`, or float16 vectors when it is
empty (embedded before the build had a codec); codes of another codec are not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.errors import IndexCorrupt
from index.store.tokens import TokenCodec

STAGING_NAME = "staging"

Vectors = npt.NDArray[np.float32]
Span = tuple[int, int]
Tokens = npt.NDArray[np.uint8] | npt.NDArray[np.float16]


@dataclass(frozen=True)
class Staged:
    vector: Vectors  # the passage's
    sentences: Vectors  # its sentences' (k x d)
    tokens: Tokens  # its tokens' codes, or float16 vectors when token_codec is ""
    token_codec: str  # the fingerprint of the codec that made the codes


class Staging:
    """The staging area of one index folder, for one model as loaded (name, precision)."""

    def __init__(self, index_dir: Path, model: str) -> None:
        self.folder = index_dir / STAGING_NAME
        self._model = model
        self._failed = False  # a batch could not be written: stage no more

    def key(self, text: str, sentences: Sequence[Span]) -> str:
        """What a passage's vectors depend on, as one short string."""
        digest = hashlib.sha256(f"{self._model}\n{sentences}\n{text}".encode())
        return digest.hexdigest()[:40]

    def load(self) -> dict[str, Staged]:
        """Every passage a stopped build embedded, by key; a file a crash cut short is
        passed over (its passages are embedded again)."""
        found: dict[str, Staged] = {}
        for path in sorted(self.folder.glob("batch-*.npz")):
            try:
                with np.load(path, allow_pickle=False) as saved:
                    keys = [str(k) for k in saved["keys"]]
                    vectors = np.asarray(saved["passages"], dtype=np.float32)
                    flat = np.asarray(saved["sentences"], dtype=np.float32)
                    counts = np.asarray(saved["counts"], dtype=np.int64)
                    tokens = np.asarray(saved["tokens"])
                    token_counts = np.asarray(saved["token_counts"], dtype=np.int64)
                    token_codec = str(saved["token_codec"])
            except (OSError, ValueError, KeyError):
                continue
            if (
                not len(keys) == len(vectors) == len(counts) == len(token_counts)
                or counts.sum() != len(flat)
                or token_counts.sum() != len(tokens)
            ):
                continue
            for key, vector, sentences, its_tokens in zip(
                keys,
                vectors,
                np.split(flat, np.cumsum(counts)[:-1]),
                np.split(tokens, np.cumsum(token_counts)[:-1]),
                strict=True,
            ):
                found[key] = Staged(vector, sentences, its_tokens, token_codec)
        return found

    def codec(self) -> TokenCodec | None:
        """The token codec a stopped build trained, if any."""
        for path in sorted(self.folder.glob("codec-*.faiss")):
            try:
                return TokenCodec.read(path)
            except IndexCorrupt:
                continue
        return None

    def save_codec(self, codec: TokenCodec) -> None:
        self._keep(f"codec-{codec.fingerprint}.faiss", codec.write)

    def save(
        self,
        keys: Sequence[str],
        vectors: Vectors,
        sentences: Sequence[Vectors],
        tokens: Sequence[Tokens],
        token_codec: str,
    ) -> None:
        """Keep one batch; its tokens are codes of the codec `token_codec` names, or float16
        vectors when it is ""."""
        counts = np.asarray([len(s) for s in sentences], dtype=np.int64)
        flat = np.concatenate([*sentences, np.empty((0, vectors.shape[1]), np.float32)])

        def write(path: Path) -> None:
            with path.open("wb") as f:
                np.savez(
                    f,
                    keys=np.asarray(keys),
                    passages=vectors,
                    sentences=flat,
                    counts=counts,
                    tokens=np.concatenate(tokens) if tokens else np.empty((0, 0), np.uint8),
                    token_counts=np.asarray([len(t) for t in tokens], dtype=np.int64),
                    token_codec=np.asarray(token_codec),
                )

        self._keep(f"batch-{uuid.uuid4().hex}.npz", write)

    def _keep(self, name: str, write: Callable[[Path], None]) -> None:
        """Write one file of the staging area whole or not at all (a temporary file, renamed).
        Staging only saves work for later: when it cannot be written (a full disk) the build
        goes on without it, and saving the index itself says what is wrong."""
        if self._failed:
            return
        partial = (self.folder / name).with_suffix(".partial")
        try:
            self.folder.mkdir(exist_ok=True)
            write(partial)
            partial.replace(self.folder / name)
        except (OSError, RuntimeError):  # FAISS reports a failed write as RuntimeError
            self._failed = True
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)

    def clear(self) -> None:
        """Empty the staging area, after a build was published."""
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.folder)
