"""What a person types into the search box: free text, "exact phrases" and -excluded words.

    ballerina "estranged father" -Moscow

Free text is searched by meaning and by keyword; a quoted phrase must appear in a passage
(accents and case aside) and also counts as free text; `-word` or `-"a phrase"` drops passages
that contain it. Quotes may be straight or curly; an unmatched quote is read as plain text.

Stories are full of dialogue, so quotes and dashes are operators only where a person clearly
meant them: in a short query (at most OPERATOR_WORDS words), around a few words (at most
PHRASE_WORDS); `+"…"` makes a phrase anywhere. A longer query (a sentence recalled with its
speech, a pasted passage) and a long quoted span are text as written. When nothing satisfies
every phrase and exclusion, search sets aside those that leave nothing, keeps the rest and says
which (Library.first_stage).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from index.errors import QueryError
from index.text.folding import words

OPERATOR_WORDS = 12  # a query of more words than this is text: quotes and dashes included
PHRASE_WORDS = 6  # a quoted span of more words than this is speech, not a phrase to find

# A -"phrase", a "phrase", a -word, or any other run of non-space characters.
_PART = regex.compile(
    r"""(?P<sign>[-+])?["“”„«»](?P<phrase>[^"“”„«»]*)["“”„«»]"""
    r"""|(?<!\S)-(?P<word>[^\s"“”„«»]+)"""
    r"""|(?P<text>\S+)"""
)


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what to search for by meaning and keywords: free text with the phrases' words
    phrases: tuple[str, ...]  # each must appear in a passage
    excluded: tuple[str, ...]  # words or phrases that must not

    @property
    def constraints(self) -> tuple[str, ...]:
        """The phrases and exclusions as a person would type them, to say which were set aside."""
        excluded = (f'-"{w}"' if " " in w else f"-{w}" for w in self.excluded)
        return (*(f'"{p}"' for p in self.phrases), *excluded)

    def relaxed(self) -> ParsedQuery:
        """The same query with no phrase or exclusion to satisfy: its free text alone."""
        return ParsedQuery(self.text, (), ())


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
    short = len(words(query)) <= OPERATOR_WORDS
    for part in _PART.finditer(query):
        if part["phrase"] is not None:
            phrase = " ".join(part["phrase"].split())
            if not words(phrase):
                continue  # "" or "?!" names nothing
            meant = part["sign"] == "+" or (short and len(words(phrase)) <= PHRASE_WORDS)
            if not meant:
                text.append(part.group().lstrip("+"))  # speech: its words, quotes and all
            elif part["sign"] == "-":
                excluded.append(phrase)
            else:
                phrases.append(phrase)
                text.append(phrase)
        elif part["word"] is not None and short and words(part["word"]):
            excluded.append(part["word"])
        elif part["text"] is not None:
            text.append(part["text"])
        elif part["word"] is not None:
            text.append("-" + part["word"])  # "-" in prose, or followed by punctuation only
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


def without(query: str, constraint: str) -> str:
    """`query` with one of its phrases or exclusions taken out, `constraint` written as
    ParsedQuery.constraints writes it: what removing it in the window does to the typed text."""
    kept: list[str] = []
    removed = False
    for part in _PART.finditer(query):
        if not removed and _written(part) == constraint:
            removed = True
            continue
        kept.append(part.group())
    return " ".join(kept)


def _written(part: regex.Match[str]) -> str | None:
    """A part of a query as ParsedQuery.constraints would write it, if it can be a constraint."""
    if part["phrase"] is not None:
        phrase = " ".join(part["phrase"].split())
        if part["sign"] == "-":
            return f'-"{phrase}"' if " " in phrase else f"-{phrase}"
        return f'"{phrase}"'
    if part["word"] is not None:
        return f"-{part['word']}"
    return None
