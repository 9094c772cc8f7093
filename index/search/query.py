"""What a person types into the search box: free text, "exact phrases" and -excluded words.

    ballerina "estranged father" -Moscow

Free text is searched by meaning and by keyword; a quoted phrase must appear in a passage
(accents and case aside) and also counts as free text; `-word` or `-"a phrase"` drops passages
that contain it. Quotes may be straight or curly; an unmatched quote is read as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from index.errors import QueryError
from index.text.folding import words

# A -"phrase", a "phrase", a -word, or any other run of non-space characters.
_PART = regex.compile(
    r"""(?P<neg>-)?["“”„«»](?P<phrase>[^"“”„«»]*)["“”„«»]"""
    r"""|(?<!\S)-(?P<word>[^\s"“”„«»]+)"""
    r"""|(?P<text>\S+)"""
)


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what to search for by meaning and keywords: free text with the phrases' words
    phrases: tuple[str, ...]  # each must appear in a passage
    excluded: tuple[str, ...]  # words or phrases that must not


def literal_query(text: str) -> ParsedQuery:
    """`text` searched as it is: no phrases, no exclusions."""
    if not text.strip():
        raise QueryError("The query is empty: type what you are looking for.")
    return ParsedQuery(" ".join(text.split()), (), ())


def parse_query(query: str) -> ParsedQuery:
    """Split a query into its parts; QueryError when nothing is left to look for."""
    text: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    for part in _PART.finditer(query):
        if part["phrase"] is not None:
            phrase = " ".join(part["phrase"].split())
            if not words(phrase):
                continue  # "" or "?!" names nothing
            if part["neg"]:
                excluded.append(phrase)
            else:
                phrases.append(phrase)
                text.append(phrase)
        elif part["word"] is not None and words(part["word"]):
            excluded.append(part["word"])
        elif part["text"] is not None:
            text.append(part["text"])
        elif part["word"] is not None:
            text.append("-" + part["word"])  # "-" followed by punctuation only: plain text
    free = " ".join(text).strip()
    if not free:
        if excluded:
            raise QueryError("Say what to look for as well as what to leave out.")
        raise QueryError("The query is empty: type what you are looking for.")
    return ParsedQuery(free, tuple(phrases), tuple(excluded))


def phrase_pattern(phrase: str) -> regex.Pattern[str]:
    """Whole folded words of `phrase` in order, with any non-word characters between them."""
    parts = [regex.escape(w) for w in words(phrase)]
    return regex.compile(r"(?<!\w)" + r"\W+".join(parts) + r"(?!\w)")
