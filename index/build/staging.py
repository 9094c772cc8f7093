"""Embedding that survives Cancel, Ctrl+C and a crash.

Every batch of passages, once embedded, is written to the index folder's staging area, each
passage under a key made of everything its vectors depend on (the model as loaded, the
passage's text and its sentences). A build that stops before publishing leaves them there; the
next build loads them instead of embedding those passages again, so at most one batch of work
is lost. Once a build is published the staging area is emptied: what it held is in the index
now, or was made for text that has changed since.

    INDEX_DIR/staging/batch-*.npz    keys (n), passages (n x d), sentences (m x d), counts (n):
                                     numpy's own format, read with allow_pickle=False
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

STAGING_NAME = "staging"

Vectors = npt.NDArray[np.float32]
Span = tuple[int, int]
Staged = tuple[Vectors, Vectors]  # a passage's vector, and its sentences' (k x d)


class Staging:
    """The staging area of one index folder, for one model as loaded (name, precision)."""

    def __init__(self, index_dir: Path, model: str) -> None:
        self.folder = index_dir / STAGING_NAME
        self._model = model

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
            except (OSError, ValueError, KeyError):
                continue
            if not len(keys) == len(vectors) == len(counts) or counts.sum() != len(flat):
                continue
            for key, vector, sentences in zip(
                keys, vectors, np.split(flat, np.cumsum(counts)[:-1]), strict=True
            ):
                found[key] = (vector, sentences)
        return found

    def save(self, keys: Sequence[str], vectors: Vectors, sentences: Sequence[Vectors]) -> None:
        """Keep one batch; written whole or not at all (a temporary file, renamed)."""
        self.folder.mkdir(exist_ok=True)
        name = f"batch-{uuid.uuid4().hex}"
        partial = self.folder / f"{name}.partial"
        counts = np.asarray([len(s) for s in sentences], dtype=np.int64)
        flat = np.concatenate([*sentences, np.empty((0, vectors.shape[1]), np.float32)])
        with partial.open("wb") as f:
            np.savez(f, keys=np.asarray(keys), passages=vectors, sentences=flat, counts=counts)
        partial.replace(self.folder / f"{name}.npz")

    def clear(self) -> None:
        """Empty the staging area, after a build was published."""
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.folder)
