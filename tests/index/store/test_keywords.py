"""BM25 over folded, stemmed words: scores, containment, the 0..1 scale, files without pickle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.errors import IndexCorrupt
from index.store.keywords import KeywordIndex
from index.text.stems import query_terms, stems

TEXTS = [
    "Sofía Kalējs danced at the Riga opera.",
    "Her estranged father apologised backstage.",
    "The dancers rehearsed all night in Moscow.",
    "A quiet morning; nobody danced.",
]
IDS = [10, 11, 20, 31]


@pytest.fixture
def keywords() -> KeywordIndex:
    return KeywordIndex.build(IDS, TEXTS)


def test_words_are_folded_and_stemmed() -> None:
    assert stems("Sofía DANCED") == ["sofia", "danc"]
    assert query_terms("the dancer and her father") == ["dancer", "father"]
    assert query_terms("the and") == ["the", "and"]  # only stopwords: keep them


def test_an_unaccented_query_scores_the_accented_passage(keywords: KeywordIndex) -> None:
    scores = keywords.scores(query_terms("sofia kalejs"))
    assert int(np.argmax(scores)) == 0
    assert scores[1:].max() == 0


def test_rows_containing_a_stem(keywords: KeywordIndex) -> None:
    rows = keywords.rows_containing("danc")
    assert sorted(int(keywords.passage_ids[r]) for r in rows) == [10, 31]
    assert keywords.rows_containing("nowhere").size == 0


def test_the_perfect_score_bounds_every_score_and_counts_missing_words(
    keywords: KeywordIndex,
) -> None:
    terms = query_terms("father apologised backstage")
    assert keywords.scores(terms).max() <= keywords.perfect_score(terms)
    with_missing = [*terms, "zeppelin"]
    assert keywords.perfect_score(with_missing) > keywords.perfect_score(terms)
    assert keywords.scores(with_missing).max() == pytest.approx(keywords.scores(terms).max())


def test_saved_without_pickle_and_read_back(keywords: KeywordIndex, tmp_path: Path) -> None:
    keywords.save(tmp_path)
    for path in tmp_path.glob("*.npy"):
        np.load(path, allow_pickle=False)  # raises if anything was pickled
    for path in tmp_path.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    again = KeywordIndex.load(tmp_path)
    terms = query_terms("dancers in Moscow")
    assert np.allclose(again.scores(terms), keywords.scores(terms))
    assert list(again.passage_ids) == IDS


def test_an_empty_library_has_an_empty_keyword_index(tmp_path: Path) -> None:
    empty = KeywordIndex.build([], [])
    empty.save(tmp_path)
    again = KeywordIndex.load(tmp_path)
    assert len(again) == 0
    assert again.scores(["ballet"]).size == 0


def test_damage_is_reported_as_corruption(keywords: KeywordIndex, tmp_path: Path) -> None:
    keywords.save(tmp_path)
    (tmp_path / "keywords.vocab.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="Rebuild"):
        KeywordIndex.load(tmp_path)
