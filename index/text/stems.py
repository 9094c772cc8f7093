"""Words as keyword search sees them: folded, stemmed (Snowball English), stopwords known."""

from __future__ import annotations

from functools import cache
from typing import Any

from index.text.folding import words


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


def stems(text: str) -> list[str]:
    """Every word of `text`, folded and stemmed: what a passage is indexed under."""
    return stem_words(words(text))


def stem_words(folded_words: list[str]) -> list[str]:
    return list(_stemmer().stemWords(folded_words))


def query_terms(text: str) -> list[str]:
    """The stems worth scoring in a query: stopwords left out unless nothing else is there."""
    folded = words(text)
    content = [w for w in folded if w not in _stopwords()]
    return list(_stemmer().stemWords(content or folded))


def is_stopword(word: str) -> bool:
    return word in _stopwords()
