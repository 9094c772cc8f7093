"""Shared fixtures: the real model (loaded once per session), a fake embedder for the fast tier,
and the real sample stories.

Two tiers: a test that uses the real model (the `embedder` fixture, or an index built with it)
is marked `model` here, by its fixtures, so the mark cannot drift from what the test loads;
`pytest -m "not model"` runs the fast tier alone.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Exported query models (index/embed/query_graph.py, about 90 MB each) go to a folder of this
# run, never to the person's cache, and are removed when the run ends.
if "STORYLENS_CACHE" not in os.environ:
    _TEST_CACHE = tempfile.mkdtemp(prefix="storylens-test-cache-")
    os.environ["STORYLENS_CACHE"] = _TEST_CACHE
    atexit.register(shutil.rmtree, _TEST_CACHE, ignore_errors=True)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEEDS_TITLES = {"Sofia Kalejs", "Sofia Kalmurzaeva", "Romy Baktybekova", "Camilla Roche"}
REAL_MODEL_FIXTURES = {
    "embedder",
    "seed_index",
    "library_copy",
    "open_window",
    "cli_index",
    "dense_model",
}
DENSE_DIMENSION = 256  # of dense_model's vectors


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def embedder() -> object:
    from index.embed.model import Embedder

    model = Embedder()
    model.load()
    # Queries are read as a person's are once a build has exported the model: on ONNX Runtime.
    assert model.export_query_graph()
    assert model.query_graph() is not None
    return model


@pytest.fixture(scope="session")
def dense_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another model, assembled from the bundled one so nothing is downloaded: a Dense layer
    (384 -> 256, tanh) and Normalize after pooling, as the multilingual distiluse and LaBSE
    models have."""
    import torch
    from sentence_transformers import SentenceTransformer

    from index.embed.model import default_model_dir

    try:  # where sentence-transformers 6 keeps them; 3 to 5 in .models
        from sentence_transformers.sentence_transformer.modules import Dense, Normalize
    except ImportError:
        from sentence_transformers.models import Dense, Normalize

    base = SentenceTransformer(str(default_model_dir()), device="cpu")
    torch.manual_seed(0)
    dense = Dense(384, DENSE_DIMENSION, activation_function=torch.nn.Tanh())
    where = tmp_path_factory.mktemp("models") / "minilm-dense-256"
    SentenceTransformer(modules=[base[0], base[1], dense, Normalize()]).save(str(where))
    return where


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the sample stories that a test may edit."""
    copy = tmp_path / "stories"
    shutil.copytree(SEEDS, copy)
    return copy


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> Iterator[Path]:
    """The sample stories indexed once, for tests that only read."""
    from index.build.builder import build_index
    from index.embed.model import Embedder

    assert isinstance(embedder, Embedder)
    where = tmp_path_factory.mktemp("seed-index")
    build_index([SEEDS], where, embedder=embedder)
    yield where


@pytest.fixture(scope="session")
def fake_embedder() -> object:
    """The fast tier's embedder (tests/fake_embedder.py): deterministic, no model."""
    from tests.fake_embedder import FakeEmbedder

    return FakeEmbedder()


@pytest.fixture(scope="session")
def fake_seed_index(tmp_path_factory: pytest.TempPathFactory, fake_embedder: object) -> Path:
    """The sample stories indexed once with the fake embedder, for tests that only read."""
    from index.build.builder import build_index
    from tests.fake_embedder import FakeEmbedder

    assert isinstance(fake_embedder, FakeEmbedder)
    where = tmp_path_factory.mktemp("fake-seed-index")
    build_index([SEEDS], where, embedder=fake_embedder)
    return where
