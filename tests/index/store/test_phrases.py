"""The phrase index: the same passages as matching phrase_pattern over each folded text, on any
text; kept beside the keyword index; an index without one still finds phrases; damage explained."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.errors import IndexCorrupt
from index.search.library import Library
from index.search.query import phrase_pattern
from index.store.generations import MANIFEST_NAME, IndexDir
from index.store.phrases import PHRASES_NAME, PhraseIndex
from index.text.folding import fold, words

# Letters with and without accents, a combining mark, '_', digits, symbols that FTS5's unicode61
# tokenizer would count as word characters (+ © ½), a ligature and a letter NFKD splits, curly
# quotes, an apostrophe, CJK, and whitespace of several kinds.
ALPHABET = "aAbBeéÉ\u0131İßøØ\u0301_09+©½ﬁŉ\u2019'\"“”-.,;:!? \n\t\u00a0日本"
TEXTS = st.lists(st.text(alphabet=ALPHABET, max_size=60), min_size=1, max_size=8)


def _written(tmp_path: Path, texts: list[str]) -> PhraseIndex:
    path = tmp_path / PHRASES_NAME
    path.unlink(missing_ok=True)
    assert PhraseIndex.write(path, (" ".join(words(text)) for text in texts))
    index = PhraseIndex.open(tmp_path)
    assert index is not None
    return index


def _matching(texts: list[str], phrase: str) -> list[int]:
    pattern = phrase_pattern(phrase)
    return [row for row, text in enumerate(texts) if pattern.search(fold(text))]


@settings(max_examples=150, deadline=None)
@given(texts=TEXTS, phrase=st.text(alphabet=ALPHABET, max_size=12), data=st.data())
def test_the_index_finds_exactly_what_matching_each_text_finds(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str], phrase: str, data: st.DataObject
) -> None:
    # half the time a run of words that one of the texts holds, so that phrases are found
    source = words(data.draw(st.sampled_from(texts)))
    if source and data.draw(st.booleans()):
        start = data.draw(st.integers(0, len(source) - 1))
        end = data.draw(st.integers(start + 1, min(len(source), start + 4)))
        phrase = " ".join(source[start:end])
    if not words(phrase):
        return
    index = _written(tmp_path_factory.mktemp("phrases"), texts)
    try:
        assert index.rows_with(words(phrase)).tolist() == _matching(texts, phrase)
    finally:
        index.close()


def test_a_phrase_is_whole_words_in_order(tmp_path: Path) -> None:
    texts = [
        "Sofía Kalējs danced; the dancer bowed.",
        "The dance of her life — and she was alone.",
        "She was, she WAS alone!",
        "was she alone",
    ]
    index = _written(tmp_path, texts)
    assert index.rows == 4
    assert index.rows_with(["sofia", "kalejs"]).tolist() == [0]
    assert index.rows_with(["dance"]).tolist() == [1]  # not "danced", not "dancer"
    assert index.rows_with(["she", "was"]).tolist() == [1, 2]
    assert index.rows_with(["was", "alone"]).tolist() == [1, 2]
    assert index.rows_with(["alone", "was"]).tolist() == []
    assert index.rows_with(["nowhere"]).tolist() == []
    assert index.rows_with([]).tolist() == []


def test_an_index_without_a_phrase_file_is_none(tmp_path: Path) -> None:
    assert PhraseIndex.open(tmp_path) is None


def test_a_damaged_phrase_file_is_explained(tmp_path: Path) -> None:
    (tmp_path / PHRASES_NAME).write_bytes(b"not a database at all" * 50)
    with pytest.raises(IndexCorrupt, match="phrase index is damaged"):
        PhraseIndex.open(tmp_path)


@pytest.fixture
def index_copy(fake_seed_index: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(fake_seed_index, copy)
    return copy


def _record(generation: Path, name: str) -> None:
    """The manifest as the build would have written it with `name` as it now is (or absent)."""
    manifest_path = generation / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    path = generation / name
    if path.exists():
        data = path.read_bytes()
        manifest["files"][name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    else:
        del manifest["files"][name]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")


QUERIES = ['"estranged father"', '"Sofia Kalejs" apology', '"she was" on stage', '"ballet"']


def test_an_index_built_before_the_phrase_file_finds_the_same_passages(
    index_copy: Path, fake_embedder: object
) -> None:
    generation = IndexDir(index_copy).current()
    assert (generation / PHRASES_NAME).is_file()
    with Library.open(index_copy, embedder=fake_embedder) as library:  # type: ignore[arg-type]
        indexed = {q: [h.passage.id for h in library.search(q, k=20)] for q in QUERIES}
    (generation / PHRASES_NAME).unlink()
    _record(generation, PHRASES_NAME)  # as an index from before phrases were indexed
    with Library.open(index_copy, embedder=fake_embedder) as library:  # type: ignore[arg-type]
        matched = {q: [h.passage.id for h in library.search(q, k=20)] for q in QUERIES}
    assert matched == indexed
    assert all(indexed.values())


def test_a_phrase_index_of_other_passages_is_refused(
    index_copy: Path, fake_embedder: object
) -> None:
    generation = IndexDir(index_copy).current()
    (generation / PHRASES_NAME).unlink()
    assert PhraseIndex.write(generation / PHRASES_NAME, ["just one passage"])
    _record(generation, PHRASES_NAME)
    with pytest.raises(IndexCorrupt, match="phrase index does not match"):
        Library.open(index_copy, embedder=fake_embedder)  # type: ignore[arg-type]
