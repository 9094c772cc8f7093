"""Stored token vectors: the build keeps every passage's, compressed; search reads them instead
of running the model on passages; refreshes carry them; old indexes without them still search."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.build.builder import build_index
from index.embed.model import Embedder
from index.embed.outputs import PASSAGE_TOKENS_MAX, passage_tokens, word_tokens
from index.errors import IndexCorrupt
from index.search.library import Library
from index.store import tokens as token_store
from index.store.generations import IndexDir, _write_manifest
from index.store.tokens import PQ_BITS, PQ_MIN_TOKENS, TokenCodec, TokenCodes, pq_layout
from tests.fake_embedder import FakeEmbedder
from tests.older_index import without_stored_tokens

ORIGIN = Path(__file__).parents[3] / "benchmarks/eval/data/origin-1859.txt.gz"
QUERY = "her dad, long gone from her life, turns up after the show to say sorry"


def _codes(index: Path) -> TokenCodes:
    codes = TokenCodes.open(IndexDir(index).current())
    assert codes is not None
    return codes


def _true_tokens(library: Library, embedder: FakeEmbedder, pid: int) -> np.ndarray:
    text = library.passage(pid).text
    [(vectors, spans)] = embedder.token_vectors([text])
    return passage_tokens(text, vectors, spans)


def test_every_passage_keeps_its_token_vectors(
    fake_seed_index: Path, fake_embedder: FakeEmbedder
) -> None:
    codes = _codes(fake_seed_index)
    assert codes.codec.kind == "fp16"  # the sample is too small to train a quantizer on
    with Library.open(fake_seed_index, embedder=fake_embedder) as library:
        ids = [p.id for s in library.stories() for p in library.passages(s.id)]
        assert len(codes) == len(ids)
        for pid in ids:
            decoded, [count] = codes.vectors([pid])
            truth = _true_tokens(library, fake_embedder, pid)
            assert count == len(truth)
            assert np.allclose(decoded, truth, atol=1e-3)


def test_search_runs_the_model_on_the_query_alone(
    fake_seed_index: Path, fake_embedder: FakeEmbedder
) -> None:
    embedder = FakeEmbedder()
    with Library.open(fake_seed_index, embedder=embedder) as library:
        hits = library.search(QUERY, k=10)
    assert len(hits) == 10
    assert embedder.embedded == 1  # the query, once, for its vector and token vectors


def test_stored_tokens_rank_as_reading_the_passages_would(
    fake_seed_index: Path, fake_embedder: FakeEmbedder
) -> None:
    with Library.open(fake_seed_index, embedder=fake_embedder) as library:
        stored = [h.passage.id for h in library.search(QUERY, k=10)]
        library.token_matcher = type(library.token_matcher)(fake_embedder.token_vectors)
        read = [h.passage.id for h in library.search(QUERY, k=10)]
    assert stored == read


def test_a_refresh_keeps_the_codes_of_unchanged_passages(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    before = _codes(where)
    kept = {pid: before.codes(pid).copy() for pid in range(len(before)) if pid in before}
    story = next(seeds.glob("*.txt"))
    story.write_text(story.read_text("utf-8") + "\n\nA new last paragraph.\n", "utf-8")
    build_index([], where, embedder=fake_embedder)
    after = _codes(where)
    with Library.open(where, embedder=fake_embedder) as library:
        ids = [p.id for s in library.stories() for p in library.passages(s.id)]
    assert sorted(ids) == sorted(pid for pid in range(max(ids) + 1) if pid in after)
    carried = [pid for pid in ids if pid in kept]
    assert carried and all(np.array_equal(after.codes(pid), kept[pid]) for pid in carried)


def test_a_growing_library_moves_to_a_quantizer_and_keeps_every_passage(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    assert _codes(where).codec.kind == "fp16"
    monkeypatch.setattr(token_store, "PQ_MIN_TOKENS", 1000)
    monkeypatch.setattr("index.build.token_codes.PQ_MIN_TOKENS", 1000)
    more = tmp_path / "more"
    more.mkdir()
    for n in range(6):
        (more / f"log-{n}.txt").write_text(
            "\n\n".join(f"Log {n}, line {e}: wind from the north, {e} knots." for e in range(30)),
            "utf-8",
        )
    build_index([more], where, embedder=fake_embedder)
    codes = _codes(where)
    assert codes.codec.kind == "pq"
    assert codes.codec.code_size == fake_embedder.dimension // 2  # 4 bits a dimension here
    with Library.open(where, embedder=fake_embedder) as library:
        ids = [p.id for s in library.stories() for p in library.passages(s.id)]
        assert len(codes) == len(ids)
        for pid in ids[::7]:
            decoded, _ = codes.vectors([pid])
            truth = _true_tokens(library, fake_embedder, pid)
            assert float(np.mean(np.sum(decoded * truth, axis=1))) > 0.9  # cosine


def test_an_index_from_before_stored_tokens_still_searches_and_gains_them(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    without_stored_tokens(where)
    assert TokenCodes.open(IndexDir(where).current()) is None
    embedder = FakeEmbedder()
    with Library.open(where, embedder=embedder) as library:
        assert len(library.search(QUERY, k=5)) == 5
    assert embedder.embedded > 2  # the passages it reranked were read by the model
    shutil.copy(next(seeds.glob("*.txt")), seeds / "copy.txt")
    build_index([], where, embedder=fake_embedder)
    codes = _codes(where)
    with Library.open(where, embedder=fake_embedder) as library:
        copy = next(s for s in library.stories() if Path(s.path).name == "copy.txt")
        new = [p.id for p in library.passages(copy.id)]
    assert len(codes) == len(new) and all(pid in codes for pid in new)


def test_damaged_token_files_are_reported_with_what_to_do(
    fake_seed_index: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    shutil.copytree(fake_seed_index, where)
    generation = IndexDir(where).current()
    (generation / token_store.TABLE_NAME).write_bytes(b"not numpy")
    _write_manifest(generation)
    with pytest.raises(IndexCorrupt, match=r"token vectors are damaged.*--rebuild"):
        Library.open(where, embedder=fake_embedder)


def test_a_codec_is_known_by_its_fingerprint() -> None:
    rng = np.random.default_rng(0)
    sample = rng.standard_normal((3000, 32)).astype(np.float32)
    sample /= np.linalg.norm(sample, axis=1, keepdims=True)
    small = TokenCodec.trained(sample)
    assert small.kind == "fp16" and np.allclose(
        small.decode(small.encode(sample)), sample, atol=1e-3
    )
    assert small.fingerprint == TokenCodec.trained(sample[:10]).fingerprint  # nothing learnt
    first = TokenCodec.trained(sample[:1500], quantize=True)
    second = TokenCodec.trained(sample[1500:], quantize=True)
    assert first.kind == second.kind == "pq"
    assert first.fingerprint != second.fingerprint  # their codes mean different vectors


def _codec(dimension: int, layout: str, sample: np.ndarray) -> TokenCodec:
    """A codec as a build trains it ("trained", "fp16"), or the 128 sub-vectors of 4 bits that
    libraries built before 36-byte codes keep ("old")."""
    if layout != "old":
        return TokenCodec.trained(sample, quantize=layout == "trained")
    import faiss

    index = faiss.IndexPQ(dimension, 128, 4, faiss.METRIC_INNER_PRODUCT)
    index.train(sample)
    return TokenCodec(index)


@pytest.mark.parametrize(
    ("dimension", "layout"),
    [(384, "trained"), (384, "old"), (100, "trained"), (33, "trained"), (384, "fp16")],
)
def test_decoding_gives_what_faiss_decodes(dimension: int, layout: str) -> None:
    """The codec decodes 4-bit codes by a byte table and float16 by a view, not by FAISS's own
    decoder: both must give FAISS's vectors to the bit (then put back to unit length)."""
    rng = np.random.default_rng(1)
    sample = rng.standard_normal((2000, dimension)).astype(np.float32)
    sample /= np.linalg.norm(sample, axis=1, keepdims=True)
    codec = _codec(dimension, layout, sample)
    codes = codec.encode(sample[:300])
    expected = codec._index.sa_decode(codes)
    expected /= np.sqrt(np.einsum("ij,ij->i", expected, expected))[:, None]
    assert np.array_equal(codec.decode(codes), expected)


def test_every_token_gets_its_nearest_centroids() -> None:
    """Encoding takes FAISS's faster path (transposed centroids): still, sub-vector by
    sub-vector, the nearest of the quantizer's centroids, and the codec saves as before."""
    import faiss

    rng = np.random.default_rng(2)
    sample = rng.standard_normal((PQ_MIN_TOKENS, 384)).astype(np.float32)
    sample /= np.linalg.norm(sample, axis=1, keepdims=True)
    codec = TokenCodec.trained(sample)
    pq = codec._index.pq
    vectors = sample[:500]
    codes = codec.encode(vectors)
    bits = np.unpackbits(codes, axis=1, bitorder="little")[:, : pq.M * pq.nbits]
    chosen = (bits.reshape(len(codes), pq.M, pq.nbits).astype(np.intp) << np.arange(pq.nbits)).sum(
        axis=2
    )
    centroids = faiss.vector_to_array(pq.centroids).reshape(pq.M, pq.ksub, pq.dsub)
    parts = vectors.reshape(len(vectors), pq.M, 1, pq.dsub)
    distances = ((parts - centroids[None]) ** 2).sum(axis=3)  # token x sub-vector x centroid
    got = np.take_along_axis(distances, chosen[:, :, None].astype(np.intp), axis=2)[:, :, 0]
    assert np.all(got <= distances.min(axis=2) + 1e-5)
    plain = faiss.deserialize_index(faiss.serialize_index(codec._index))
    assert TokenCodec(plain).fingerprint == codec.fingerprint


def test_the_bundled_models_tokens_take_36_bytes_each() -> None:
    rng = np.random.default_rng(0)
    sample = rng.standard_normal((PQ_MIN_TOKENS, 384)).astype(np.float32)
    codec = TokenCodec.trained(sample / np.linalg.norm(sample, axis=1, keepdims=True))
    assert (codec.kind, codec.code_size) == ("pq", 36)
    decoded = codec.decode(codec.encode(sample[:50]))
    assert np.allclose(np.linalg.norm(decoded, axis=1), 1.0, atol=1e-5)


@given(st.integers(min_value=1, max_value=4096))
def test_a_passage_of_the_most_tokens_fits_4000_bytes_in_any_dimension(dimension: int) -> None:
    """Its codes and its row of the table (three int64): the search issue's 4 KB a passage."""
    subvectors, bits = pq_layout(dimension)
    code_bytes = -(-subvectors * bits // 8)
    assert PASSAGE_TOKENS_MAX * code_bytes + 3 * 8 <= 4000


@given(st.integers(min_value=1, max_value=4096))
def test_any_dimension_gets_a_quantizer_within_the_byte_budget(dimension: int) -> None:
    subvectors, bits = pq_layout(dimension)
    assert dimension % subvectors == 0 and bits in (3, 4)
    assert subvectors * bits <= PQ_BITS


def test_a_library_coded_with_the_older_layout_keeps_it_until_rebuilt(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Libraries built before 36-byte codes keep 64-byte ones (4 bits a sub-vector): a refresh
    codes its new passages with that codec, and only a rebuild trains the current layout."""
    monkeypatch.setattr(token_store, "PQ_MIN_TOKENS", 500)
    monkeypatch.setattr("index.build.token_codes.PQ_MIN_TOKENS", 500)
    monkeypatch.setattr(token_store, "pq_layout", lambda dimension: (dimension // 2, 3))
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    older = _codes(where).codec
    assert (older.kind, older.code_size) == ("pq", 6)  # 16 sub-vectors of 3 bits
    monkeypatch.undo()
    monkeypatch.setattr(token_store, "PQ_MIN_TOKENS", 500)
    monkeypatch.setattr("index.build.token_codes.PQ_MIN_TOKENS", 500)
    story = next(seeds.glob("*.txt"))
    story.write_text(
        story.read_text("utf-8") + "\n\nA new last paragraph, quite unlike.\n", "utf-8"
    )
    build_index([], where, embedder=fake_embedder)
    refreshed = _codes(where)
    assert refreshed.codec.fingerprint == older.fingerprint
    with Library.open(where, embedder=fake_embedder) as library:
        ids = [p.id for s in library.stories() for p in library.passages(s.id)]
        assert all(pid in refreshed for pid in ids)
        assert library.search("A new last paragraph, quite unlike", k=1)[0].passage.text.endswith(
            "quite unlike."
        )
    build_index([], where, embedder=fake_embedder, rebuild=True)
    assert _codes(where).codec.code_size == fake_embedder.dimension // 2  # today's layout


def test_a_paragraph_longer_than_the_limit_keeps_that_many_tokens_and_is_found(
    tmp_path: Path, embedder: Embedder
) -> None:
    """A paragraph of 220 words (Darwin's summary of the geological record, 1859: one
    passage) keeps PASSAGE_TOKENS_MAX pooled vectors, those passage_tokens gives, and a
    rewording of words from its end still finds it first among the chapter's paragraphs."""
    chapter = gzip.decompress(ORIGIN.read_bytes()).decode("utf-8")
    start = chapter.index("—I have attempted to show that the geological record")
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "origin-summary.txt").write_text(chapter[start : start + 30_000], "utf-8")
    build_index([stories], tmp_path / "ix", embedder=embedder)
    codes = _codes(tmp_path / "ix")
    with Library.open(tmp_path / "ix", embedder=embedder) as library:
        [story] = library.stories()
        passages = library.passages(story.id)
        long = passages[0]
        [(vectors, spans)] = embedder.token_vectors([long.text])
        assert len(word_tokens(long.text, vectors, spans)) > PASSAGE_TOKENS_MAX
        decoded, [count] = codes.vectors([long.id])
        assert count == PASSAGE_TOKENS_MAX
        # The build read it in a batch, perhaps in bfloat16, and Ward's merges swap at near
        # ties: each stored vector has its like among those pooled from this reading.
        nearest = (decoded @ passage_tokens(long.text, vectors, spans).T).max(axis=1)
        assert np.mean(nearest > 0.999) >= 0.9 and nearest.min() > 0.8
        hits = library.search(
            "species that range widely vary the most and most often give rise to new species",
            k=5,
        )
    assert len(passages) > 5
    assert hits[0].passage.id == long.id
