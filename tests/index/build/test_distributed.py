"""A build embedded on Ray (index/build/distributed.py), on a real local Ray instance and the
real model: the same passages under the same ids as a local build, and the same vectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.build.builder import build_index
from index.build.distributed import RayEmbedding
from index.embed.model import Embedder
from index.search.library import Library
from tests.conftest import SEEDS

ray = pytest.importorskip("ray", reason="the scale extra (pip install storylens[scale])")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_a_build_on_ray_equals_the_local_build(
    local_ray: None, seed_index: Path, embedder: Embedder, tmp_path: Path
) -> None:
    progress: list[int] = []
    report = build_index(
        [SEEDS],
        tmp_path / "index",
        embedder=embedder,
        ray=RayEmbedding("local"),
        progress=lambda p: progress.append(p.done) if p.phase == "embedding" else None,
    )
    assert report.passages_embedded == report.passages_total > 0
    assert progress[-1] == report.passages_embedded  # batches reported as they came back
    on_ray = Library.open(tmp_path / "index", embedder=embedder)
    here = Library.open(seed_index, embedder=embedder)
    by_path = {story.path: story for story in here.stories()}
    for story in on_ray.stories():
        mine, theirs = on_ray.passages(story.id), here.passages(by_path[story.path].id)
        assert [(p.id, p.start, p.end, p.sentences) for p in mine] == [
            (p.id, p.start, p.end, p.sentences) for p in theirs
        ]
        (vectors, sentences), (expected, expected_sentences) = (
            on_ray.stored_vectors(mine),
            here.stored_vectors(theirs),
        )
        assert np.min(np.sum(vectors * expected, axis=1)) >= 0.999
        for got, want in zip(sentences, expected_sentences, strict=True):
            assert np.min(np.sum(got * want, axis=1)) >= 0.999
    assert [h.passage.id for h in on_ray.search("a dancer doubts she is good enough")] == [
        h.passage.id for h in here.search("a dancer doubts she is good enough")
    ]
