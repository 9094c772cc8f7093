"""The results model and how a row is drawn: Markdown copies, excerpts, sizes from the font."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from app.results_delegate import ResultDelegate, excerpt
from app.results_model import ResultsModel, Role, Strip, hit_markdown
from app.service import SearchResult
from app.theme import colors
from index import Hit, Passage

STORY = (
    "The snow had not stopped for three days. "
    "Anna waited at the station for a train that never came. "
    "When her brother finally arrived, he said he was sorry."
)


def make_hit(start: int = 0, end: int = len(STORY), rank: int = 1) -> Hit:
    starts = [0, STORY.index("Anna"), STORY.index("When")]
    ends = [STORY.index("Anna") - 1, STORY.index("When") - 1, len(STORY)]
    sentences = tuple(zip(starts, ends, strict=True))
    passage = Passage(
        id=7,
        story_id=1,
        story_title="Winter Station",
        ordinal=2,
        story_passage_count=9,
        start=start,
        end=end,
        text=STORY[start:end],
        sentences=tuple(s for s in sentences if start <= s[0] < end),
    )
    return Hit(rank=rank, score=0.61, passage=passage, before=None, after=None)


def test_rows_expose_hits_and_a_markdown_copy(qtbot: QtBot) -> None:
    hit = make_hit()
    model = ResultsModel()
    model.set_result(SearchResult("sorry", [hit], [((150, 155),)]))
    index = model.index(0)
    assert model.rowCount() == 1
    assert index.data(Role.HIT) is hit
    assert index.data(Role.POSITION) == "passage 3 of 9"
    assert index.data(Role.MATCHES) == ((150, 155),)
    assert index.data(Qt.ItemDataRole.DisplayRole) == "Winter Station, passage 3 of 9"
    markdown = model.mimeData([index]).data("text/markdown").data().decode("utf-8")
    assert markdown == hit_markdown(hit)
    assert markdown.startswith("> The snow had not stopped")
    assert markdown.endswith("— *Winter Station*, passage 3 of 9\n")


def test_the_excerpt_starts_at_the_sentence_of_a_late_query_word() -> None:
    hit = make_hit()
    late = ((STORY.index("sorry"), STORY.index("sorry") + 5),)
    text, spans = excerpt(hit, late, visible_chars=60)
    assert text.startswith("… When her brother")
    assert [text[a:b] for a, b in spans] == ["sorry"]
    text, spans = excerpt(hit, late, visible_chars=500)  # fits anyway: start at the start
    assert text.startswith("The snow")


def test_row_height_follows_the_font_so_200_percent_stays_readable(qtbot: QtBot) -> None:
    delegate = ResultDelegate()
    model = ResultsModel()
    model.set_result(SearchResult("sorry", [make_hit()], [((150, 155),)]))
    heights = []
    for points in (10, 20):
        option = QStyleOptionViewItem()
        option.font = QFont(option.font)
        option.font.setPointSize(points)
        option.rect.setRect(0, 0, 600, 10)
        heights.append(delegate.sizeHint(option, model.index(0)).height())
        image = QImage(600, heights[-1], QImage.Format.Format_ARGB32)
        option.rect.setRect(0, 0, 600, heights[-1])
        painter = QPainter(image)
        delegate.paint(painter, option, model.index(0))  # draws without errors at both sizes
        painter.end()
    assert 1.8 < heights[1] / heights[0] < 2.2


def test_each_row_knows_where_its_story_s_other_results_fall(qtbot: QtBot) -> None:
    from dataclasses import replace

    first = make_hit()
    same_story = replace(first, rank=2, passage=replace(first.passage, id=8, ordinal=6))
    other_story = replace(first, rank=3, passage=replace(first.passage, id=9, story_id=2))
    model = ResultsModel()
    model.set_result(SearchResult("sorry", [first, same_story, other_story], [(), (), ()]))
    assert model.index(0).data(Role.STRIP) == Strip(9, 2, (6,))
    assert model.index(1).data(Role.STRIP) == Strip(9, 6, (2,))
    assert model.index(2).data(Role.STRIP) == Strip(9, 2, ())
    assert "(1 more result in it)" in model.index(0).data(Qt.ItemDataRole.ToolTipRole)

    image = QImage(600, 200, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    option = QStyleOptionViewItem()
    option.rect = image.rect()
    option.font = QFont()
    ResultDelegate().paint(painter, option, model.index(0))
    painter.end()
    accent = QColor(colors().accent).rgb()
    left_half = [
        (x, y) for x in range(300) for y in range(200) if image.pixel(x, y) == accent
    ]  # the score bar is at the right: accent on the left is this hit's tick on the strip
    assert left_half


def test_the_tooltip_names_the_parts_the_relevance_is_drawn_from(qtbot: QtBot) -> None:
    from dataclasses import replace

    from index.search.results import Why

    read = replace(make_hit(), relevance=0.64, why=Why(dense=0.49, keyword=0.09, token_match=0.64))
    unread = replace(make_hit(), rank=2, relevance=0.4, why=Why(dense=0.4, keyword=0.02))
    model = ResultsModel()
    model.set_result(SearchResult("a dancer", [read, unread], [(), ()]))
    tips = [model.index(row).data(Qt.ItemDataRole.ToolTipRole) for row in (0, 1)]
    assert "Relevance 0.64 (word by word 0.64, meaning 0.49, keywords 0.09)" in tips[0]
    assert "Relevance 0.40 (meaning 0.40, keywords 0.02)" in tips[1]
