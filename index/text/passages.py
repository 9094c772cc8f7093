"""Split a story into passages that the embedding model sees whole, with sentence offsets.

The embedding model silently truncates input beyond its token limit, so every passage is
measured with the model's own tokenizer and is guaranteed to fit. Offsets always point into
the story text, so the app can highlight a passage or a sentence in place.

Policy:
- A paragraph is a run of non-blank lines; blank lines (whitespace only) separate paragraphs.
- A paragraph that fits the limit is one passage.
- Runs of two or more consecutive short paragraphs (under ``min_tokens``, typically dialogue
  lines) are packed greedily into passages of at most ``target_tokens``. A lone short
  paragraph between normal ones stays alone: merging it into a full neighbour would cross a
  blank-line break that nothing requires crossing and blur that neighbour's meaning.
- A paragraph over the limit is split between sentences (sentencex), packing whole sentences up
  to ``target_tokens`` so the pieces stay focused. A sentence that cannot fit on its own is
  cut at token starts, between words where it can, else at grapheme boundaries (only a
  grapheme longer than the limit is ever cut); the pieces are sentences of their own.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol

import regex  # grapheme clusters (\X); no stubs
import sentencex
from tokenizers import Tokenizer

# The sentence splitter sees every whitespace character as a plain space (same length, so
# offsets hold): a paragraph is one run of prose, however its lines are wrapped, and control
# "spaces" such as U+001F cannot surprise it. (U+3000 is the highest code point that
# str.isspace() accepts.)
_WHITESPACE_AS_SPACES = str.maketrans(
    dict.fromkeys((ch for ch in map(chr, range(0x3001)) if ch.isspace()), " ")
)
_LANGUAGE = "en"
_GRAPHEME = regex.compile(r"\X")

Span = tuple[int, int]


class TokenCounter(Protocol):
    """The model's own tokenizer, seen through what the chunker needs."""

    max_tokens: int  # limit INCLUDING special tokens ([CLS]/[SEP])

    def count(self, text: str) -> int:
        """Tokens the model sees for ``text``, special tokens included."""
        ...

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the tokens of ``text``, special tokens excluded."""
        ...


class HFTokenCounter:
    """Adapter over a Hugging Face fast tokenizer, with its truncation and padding removed.

    Tokenizer files often carry truncation and padding settings (all-MiniLM-L6-v2's truncates
    at 128); counting through them would hide exactly the overflow we must detect.
    """

    def __init__(self, tokenizer: Any, max_tokens: int) -> None:
        backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
        if not isinstance(backend, Tokenizer):
            raise TypeError("HFTokenCounter needs a fast tokenizer (tokenizers.Tokenizer)")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be positive, got {max_tokens}")
        # A private copy, so the caller's tokenizer keeps its own settings.
        self._tokenizer = Tokenizer.from_str(backend.to_str())
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.max_tokens = max_tokens

    @classmethod
    def from_model_dir(cls, model_dir: Path, max_tokens: int | None = None) -> HFTokenCounter:
        """Load ``tokenizer.json`` without importing torch or transformers.

        The limit defaults to sentence-transformers' ``max_seq_length``: that, not the
        tokenizer's own setting, is where the model truncates.
        """
        if max_tokens is None:
            config_path = model_dir / "sentence_bert_config.json"
            try:
                max_tokens = int(json.loads(config_path.read_text("utf-8"))["max_seq_length"])
            except (OSError, KeyError, ValueError, TypeError) as error:
                raise ValueError(
                    f"no max_tokens given and no max_seq_length in {config_path}"
                ) from error
        return cls(Tokenizer.from_file(str(model_dir / "tokenizer.json")), max_tokens)

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text).ids)

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).offsets)


@dataclass(frozen=True, slots=True)
class SentenceSpan:
    start: int  # offsets into the story text
    end: int


@dataclass(frozen=True, slots=True)
class PassageSpan:
    ordinal: int  # 0.. within the story
    start: int  # offsets into the story text; text[start:end] is the passage text
    end: int
    sentences: tuple[SentenceSpan, ...]
    token_count: int  # as counted by the model's tokenizer, special tokens included


PASSAGE_TOKENS_RANGE = (48, 512)  # what a library may cap passages at (`max_tokens`)


def split_passages(
    text: str,
    tokens: TokenCounter,
    *,
    target_tokens: int = 160,
    min_tokens: int = 24,
    max_tokens: int | None = None,
) -> list[PassageSpan]:
    """Passages of ``text`` in order, covering all of its non-whitespace, each within the limit:
    the model's, or `max_tokens` when a library caps passages shorter (then pieces of a long
    paragraph are packed up to it too)."""
    limit = tokens.max_tokens if max_tokens is None else min(tokens.max_tokens, max_tokens)
    if max_tokens is not None:
        target_tokens = max_tokens
    specials = tokens.count("") - len(tokens.offsets(""))
    if limit <= specials:
        raise ValueError(f"max_tokens {limit} leaves no room beside {specials} special tokens")
    if not 0 <= min_tokens <= target_tokens:
        raise ValueError("need 0 <= min_tokens <= target_tokens")
    target = max(min(target_tokens, limit), specials + 1)
    chunker = _Chunker(tokens, specials, target, limit)

    paragraphs = _paragraph_spans(text)
    counts = [tokens.count(text[start:end]) for start, end in paragraphs]
    pieces: list[tuple[int, int, list[Span], int]] = []  # start, end, sentences, token count
    index = 0
    while index < len(paragraphs):
        start, end = paragraphs[index]
        count = counts[index]
        if count > limit:
            pieces.extend(chunker.split_long(text, start, end))
            index += 1
            continue
        last = index
        if count < min_tokens:
            while last + 1 < len(paragraphs) and counts[last + 1] < min_tokens:
                merged_count = tokens.count(text[start : paragraphs[last + 1][1]])
                if merged_count > target:
                    break
                last += 1
                count = merged_count
        sentences = [
            sentence
            for para_start, para_end in paragraphs[index : last + 1]
            for sentence in _shifted(sentence_spans(text[para_start:para_end]), para_start)
        ]
        pieces.append((start, paragraphs[last][1], sentences, count))
        index = last + 1

    return [
        PassageSpan(ordinal, start, end, tuple(SentenceSpan(*span) for span in spans), count)
        for ordinal, (start, end, spans, count) in enumerate(pieces)
    ]


def _paragraph_spans(text: str) -> list[Span]:
    """Trimmed spans of the runs of non-blank lines."""
    spans: list[Span] = []
    run_start: int | None = None
    run_end = position = 0
    for line in text.splitlines(keepends=True):
        if line.isspace():
            if run_start is not None:
                spans.append(_trimmed(text, run_start, run_end))
                run_start = None
        else:
            if run_start is None:
                run_start = position
            run_end = position + len(line)
        position += len(line)
    if run_start is not None:
        spans.append(_trimmed(text, run_start, run_end))
    return spans


def _trimmed(text: str, start: int, end: int) -> Span:
    """``(start, end)`` narrowed past surrounding whitespace; empty when it is all whitespace."""
    chunk = text[start:end]
    stripped = chunk.lstrip()
    if not stripped:
        return start, start
    start += len(chunk) - len(stripped)
    return start, start + len(stripped.rstrip())


def _shifted(spans: Sequence[Span], by: int) -> list[Span]:
    return [(start + by, end + by) for start, end in spans]


def sentence_spans(paragraph: str) -> list[Span]:
    """Trimmed sentence spans covering all non-whitespace of ``paragraph``.

    sentencex proposes where sentences start (its segments cover the text exactly, offsets
    in code points); a start inside a grapheme cluster (a combining mark after a full stop)
    moves forward to the cluster's end, so no character is split from its marks.
    """
    for_splitter = paragraph.translate(_WHITESPACE_AS_SPACES)
    graphemes = _Graphemes(paragraph)
    starts = (
        int(boundary["start_index"])
        for boundary in sentencex.get_sentence_boundaries(_LANGUAGE, for_splitter)
    )
    cuts = sorted({graphemes.snap_forward(start) for start in starts} - {0})
    bounds = [0, *cuts, len(paragraph)]
    spans = (_trimmed(paragraph, a, b) for a, b in pairwise(bounds))
    return [(a, b) for a, b in spans if a < b]


class _Graphemes:
    """Grapheme cluster boundaries of one text, computed only when a cut needs them."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._boundaries: list[int] | None = None

    def is_boundary(self, position: int) -> bool:
        text = self._text
        if position <= 0 or position >= len(text):
            return True
        before, after = text[position - 1], text[position]
        if before.isascii() and after.isascii() and (before, after) != ("\r", "\n"):
            return True  # no grapheme rule joins two ASCII characters other than CR LF
        boundaries = self._all()
        index = bisect_left(boundaries, position)
        return index < len(boundaries) and boundaries[index] == position

    def snap_forward(self, position: int) -> int:
        if self.is_boundary(position):
            return position
        boundaries = self._all()
        return boundaries[bisect_left(boundaries, position)]

    def _all(self) -> list[int]:
        if self._boundaries is None:
            self._boundaries = [0, *(m.end() for m in _GRAPHEME.finditer(self._text))]
        return self._boundaries


@dataclass(frozen=True, slots=True)
class _Chunker:
    """Splits paragraphs that exceed the limit."""

    tokens: TokenCounter
    specials: int  # special tokens the tokenizer adds to every input
    target: int  # aim for passages of at most this many tokens
    limit: int  # never exceed this many tokens

    def split_long(self, text: str, start: int, end: int) -> list[tuple[int, int, list[Span], int]]:
        """Pack whole sentences of ``text[start:end]`` into passages, greedily up to target."""
        paragraph = text[start:end]
        units = sentence_spans(paragraph)
        token_starts = sorted(token_start for token_start, _ in self.tokens.offsets(paragraph))
        sizes = [  # estimated content tokens per sentence; the real count is checked below
            bisect_left(token_starts, b) - bisect_left(token_starts, a) for a, b in units
        ]
        passages: list[tuple[int, int, list[Span], int]] = []
        first = 0
        while first < len(units):
            last, total = first, self.specials + sizes[first]
            while last + 1 < len(units) and total + sizes[last + 1] <= self.target:
                last += 1
                total += sizes[last]
            # Far over the limit: skip counting it whole (an encode of maybe the whole novel).
            count = (
                self.limit + 1
                if total > 2 * self.limit
                else self._count(paragraph, first, last, units)
            )
            while count > self.limit and last > first:
                last -= 1
                count = self._count(paragraph, first, last, units)
            if count > self.limit:
                pieces = self._cut_sentence(paragraph, *units[first], token_starts)
                units[first : first + 1] = [(a, b) for a, b, _ in pieces]
                sizes[first : first + 1] = [n - self.specials for _, _, n in pieces]
                continue
            passage_units = _shifted(units[first : last + 1], start)
            passages.append((passage_units[0][0], passage_units[-1][1], passage_units, count))
            first = last + 1
        return passages

    def _count(self, paragraph: str, first: int, last: int, units: list[Span]) -> int:
        return self.tokens.count(paragraph[units[first][0] : units[last][1]])

    def _cut_sentence(
        self, paragraph: str, start: int, end: int, token_starts: list[int]
    ) -> list[tuple[int, int, int]]:
        """Pieces of one over-long sentence as (start, end, token count), each within limit.

        Cuts fall at the paragraph's token starts, preferably between words, else at grapheme
        boundaries, else anywhere; only if a single token does not fit, between characters.
        """
        sentence = paragraph[start:end]
        inside = token_starts[bisect_right(token_starts, start) : bisect_left(token_starts, end)]
        candidates = [*(a - start for a in inside), len(sentence)]
        graphemes = _Graphemes(sentence)

        def between_words(cut: int) -> bool:
            return sentence[cut - 1].isspace() and graphemes.is_boundary(cut)

        pieces: list[tuple[int, int, int]] = []
        position = 0
        while position < len(sentence):
            cut = (
                self._furthest_cut(sentence, position, candidates, between_words)
                or self._furthest_cut(sentence, position, candidates, graphemes.is_boundary)
                or self._furthest_cut(sentence, position, candidates, None)
                or self._furthest_cut(sentence, position, range(1, len(sentence) + 1), None)
            )
            if cut is None:
                raise ValueError(f"a single character exceeds max_tokens={self.limit}")
            cut_end, count = cut
            piece_start, piece_end = _trimmed(sentence, position, cut_end)
            if piece_start < piece_end:
                pieces.append((start + piece_start, start + piece_end, count))
            position = cut_end
        return pieces

    def _furthest_cut(
        self,
        sentence: str,
        position: int,
        candidates: Sequence[int],
        allowed: Callable[[int], bool] | None,
    ) -> tuple[int, int] | None:
        """(cut, token count) for the furthest candidate after ``position`` whose piece stays
        within target by position (one candidate per token), backed off until the real count
        is within limit; only cuts that are ``allowed``, if given."""
        first = bisect_right(candidates, position)
        if first == len(candidates):
            return None
        index = min(first + self.target - self.specials - 1, len(candidates) - 1)
        while index >= first:
            cut = candidates[index]
            if allowed is not None and cut < len(sentence) and not allowed(cut):
                index -= 1
                continue
            piece_start, piece_end = _trimmed(sentence, position, cut)
            count = self.tokens.count(sentence[piece_start:piece_end])
            if count <= self.limit:
                return cut, count
            index -= max(1, count - self.limit)
        return None
