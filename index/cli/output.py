"""How hits and build reports look on the command line, and the stable JSON shape of a hit.

JSON of a hit (documented in the README; keys are only ever added, never renamed):
    {"rank", "score", "passage_id", "story_id", "story", "ordinal", "story_passages",
     "start", "end", "text", "sentences": [[start, end], ...],
     "before": {"passage_id", "text"} | null, "after": {...} | null,
     "why": {"sentences": [[start, end], ...], "words": [[start, end], ...],
             "dense": float, "keyword": float}}
All offsets are into the story text. "why" names the sentence(s) that drove the score, best
first, and the query words and phrases found in the passage.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from index.paths import path_text

if TYPE_CHECKING:
    from index.build.builder import BuildReport
    from index.compare.align import Alignment
    from index.compare.stories import ManyAlignment, Row, Side, StoryAlignment
    from index.search.results import Hit, Passage


def hit_to_json(hit: Hit) -> dict[str, Any]:
    p = hit.passage
    return {
        "rank": hit.rank,
        "score": round(hit.score, 6),
        "relevance": round(hit.relevance, 6),
        "passage_id": p.id,
        "story_id": p.story_id,
        "story": p.story_title,
        "ordinal": p.ordinal,
        "story_passages": p.story_passage_count,
        "start": p.start,
        "end": p.end,
        "text": p.text,
        "sentences": [list(s) for s in p.sentences],
        "before": _neighbour_json(hit.before),
        "after": _neighbour_json(hit.after),
        "why": {
            "sentences": [list(s) for s in hit.why.sentences],
            "words": [list(w) for w in hit.why.words],
            "dense": round(hit.why.dense, 6),
            "keyword": round(hit.why.keyword, 6),
            "token_match": None if hit.why.token_match is None else round(hit.why.token_match, 6),
        },
    }


def _neighbour_json(p: Passage | None) -> dict[str, Any] | None:
    return None if p is None else {"passage_id": p.id, "text": p.text}


def print_hits(hits: list[Hit], out: TextIO, width: int = 88) -> None:
    if not hits:
        out.write("No passages found.\n")
        return
    for hit in hits:
        p = hit.passage
        out.write(
            f"{hit.rank}. {p.story_title} — passage {p.ordinal + 1} of {p.story_passage_count}"
            f"  (relevance {hit.relevance:.2f}, id {p.id})\n"
        )
        out.write(textwrap.indent(textwrap.fill(p.text, width - 4), "    ") + "\n\n")


def print_report(report: BuildReport, out: TextIO) -> None:
    def names(titles: list[str]) -> str:
        shown = ", ".join(titles[:5])
        return shown + (f" and {len(titles) - 5} more" if len(titles) > 5 else "")

    if not report.changed:
        out.write(f"Up to date: {report.unchanged} stories, nothing to embed.\n")
    for label, titles in (
        ("Added", report.added),
        ("Updated", report.updated),
        ("Removed", report.removed),
    ):
        if titles:
            out.write(f"{label} {len(titles)}: {names(titles)}\n")
    if report.offline:
        out.write(
            f"Kept {len(report.offline)} as indexed, their folder missing or unreadable now "
            f"(`storylens index --remove FOLDER` forgets them): {names(report.offline)}\n"
        )
    out.write(
        f"{report.passages_total} passages in the index ({report.passages_embedded} embedded now), "
        f"{report.seconds:.1f} s. Index: {report.index_dir}\n"
    )
    if report.damaged:
        out.write(f"Indexed with damage ({len(report.damaged)}):\n")
        for damaged in report.damaged:
            out.write(f"  {path_text(damaged.path)}: {damaged.reason}\n")
    if report.skipped:
        out.write(f"Skipped {len(report.skipped)} file(s):\n")
        for skipped in report.skipped:
            out.write(f"  {path_text(skipped.path)}: {skipped.reason}\n")


def print_alignment(alignment: Alignment, out: TextIO, width: int = 88) -> None:
    """Aligned sentence pairs first (in the left passage's order), then each side's leftovers."""
    a = alignment

    def heading(p: Passage) -> str:
        return f"{p.story_title}, passage {p.ordinal + 1} of {p.story_passage_count} (id {p.id})"

    def block(text: str, first: str, rest: str) -> str:
        return textwrap.fill(text, width, initial_indent=first, subsequent_indent=rest) + "\n"

    out.write(f"{heading(a.left)}\n  <-> {heading(a.right)}\n")
    out.write(
        f"Passage similarity {a.similarity:.3f}; {len(a.pairs)} aligned sentence pair(s) "
        f"at threshold {a.threshold:.2f}\n"
    )
    if a.pairs:
        out.write("\nAligned:\n")
    for pair in a.pairs:
        out.write(block(a.left_sentences[pair.left_index].text, f"  {pair.score:.3f}  ", " " * 9))
        out.write(block(a.right_sentences[pair.right_index].text, "     <-> ", " " * 9))
    for title, only, sentences in (
        (a.left.story_title, a.left_only, a.left_sentences),
        (a.right.story_title, a.right_only, a.right_sentences),
    ):
        if only:
            out.write(f"\nOnly in {title}:\n")
        for index in only:
            out.write(block(sentences[index].text, "  - ", "    "))


def out_of_order(row: Row, column: int, titles: Sequence[str]) -> str:
    """Where story `column` tells, out of order, what a row holds and its cell lacks ("" if
    it does not), said after its title: the window's empty cell and the exports."""
    if row.cells[column] is not None or column >= len(row.elsewhere):
        return ""
    return " ".join(
        f"Passage {at + 1} of {titles[teller]} is told in it out of order, as passage "
        f"{p.position + 1} ({p.score:.2f})."
        for p in row.elsewhere[column]
        for teller, at in (p.answers,)
    )


def print_many_alignment(aligned: ManyAlignment, out: TextIO, width: int = 88) -> None:
    """Row by row: which stories tell it, and each one's first words."""
    titles = [s.title for s in aligned.stories]
    out.write("  |  ".join(titles) + "\n")
    out.write(f"{len(aligned.rows)} row(s), each aligned with {titles[0]}\n")
    for n, row in enumerate(aligned.rows, start=1):
        tellers = [t for t, cell in zip(titles, row.cells, strict=True) if cell is not None]
        out.write(f"\n  {n}. told by {len(tellers)} of {len(titles)}\n")
        for k, (title, cell) in enumerate(zip(titles, row.cells, strict=True)):
            if cell is not None:
                score = f" ({row.scores[k]:.3f})" if k and row.cells[0] else ""
                opening = textwrap.shorten(
                    " ".join(cell.text.split()), width - 12, placeholder=" …"
                )
                out.write(f"    {title}{score}: {opening}\n")
            elif elsewhere := out_of_order(row, k, titles):
                out.write(f"    {title}: {elsewhere}\n")


def print_story_alignment(aligned: StoryAlignment, out: TextIO, width: int = 88) -> None:
    """Segment by segment: what both stories tell (with its first words on each side and the
    sentences linked), then what one tells alone."""
    left, right = aligned.left.title, aligned.right.title
    out.write(f"{left}  <->  {right}\n")
    matched = sum(1 for s in aligned.segments if s.left and s.right)
    out.write(f"{matched} stretch(es) told by both, in reading order\n")

    def opening(side: Side) -> str:
        return textwrap.shorten(" ".join(side.text.split()), width - 12, placeholder=" …")

    for segment in aligned.segments:
        out.write("\n")
        if segment.left and segment.right:
            out.write(f"  both  {segment.score:.3f}  ({len(segment.links)} sentence link(s))\n")
            out.write(f"    {left}: {opening(segment.left)}\n")
            out.write(f"    {right}: {opening(segment.right)}\n")
        else:
            side, title = (segment.left, left) if segment.left else (segment.right, right)
            assert side is not None
            out.write(f"  only in {title}: {opening(side)}\n")
    if aligned.elsewhere:
        out.write(f"\n{len(aligned.elsewhere)} passage(s) of each told by the other out of order\n")
    for pair in aligned.elsewhere:
        out.write(f"\n  out of order  {pair.score:.3f}  ({len(pair.links)} sentence link(s))\n")
        out.write(f"    {left}, passage {pair.left_index + 1}: {opening(pair.left)}\n")
        out.write(f"    {right}, passage {pair.right_index + 1}: {opening(pair.right)}\n")
