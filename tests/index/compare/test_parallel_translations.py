"""Whole-story alignment on text none of us wrote, whose correspondence is known without a
model: the first book of the Odyssey in Butler's prose translation (1900) and in Butcher and
Lang's (1879), public domain (benchmarks/eval/data/). The map between the two comes from the
words both use once in the book (benchmarks/eval/homer.py); `python -m
benchmarks.eval.align_homer` measures all 24 books, of the Iliad too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from benchmarks.eval.align_homer import judge, write_books
from benchmarks.eval.homer import Book, books
from index.build.builder import build_index
from index.compare.stories import align_stories
from index.embed.model import Embedder
from index.search.library import Library


@pytest.fixture(scope="module")
def first_book() -> Book:
    return books()[0]


@pytest.fixture(scope="module")
def translations(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, first_book: Book
) -> Iterator[Library]:
    folder = tmp_path_factory.mktemp("odyssey")
    write_books([first_book], folder)
    where = tmp_path_factory.mktemp("odyssey-index") / "ix"
    build_index([folder], where, embedder=embedder)
    with Library.open(where, embedder=embedder) as library:
        yield library


def test_the_map_between_the_translations_predicts_words_it_was_not_given() -> None:
    """Each anchor word left out in turn and its place predicted from the others: the truth the
    alignment is judged by is itself checked."""
    errors = []
    for book in [*books("odyssey"), *books("iliad")]:
        points = np.array(book.anchors, dtype=float)
        for i in range(1, len(points) - 1):
            rest = np.delete(points, i, axis=0)
            errors.append(abs(np.interp(points[i, 0], rest[:, 0], rest[:, 1]) - points[i, 1]))
    assert len(errors) > 3000
    assert np.median(errors) < 40  # characters; a paragraph is 400-500
    assert np.percentile(errors, 90) < 150


def test_two_translations_of_a_book_align_where_they_tell_the_same(
    translations: Library, first_book: Book
) -> None:
    by_name = {Path(s.path).stem: s for s in translations.stories()}
    butler, lang = by_name["butler-01"], by_name["lang-01"]
    alignment = align_stories(translations, butler, lang)
    sentences = [span for p in translations.passages(butler.id) for span in p.sentences]
    result = judge(first_book, alignment, sentences)
    assert result["judged"] > 0.9
    assert result["matched"] > 0.85  # of Butler's text, matched with what truly tells it
    assert result["wrong"] < 0.08
    assert result["link_precision"] > 0.8  # sentence links across the two
    assert result["link_recall"] > 0.55
    assert alignment.elsewhere == ()  # nothing is told out of order in a translation
