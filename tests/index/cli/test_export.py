"""Results and alignments as files: every format carries each passage's text back out exactly
(CSV and JSON read back; HTML escaped and parsed; Markdown quoted)."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from index.cli.export import FORMATS, alignment_document, hits_document, matrix_document
from index.compare.stories import Link, Segment, Side, StoryAlignment
from index.compare.story_matrix import StoryMatrix
from index.search.results import Hit, Passage, Story


def hit(text: str, rank: int = 1, title: str = "Winter Station") -> Hit:
    passage = Passage(
        id=rank,
        story_id=1,
        story_title=title,
        ordinal=rank - 1,
        story_passage_count=9,
        start=0,
        end=len(text),
        text=text,
        sentences=(),
    )
    return Hit(rank=rank, score=0.5, passage=passage, before=None, after=None)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.marks = 0
        self._in = False

    def handle_starttag(self, tag: str, _attrs: object) -> None:
        if tag == "td":
            self._in, self.cells = True, [*self.cells, ""]
        self.marks += tag == "mark"

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.cells[-1] += data


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"),
    min_size=1,
    max_size=80,
).filter(lambda t: t.strip() and "\n\n" not in t)


@given(text=texts, title=st.text(min_size=1, max_size=20))
def test_any_passage_text_comes_back_out_of_csv_json_and_html(text: str, title: str) -> None:
    hits = [hit(text, 1, title), hit("A second, plain passage.", 2)]
    rows = list(csv.reader(io.StringIO(hits_document(hits, "csv", title="t"))))
    assert rows[1][2] == title and rows[1][-1] == text and len(rows) == 3
    assert json.loads(hits_document(hits, "json", title="t"))["hits"][0]["text"] == text
    cells = _Cells()
    cells.feed(hits_document(hits, "html", title="t"))
    assert cells.cells[2] == title
    assert cells.cells[4] == text.strip()
    assert len(cells.cells) == 10  # five cells a row, no markup leaked from the text


def test_markdown_quotes_each_passage_under_its_story() -> None:
    document = hits_document([hit("First line.\n\nSecond paragraph.")], "md", title="Search: x")
    assert document.startswith("# Search: x\n")
    assert "## 1. Winter Station, passage 1 of 9 (0.00)" in document  # its relevance
    assert "> First line.\n>\n> Second paragraph." in document
    assert set(FORMATS) == {"json", "md", "csv", "html"}


def story(story_id: int, title: str) -> Story:
    return Story(story_id, title, f"/{title}.txt", 3, "txt")


@given(
    left=texts,
    right=texts,
    cuts=st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80)), max_size=4),
)
def test_an_alignment_in_html_keeps_each_side_whole_and_marks_its_links(
    left: str, right: str, cuts: list[tuple[int, int]]
) -> None:
    """Linked sentences are marked inside the text without losing or doubling a character,
    wherever the links fall (overlapping or out-of-range links are left unmarked)."""
    links, end = [], 0
    for a, b in sorted(cuts):
        start, stop = max(a, end), min(max(a, b), len(left), len(right))
        if start < stop:
            links.append(Link((100 + start, 100 + stop), (start, stop), 0.8))
            end = stop
    segment = Segment(Side(100, 100 + len(left), left, (1,)), Side(0, len(right), right, (2,)), 0.7)
    segment = Segment(segment.left, segment.right, 0.7, tuple(links), (0, 1), (0, 1))
    aligned = StoryAlignment(story(1, "A"), story(2, "B"), (segment,))
    cells = _Cells()
    cells.feed(alignment_document(aligned, "html"))
    assert cells.cells == [left, "0.70", right]
    assert cells.marks == 2 * len(links)


def test_the_heat_map_exports_every_pair_once_the_most_shared_first() -> None:
    closeness = np.array([[1.0, 0.1, 0.6], [0.1, 1.0, 0.0], [0.6, 0.0, 1.0]], dtype=np.float32)
    matrix = StoryMatrix((story(1, "A|x"), story(2, "B"), story(3, "C")), closeness, closeness / 2)
    rows = list(csv.reader(io.StringIO(matrix_document(matrix, "csv"))))
    assert rows[1:] == [
        ["A|x", "C", "0.600", "0.300"],
        ["A|x", "B", "0.100", "0.050"],
        ["B", "C", "0.000", "0.000"],
    ]
    assert "| A\\|x | C | 0.60 | 30% |" in matrix_document(matrix, "md")
    assert json.loads(matrix_document(matrix, "json"))["closeness"][0] == [1.0, 0.1, 0.6]
    cells = _Cells()
    cells.feed(matrix_document(matrix, "html"))
    assert cells.cells == ["1.00", "0.10", "0.60", "0.10", "1.00", "0.00", "0.60", "0.00", "1.00"]
