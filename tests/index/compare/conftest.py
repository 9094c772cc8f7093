"""Libraries whose true alignment is known: a sample story and a reworked draft of it."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.build.builder import build_index
from index.embed.model import Embedder
from index.search.library import Library
from tests.conftest import SEEDS


def unit_vectors(rng: np.random.Generator, n: int, dimension: int) -> np.ndarray:
    """`n` random unit vectors: passages that tell nothing alike."""
    vectors = rng.standard_normal((n, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def write_reworked_draft(folder: Path) -> None:
    """Sofia Kalejs, and a copy reworked as a later draft would be: its last passage moved to
    the front, the third deleted, a passage of Camilla Roche inserted, the sixth split in two."""
    original = (SEEDS / "sofia-kalejs.txt").read_text("utf-8")
    (folder / "sofia-kalejs.txt").write_text(original, "utf-8")
    paragraphs = [p for p in re.split(r"\n\s*\n", original) if p.strip()]
    assert len(paragraphs) == 8
    camilla = [
        p
        for p in re.split(r"\n\s*\n", (SEEDS / "camilla-roche.txt").read_text("utf-8"))
        if p.strip()
    ]
    sentences = re.split(r"(?<=[.!?]) ", paragraphs[5].strip())
    half = len(sentences) // 2
    split = [" ".join(sentences[:half]), " ".join(sentences[half:])]
    draft = [paragraphs[7], *paragraphs[0:2], paragraphs[3], camilla[3], paragraphs[4]]
    draft += [*split, paragraphs[6]]
    (folder / "sofia-kalejs-draft.txt").write_text("\n\n".join(draft) + "\n", "utf-8")


@pytest.fixture(scope="module")
def reworked(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Library]:
    """A library of Sofia Kalejs and its reworked draft alone."""
    folder = tmp_path_factory.mktemp("drafts")
    write_reworked_draft(folder)
    where = tmp_path_factory.mktemp("reworked") / "ix"
    build_index([folder], where, embedder=embedder)
    with Library.open(where, embedder=embedder) as library:
        yield library


@pytest.fixture(scope="module")
def samples_and_draft(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[Library]:
    """The sample stories and the reworked draft of one of them."""
    folder = tmp_path_factory.mktemp("samples-and-draft")
    for story in SEEDS.glob("*.txt"):
        shutil.copy(story, folder)
    write_reworked_draft(folder)
    where = tmp_path_factory.mktemp("samples-and-draft-index") / "ix"
    build_index([folder], where, embedder=embedder)
    with Library.open(where, embedder=embedder) as library:
        yield library
