"""Diacritic- and case-insensitive matching that still points back into the original text.

"Sofía" and "Sofia", "KALĒJS" and "kalejs" fold to the same words, so a person can type a name
without its accents. Each folded character remembers where it came from, so a match in the
folded text becomes offsets into the story text for highlighting.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex

# Letters that carry no combining mark under NFKD, so decomposition alone cannot strip them.
_NO_DECOMPOSITION = str.maketrans(
    {"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "\u0131": "i", "ŀ": "l"}
)
# str.translate looks every character up in the table, most of fold()'s time for a passage:
# it runs only on text that holds one of these letters.
_HAS_NO_DECOMPOSITION = re.compile("[" + "".join(map(chr, _NO_DECOMPOSITION)) + "]")


def _unchanged_by_folding(char: str) -> bool:
    return (
        unicodedata.normalize("NFKD", char) == char
        and char.casefold() == char.lower() == char
        and unicodedata.combining(char) == 0
        and not unicodedata.category(char).startswith("M")
    )


# Typographic punctuation that folding leaves as it is (curly quotes, dashes, guillemets):
# English prose is full of it, and text whose only non-ASCII characters are these folds as
# plain ASCII text does, by lower() alone (a fifth of the full fold's time).
_KEPT_PUNCTUATION = "".join(
    c for c in map(chr, [*range(0x2010, 0x205F), 0xAB, 0xBB, 0xA0]) if _unchanged_by_folding(c)
)
# (the standard library's re: five times faster than regex at scanning for a character class)
_NEEDS_FULL_FOLD = re.compile(r"[^\x00-\x7F" + re.escape(_KEPT_PUNCTUATION) + "]")
_MARKS = regex.compile(r"\p{M}+")
WORD = regex.compile(r"\w+")
_NON_ASCII = regex.compile(r"[^\x00-\x7F]")


def fold(text: str) -> str:
    """Lower-case, accent-free text for comparing words; lengths may differ from `text`."""
    if text.isascii() or not _NEEDS_FULL_FOLD.search(text):
        return text.lower()
    if _HAS_NO_DECOMPOSITION.search(text):
        text = text.translate(_NO_DECOMPOSITION)
    decomposed = unicodedata.normalize("NFKD", text)
    return str(_MARKS.sub("", decomposed).casefold())


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return fold(char)


@dataclass(frozen=True)
class FoldedText:
    """`text` folded, with origin[i] = index in the original of folded character i."""

    text: str
    origin: tuple[int, ...]
    length: int  # length of the original text

    @classmethod
    def of(cls, original: str) -> FoldedText:
        if original.isascii():
            return cls(original.lower(), tuple(range(len(original))), len(original))
        # ASCII runs fold by lower() one for one; only the other characters are looked at
        # one by one (a passage has few of them).
        pieces: list[str] = []
        origin: list[int] = []
        at = 0
        for match in _NON_ASCII.finditer(original):
            i = match.start()
            if i > at:
                pieces.append(original[at:i].lower())
                origin.extend(range(at, i))
            folded = _fold_char(original[i])
            pieces.append(folded)
            origin.extend([i] * len(folded))
            at = i + 1
        pieces.append(original[at:].lower())
        origin.extend(range(at, len(original)))
        return cls("".join(pieces), tuple(origin), len(original))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of folded [start, end): whole original characters, never halves."""
        if start >= end:
            where = self.origin[start] if start < len(self.origin) else self.length
            return where, where
        return self.origin[start], self.origin[end - 1] + 1


def words(text: str) -> list[str]:
    """The folded words of `text`, in order: what keyword search indexes and looks for."""
    return [str(w) for w in WORD.findall(fold(text))]
