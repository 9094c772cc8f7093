"""Results and alignments as files people open elsewhere: Markdown to paste into notes, CSV for
a spreadsheet, HTML to read or print, JSON for programs (the same JSON the CLI prints).

    text = hits_document(hits, "md", title='Search: "a dancer doubts herself"')

Pure text in, text out, no engine calls: the command line and the window both write these.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from index.cli.output import hit_to_json, out_of_order

if TYPE_CHECKING:
    from index.compare.align import Alignment
    from index.compare.stories import Link, ManyAlignment, Side, StoryAlignment
    from index.compare.story_matrix import StoryMatrix
    from index.search.results import Hit

Format = Literal["json", "md", "csv", "html"]
FORMATS: tuple[Format, ...] = ("json", "md", "csv", "html")
SUFFIXES: dict[Format, str] = {"json": ".json", "md": ".md", "csv": ".csv", "html": ".html"}


def hits_document(hits: Sequence[Hit], fmt: Format, *, title: str) -> str:
    """Ranked passages: rank, score, story, where, and the passage itself."""
    if fmt == "json":
        return json.dumps({"title": title, "hits": [hit_to_json(h) for h in hits]}, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["rank", "relevance", "story", "passage", "of", "start", "end", "text"])
        for hit in hits:
            p = hit.passage
            writer.writerow(
                [
                    hit.rank,
                    f"{hit.relevance:.3f}",
                    p.story_title,
                    p.ordinal + 1,
                    p.story_passage_count,
                    p.start,
                    p.end,
                    p.text,
                ]
            )
        return out.getvalue()
    if fmt == "md":
        parts = [f"# {title}\n"]
        for hit in hits:
            p = hit.passage
            quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in p.text.split("\n"))
            where = f"passage {p.ordinal + 1} of {p.story_passage_count}"
            parts.append(
                f"## {hit.rank}. {p.story_title}, {where} ({hit.relevance:.2f})\n\n{quoted}\n"
            )
        return "\n".join(parts)
    rows = "\n".join(
        f"<tr><td>{hit.rank}</td><td>{hit.relevance:.2f}</td>"
        f"<td>{html.escape(hit.passage.story_title)}</td>"
        f"<td>{hit.passage.ordinal + 1} of {hit.passage.story_passage_count}</td>"
        f"<td>{_paragraphs(hit.passage.text)}</td></tr>"
        for hit in hits
    )
    table = (
        "<table>\n<tr><th>#</th><th>Relevance</th><th>Story</th><th>Passage</th>"
        f"<th>Text</th></tr>\n{rows}\n</table>"
    )
    return _html_page(title, table)


def alignment_document(aligned: StoryAlignment, fmt: Format) -> str:
    """Two stories, stretch by stretch: side by side in HTML, in turn elsewhere."""
    left, right = aligned.left.title, aligned.right.title
    title = f"{left} and {right}, aligned"
    if fmt == "json":
        return json.dumps(aligned.to_json(), indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["segment", "score", "links", f"{left}", f"{right}"])
        for n, segment in enumerate(aligned.segments, start=1):
            writer.writerow(
                [
                    n,
                    f"{segment.score:.3f}",
                    len(segment.links),
                    _text(segment.left),
                    _text(segment.right),
                ]
            )
        for n, pair in enumerate(aligned.elsewhere, start=1):
            row = [f"out of order {n}", f"{pair.score:.3f}", len(pair.links)]
            writer.writerow([*row, _text(pair.left), _text(pair.right)])
        return out.getvalue()
    if fmt == "md":
        parts = [f"# {title}\n"]
        for n, segment in enumerate(aligned.segments, start=1):
            both = segment.left is not None and segment.right is not None
            heading = f"## {n}. " + (
                f"told by both ({segment.score:.2f})"
                if both
                else f"only in {left if segment.left else right}"
            )
            parts.append(heading + "\n")
            for name, side in ((left, segment.left), (right, segment.right)):
                if side is not None:
                    parts.append(f"**{name}**\n\n{_quoted(side.text)}\n")
        for n, pair in enumerate(aligned.elsewhere, start=1):
            parts.append(
                f"## Out of order {n}: told by both, at different places ({pair.score:.2f})\n"
            )
            for name, side, at in (
                (left, pair.left, pair.left_index),
                (right, pair.right, pair.right_index),
            ):
                parts.append(f"**{name}, passage {at + 1}**\n\n{_quoted(side.text)}\n")
        return "\n".join(parts)
    rows = "\n".join(
        f"<tr><td>{_marked(s.left, s.links, 0)}</td>"
        f"<td class=score>{f'{s.score:.2f}' if s.left and s.right else ''}</td>"
        f"<td>{_marked(s.right, s.links, 1)}</td></tr>"
        for s in aligned.segments
    )
    table = (
        f"<table>\n<tr><th>{html.escape(left)}</th><th></th><th>{html.escape(right)}</th></tr>"
        f"\n{rows}\n</table>"
    )
    if aligned.elsewhere:
        moved = "\n".join(
            f"<tr><td>{_marked(p.left, p.links, 0)}</td><td class=score>{p.score:.2f}</td>"
            f"<td>{_marked(p.right, p.links, 1)}</td></tr>"
            for p in aligned.elsewhere
        )
        table += f"\n<h2>Told by both, out of order</h2>\n<table>\n{moved}\n</table>"
    return _html_page(title, table)


def comparison_document(alignment: Alignment, fmt: Format) -> str:
    """Two passages compared sentence by sentence: the `storylens compare --json` object, or
    the two passages as one aligned stretch (each matched sentence pair in its colour)."""
    from index.compare.stories import Link, Segment, Side, StoryAlignment
    from index.search.results import Story

    if fmt == "json":
        return json.dumps(alignment.to_json(), indent=2)
    sides = []
    for passage in (alignment.left, alignment.right):
        name = f"{passage.story_title}, passage {passage.ordinal + 1}"
        story = Story(passage.story_id, name, "", passage.story_passage_count, "")
        sides.append((story, Side(passage.start, passage.end, passage.text, (passage.id,))))
    (left, left_side), (right, right_side) = sides
    links = tuple(
        Link(
            (
                alignment.left_sentences[p.left_index].start,
                alignment.left_sentences[p.left_index].end,
            ),
            (
                alignment.right_sentences[p.right_index].start,
                alignment.right_sentences[p.right_index].end,
            ),
            p.score,
        )
        for p in alignment.pairs
    )
    segment = Segment(left_side, right_side, alignment.similarity, links)
    return alignment_document(StoryAlignment(left, right, (segment,)), fmt)


def matrix_document(matrix: StoryMatrix, fmt: Format) -> str:
    """The library's heat map: JSON (both matrices), CSV and Markdown (every pair of stories,
    the closest first), HTML (the matrix, each cell shaded by the two stories' closeness)."""
    title = "Stories by what they tell alike"
    if fmt == "json":
        return json.dumps(matrix.to_json(), indent=2)
    pairs = matrix.pairs()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["story", "other story", "closeness", "told by both"])
        for a, b, closeness, covered in pairs:
            writer.writerow([a.title, b.title, f"{closeness:.3f}", f"{covered:.3f}"])
        return out.getvalue()
    if fmt == "md":
        lines = [f"# {title}\n", "| Story | Other story | Closeness | Told by both |"]
        lines.append("|---|---|---:|---:|")
        lines += [
            f"| {_cell(a.title)} | {_cell(b.title)} | {closeness:.2f} | {covered:.0%} |"
            for a, b, closeness, covered in pairs
        ]
        return "\n".join(lines) + "\n"
    head = "".join(f"<th>{html.escape(s.title)}</th>" for s in matrix.stories)
    rows = []
    for i, story in enumerate(matrix.stories):
        cells = "".join(
            f'<td style="background:rgba(0,114,178,{float(value) ** 2:.2f})" '
            f'title="told by both: {float(matrix.covered[i, j]):.0%}">{float(value):.2f}</td>'
            for j, value in enumerate(matrix.closeness[i])
        )
        rows.append(f"<tr><th>{html.escape(story.title)}</th>{cells}</tr>")
    legend = (
        "<p>Each cell: how close two stories are, the mean similarity of each passage's "
        "closest passage in the other story (hover: the share of their passages both tell)."
        "</p>"
    )
    table = f"<table>\n<tr><th></th>{head}</tr>\n" + "\n".join(rows) + "\n</table>"
    return _html_page(title, legend + table)


# Okabe-Ito hues, as the window colours sentence pairs (app/compare_widgets.py).
_LINK_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")


def _marked(side: Side | None, links: Sequence[Link], which: int) -> str:
    """A stretch's paragraphs with each linked sentence marked in its pair's colour."""
    spans = [(link.right if which else link.left, n, link.score) for n, link in enumerate(links)]
    return _marked_spans(side, spans)


def _marked_spans(side: Side | None, spans: Sequence[tuple[tuple[int, int], int, float]]) -> str:
    """A stretch's text with each (span, colour number, score) marked; spans that overlap one
    already marked, or fall outside the stretch, are left unmarked."""
    if side is None:
        return ""
    parts, at = [], side.start
    for (start, end), n, score in sorted(spans):
        if start < at or end > side.end:
            continue
        parts.append(html.escape(side.text[at - side.start : start - side.start]))
        colour = _LINK_COLOURS[n % len(_LINK_COLOURS)]
        parts.append(
            f'<mark style="background:{colour}55" title="pair {n + 1}, {score:.2f}">'
            f"{html.escape(side.text[start - side.start : end - side.start])}</mark>"
        )
        at = end
    parts.append(html.escape(side.text[at - side.start :]))
    return '<div class="told">' + "".join(parts) + "</div>"


def many_document(aligned: ManyAlignment, fmt: Format) -> str:
    """Several stories aligned with the first, row by row: side by side in HTML (each sentence
    of the first story and its counterparts in one colour), in turn elsewhere."""
    from index.compare.stories import shared_colours

    titles = [s.title for s in aligned.stories]
    title = ", ".join(titles[:-1]) + f" and {titles[-1]}, aligned"
    if fmt == "json":
        return json.dumps(aligned.to_json(), indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", *titles, *(f"score {t}" for t in titles[1:])])
        for n, row in enumerate(aligned.rows, start=1):
            scores = [
                f"{x:.3f}" if row.cells[k + 1] and row.cells[0] else ""
                for k, x in enumerate(row.scores[1:])
            ]
            writer.writerow([n, *(_text(cell) for cell in row.cells), *scores])
        return out.getvalue()
    if fmt == "md":
        parts = [f"# {title}\n"]
        for n, row in enumerate(aligned.rows, start=1):
            tellers = [t for t, cell in zip(titles, row.cells, strict=True) if cell is not None]
            parts.append(f"## {n}. told by {', '.join(tellers)}\n")
            for k, (name, cell) in enumerate(zip(titles, row.cells, strict=True)):
                if cell is not None:
                    parts.append(f"**{name}**\n\n{_quoted(cell.text)}\n")
                elif elsewhere := out_of_order(row, k, titles):
                    parts.append(f"**{name}**: *{elsewhere}*\n")
        return "\n".join(parts)
    rows = []
    for row in aligned.rows:
        colours = shared_colours(row.links)
        best: dict[tuple[int, int], float] = {}
        for link in (link for column in row.links for link in column):
            best[link.left] = max(best.get(link.left, -1.0), link.score)
        cells = [
            _marked_spans(row.cells[0], [(span, n, best[span]) for span, n in colours.items()])
        ]
        for k in range(1, len(titles)):
            spans = [(link.right, colours[link.left], link.score) for link in row.links[k]]
            cells.append(_marked_spans(row.cells[k], spans))
        cells = [cell or _em(out_of_order(row, k, titles)) for k, cell in enumerate(cells)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(t)}</th>" for t in titles)
    table = f"<table>\n<tr>{head}</tr>\n" + "\n".join(rows) + "\n</table>"
    return _html_page(title, table)


def _em(text: str) -> str:
    return f"<em>{html.escape(text)}</em>" if text else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _text(side: Side | None) -> str:
    return side.text if side is not None else ""


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _html_page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>\n<style>body{{font-family:Georgia,serif;"
        "max-width:72em;margin:2em auto;line-height:1.5}} td,th{{vertical-align:top;"
        "padding:.4em .8em;border-bottom:1px solid #ddd;text-align:left}} "
        "td.score{{color:#666;white-space:nowrap}} div.told{{white-space:pre-wrap}}"
        "</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )
