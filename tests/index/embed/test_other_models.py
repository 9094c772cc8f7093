"""Any sentence-transformers model: one with a Dense projection after pooling (as the
multilingual distiluse and LaBSE models have) builds, searches and compares. The model is
assembled here from the bundled one, so nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.build.builder import build_index
from index.compare.align import align_passages
from index.embed.model import Embedder
from index.embed.sentences import embed_with_sentences
from index.search.library import Library
from tests.conftest import DENSE_DIMENSION as PROJECTED

pytestmark = pytest.mark.model  # loads the real model (assembled from the bundled one)


def test_sentence_vectors_go_through_the_projection(dense_model: Path) -> None:
    embedder = Embedder(dense_model)
    assert embedder.dimension == PROJECTED
    texts = ["She stepped onto the stage. Her father waited in the wings.", "A short one."]
    spans = [[(0, 27), (28, len(texts[0]))], [(0, len(texts[1]))]]
    passages, sentences = embed_with_sentences(embedder, texts, spans)
    assert passages.shape == (2, PROJECTED)
    assert [s.shape for s in sentences] == [(2, PROJECTED), (1, PROJECTED)]
    assert np.allclose(np.linalg.norm(sentences[0], axis=1), 1.0, atol=1e-5)
    assert float(sentences[1][0] @ passages[1]) > 0.95  # one sentence: close to the passage


def test_a_library_built_with_it_searches_and_compares(
    dense_model: Path, seeds: Path, tmp_path: Path
) -> None:
    report = build_index([seeds], tmp_path / "ix", model=dense_model)
    assert len(report.added) == 4
    with Library.open(tmp_path / "ix") as lib:
        assert lib.info().meta["dimension"] == str(PROJECTED)
        hits = lib.search("her estranged father comes to apologise after the show", k=3)
        assert hits
        assert lib.similar(hits[0].passage.id, k=3)
        other = lib.search("the audience applauds her bow", k=1, stories=[1])[0]
        alignment = align_passages(lib, hits[0].passage, other.passage)
        assert alignment.left_sentences
