"""Why a passage matched: the sentence(s) that drove its score and the query words found in it,
as story offsets the window highlights and the JSON reports (Hit.why)."""

from __future__ import annotations

from index.search.fusion import Ranked
from index.search.query import ParsedQuery, phrase_pattern
from index.search.results import Passage, Span, Why
from index.text.folding import WORD, FoldedText
from index.text.stems import query_terms, stem_words


def explain(ranked: Ranked, passage: Passage, parsed: ParsedQuery) -> Why:
    """The sentence(s) behind a hit and the query words in it, as story offsets."""
    sentences = passage.sentences
    folded = FoldedText.of(passage.text)
    matches = _matched_words(folded, parsed)
    found = tuple((passage.start + s, passage.start + e) for s, e in matches)
    chosen: list[Span] = []
    if ranked.best_sentence is not None and ranked.best_sentence < len(sentences):
        chosen.append(sentences[ranked.best_sentence])
    if found and sentences:
        by_words = max(sentences, key=lambda s: sum(s[0] <= a and b <= s[1] for a, b in found))
        if by_words not in chosen and any(by_words[0] <= a and b <= by_words[1] for a, b in found):
            chosen.append(by_words)
    return Why(tuple(chosen), found, ranked.dense, ranked.keyword, ranked.token_match)


def _matched_words(folded: FoldedText, parsed: ParsedQuery) -> list[Span]:
    wanted = set(query_terms(parsed.text))
    spans: list[Span] = []
    tokens = list(WORD.finditer(folded.text))
    token_stems = stem_words([t.group() for t in tokens])
    spans.extend(
        folded.span(t.start(), t.end())
        for t, stem in zip(tokens, token_stems, strict=True)
        if stem in wanted
    )
    for phrase in parsed.phrases:
        spans.extend(
            folded.span(m.start(), m.end()) for m in phrase_pattern(phrase).finditer(folded.text)
        )
    return _merged(spans)


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
