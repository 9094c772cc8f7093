"""Homer's Odyssey and Iliad, each in two public-domain prose translations, and where each place
in one is told in the other, known without any model.

Samuel Butler (Odyssey 1900, Iliad 1898) writes plain English and Latin names (Ulysses,
Minerva, Jove); Andrew Lang and his colleagues (Butcher and Lang's Odyssey, 1879; Lang, Leaf and
Myers's Iliad, 1883) write biblical English and Greek names (Odysseus, Athene, Zeus); "Lang"
below is the second translation of either poem. Both translate the poem line by line without
moving anything, so within a book the correspondence is monotone. It is pinned by the words of
five letters or more that both use exactly once in that book, at about the same share of it
(Phemius, hecatomb, sponges...): the longest run of them in the same order in both is kept, an
anchor its two neighbours place over 250 characters away is dropped, and positions between
anchors are interpolated. Checked on the Odyssey by leaving each anchor out and predicting where
it falls from the others, before that pruning (which drops 36 of 2,193): off by a median of 16
characters, 72 at the 90th percentile, 125 at the 95th, against paragraphs of 400-500; 97% of
Butler's text lies between two anchors under 3,000 characters apart.

The texts are benchmarks/eval/data/, made by prepare_homer.py.
"""

from __future__ import annotations

import bisect
import collections
import re
from dataclasses import dataclass

import numpy as np

from benchmarks.eval.prepare_homer import WORKS, read

_WORD = re.compile(r"\b[A-Za-z]{5,}\b")
MAX_DRIFT = 0.1  # a word used once in each: the same share of the book to 0.6% (median)
MAX_JUMP = 250  # characters; about twice the 95th percentile of the error left one out
BREAK = "\n\n"  # between paragraphs: a book's text is what a story file of it holds


@dataclass(frozen=True)
class Book:
    """One book in both translations: paragraphs, and the map between character offsets of the
    paragraphs joined with BREAK."""

    number: int
    butler: list[str]
    lang: list[str]
    anchors: list[tuple[int, int]]  # (offset in Butler, offset in Lang), increasing

    @property
    def butler_text(self) -> str:
        return BREAK.join(self.butler)

    @property
    def lang_text(self) -> str:
        return BREAK.join(self.lang)

    def to_lang(self, offset: float) -> float:
        """Where an offset into Butler's book is told in Lang's."""
        xs, ys = zip(*self.anchors, strict=True)
        return float(np.interp(offset, xs, ys))

    def anchor_gap(self, butler_offset: float) -> int:
        """How far apart (in Lang's characters) the two anchor words around a place are: the
        map is only as precise as they are near."""
        xs = [a for a, _ in self.anchors]
        i = min(max(bisect.bisect_right(xs, butler_offset), 1), len(xs) - 1)
        return self.anchors[i][1] - self.anchors[i - 1][1]


def books(work: str = "odyssey") -> list[Book]:
    """The 24 books of "odyssey" or "iliad" in both translations."""
    butler, lang = (read(path) for path in WORKS[work])
    return [
        Book(number, a, b, anchors(BREAK.join(a), BREAK.join(b)))
        for number, (a, b) in enumerate(zip(butler, lang, strict=True), start=1)
    ]


def anchors(a: str, b: str) -> list[tuple[int, int]]:
    """Offsets of the words used once in each text and at about the same share of it (a word
    can stand for different things in the two), the longest run in the same order, with both
    ends."""
    once_a = _used_once(a)
    once_b = _used_once(b)
    shared = sorted(
        (once_a[n], once_b[n])
        for n in once_a.keys() & once_b.keys()
        if abs(once_a[n] / len(a) - once_b[n] / len(b)) <= MAX_DRIFT
    )
    return _without_jumps([(0, 0), *_longest_increasing(shared), (len(a), len(b))])


def _without_jumps(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop, worst first, each anchor that its two neighbours place more than MAX_JUMP
    characters away: a word in order by chance."""
    points = list(points)
    while len(points) > 2:
        jumps = [
            abs(np.interp(x, (before[0], after[0]), (before[1], after[1])) - y)
            for before, (x, y), after in zip(points, points[1:], points[2:], strict=False)
        ]
        worst = int(np.argmax(jumps))
        if jumps[worst] <= MAX_JUMP:
            break
        del points[worst + 1]
    return points


def _used_once(text: str) -> dict[str, int]:
    found = [(m.group().lower(), m.start()) for m in _WORD.finditer(text)]
    counts = collections.Counter(word for word, _ in found)
    return {word: at for word, at in found if counts[word] == 1}


def _longest_increasing(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence whose second coordinates increase (patience sorting)."""
    tails: list[int] = []  # smallest second coordinate ending a run of each length
    ends: list[int] = []  # index of that point
    before = [-1] * len(points)
    for i, (_, y) in enumerate(points):
        k = bisect.bisect_left(tails, y)
        if k == len(tails):
            tails.append(y)
            ends.append(i)
        else:
            tails[k] = y
            ends[k] = i
        before[i] = ends[k - 1] if k else -1
    run = []
    i = ends[-1] if ends else -1
    while i >= 0:
        run.append(points[i])
        i = before[i]
    return run[::-1]
