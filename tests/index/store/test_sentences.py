"""Sentence vectors: ids that map back to passages, pooling, the FAISS file, and that they come
from the same forward pass as the passage vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.build.builder import build_index
from index.embed.model import Embedder
from index.embed.sentences import by_length, embed_with_sentences, pool_sentences
from index.search.library import Library
from index.store.sentences import (
    SENTENCES_NAME,
    SLOTS,
    SentenceIndex,
    passage_of,
    sentence_ids,
)


@given(st.integers(0, 2**40), st.integers(0, 50))
def test_sentence_ids_map_back_to_their_passage(passage_id: int, count: int) -> None:
    ids = sentence_ids(passage_id, count)
    assert [passage_of(int(i)) for i in ids] == [(passage_id, n) for n in range(count)]


def test_a_passage_keeps_at_most_slots_sentence_vectors() -> None:
    assert len(sentence_ids(3, SLOTS + 5)) == SLOTS


def test_batches_are_filled_by_the_model_s_tokens_not_by_characters(
    fake_embedder: Embedder,
) -> None:
    """Long words are few tokens and punctuation many: sorted by characters, a batch would pad
    the short texts to the long ones."""
    texts = ["Unquestionably, incomprehensibly.", "A, b, c; d! e? f.", "Yes.", "x " * 200]
    order = by_length(fake_embedder, texts)
    assert order == [3, 1, 0, 2]  # 64 (capped), 14, 6 and 4 tokens with [CLS] and [SEP]
    assert [len(texts[i]) for i in order] != sorted(map(len, texts), reverse=True)
    # A build has the counts from cutting its passages: they are used, not counted again.
    assert by_length(fake_embedder, texts, [6, 14, 4, 202]) == order
    assert by_length(fake_embedder, texts, [1, 2, 300, 4]) == [2, 3, 1, 0]


def test_pooling_averages_the_tokens_inside_each_sentence() -> None:
    tokens = np.array([[0, 0], [1, 0], [0, 1], [0, 0]], dtype=np.float32)
    spans = [(0, 0), (0, 4), (5, 9), (0, 0)]  # [CLS], two words, [SEP]
    pooled = pool_sentences(tokens, spans, [(0, 4), (5, 9), (0, 9), (20, 30)])
    assert np.allclose(pooled[0], [1, 0])
    assert np.allclose(pooled[1], [0, 1])
    assert np.allclose(pooled[2], np.array([1, 1]) / np.sqrt(2))
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1)  # truncated sentence: whole mean


def test_the_index_adds_finds_removes_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = SentenceIndex.empty(8)
    index.add(sentence_ids(1, 3), vectors[:3])
    index.add(sentence_ids(2, 2), vectors[3:])
    _, found = index.best(vectors[4:5], 1)
    assert passage_of(int(found[0])) == (2, 1)
    assert np.allclose(index.vectors(sentence_ids(1, 3)), vectors[:3], atol=1e-3)  # float16
    index.remove_passages([1])
    assert len(index) == 2
    index.write(tmp_path / SENTENCES_NAME)
    again = SentenceIndex.read(tmp_path / SENTENCES_NAME)
    assert len(again) == 2
    with pytest.raises(KeyError):
        again.vectors(sentence_ids(1, 1))


def test_one_forward_pass_gives_the_passage_vector_and_sentence_vectors(
    embedder: Embedder,
) -> None:
    texts = [
        "She stepped onto the stage. Her estranged father waited in the wings.",
        "A short one.",
    ]
    spans = [[(0, 27), (28, len(texts[0]))], [(0, len(texts[1]))]]
    passages, sentences = embed_with_sentences(embedder, texts, spans)
    assert np.allclose(passages, embedder.encode(texts), atol=1e-5)
    assert [len(s) for s in sentences] == [2, 1]
    alone = embedder.encode(["Her estranged father waited in the wings."])[0]
    assert sentences[0][1] @ alone > sentences[0][0] @ alone  # each vector is its sentence's
    assert float(sentences[1][0] @ passages[1]) > 0.95  # one sentence: close to the passage


def test_updates_keep_one_vector_per_stored_sentence(
    seeds: Path, tmp_path: Path, embedder: Embedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=embedder)
    story = seeds / "camilla-roche.txt"
    story.chmod(0o644)
    story.write_text(story.read_text(encoding="utf-8") + "\n\nA new last line.\n", "utf-8")
    (seeds / "romy-baktybekova.txt").unlink()
    build_index([], where, embedder=embedder)
    with Library.open(where, embedder=embedder) as lib:
        stored = sum(len(p.sentences) for s in lib.stories() for p in lib.passages(s.id))
        index = SentenceIndex.read(lib.generation / SENTENCES_NAME)
        assert len(index) == stored
        assert all(s.title != "Romy Baktybekova" for s in lib.stories())
        hits = lib.search("A new last line.", k=1)
        assert hits[0].passage.text == "A new last line."
