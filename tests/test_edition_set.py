"""The Darwin set's truth (benchmarks/eval: edition_set), checked without a model: each query is
a sentence Darwin reworded, and its answer holds most of its words."""

from __future__ import annotations

import re

from benchmarks.eval.datasets import EDITION_QUERIES, edition_set

WORD = re.compile(r"[a-z0-9]+")


def test_every_query_is_a_reworded_sentence_whose_answer_holds_most_of_its_words() -> None:
    data = edition_set()
    assert len(data.queries) == EDITION_QUERIES and all(data.relevant)
    for query, relevant in zip(data.queries, data.relevant, strict=True):
        answer = " ".join(data.documents[d] for d in sorted(relevant))
        assert query not in answer  # changed since the first edition
        words = WORD.findall(query.lower())
        found = set(WORD.findall(answer.lower()))
        assert sum(w in found for w in words) / len(words) >= 0.5
