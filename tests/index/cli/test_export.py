"""Results and alignments as files: every format carries each passage's text back out exactly
(CSV and JSON read back; HTML escaped and parsed; Markdown quoted)."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from index.cli.export import FORMATS, hits_document
from index.search.results import Hit, Passage


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
        self._in = False

    def handle_starttag(self, tag: str, _attrs: object) -> None:
        if tag == "td":
            self._in, self.cells = True, [*self.cells, ""]

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
