"""Whole stories side by side, and the heat map, on the real engine and the sample stories
(offscreen): what the views show is what the engine aligned and measured."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from app.heat_map_view import HeatMapView
from app.parallel_view import ParallelView
from app.service import LibraryService
from index import Library
from index.compare.stories import align_many, align_stories
from index.compare.story_matrix import story_matrix

WAIT_MS = 60_000


@pytest.fixture
def view(qtbot: QtBot, seed_service: LibraryService) -> ParallelView:
    shown = ParallelView(seed_service)
    qtbot.addWidget(shown)
    shown.resize(1200, 700)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def aligned_in(view: ParallelView, qtbot: QtBot, *story_ids: int) -> None:
    with qtbot.waitSignal(view.aligned, timeout=WAIT_MS):
        view.show_stories(*story_ids)


def gutter_ink(view: ParallelView, row: int, which: int = 0) -> int:
    """Pixels in a row's gutter that are not the row's background: the ribbons drawn."""
    rect = view.rows.visualRect(view.rows.model_rows.index(row))
    gutter = view.delegate.gutters(rect.width())[which]
    image: QImage = view.rows.viewport().grab().toImage()
    background = image.pixelColor(QPoint(gutter.x() + 2, rect.bottom() - 3))
    caption = view.fontMetrics().height() + 2
    inked = 0
    for y in range(rect.top() + caption, min(rect.bottom() - 2, image.height())):
        for x in range(gutter.x() + 4, gutter.right() - 4, 3):
            if image.pixelColor(QPoint(x, y)) != background:
                inked += 1
    return inked


def test_the_rows_are_the_engines_alignment_with_links_across(
    view: ParallelView, qtbot: QtBot, seed_library: Library
) -> None:
    left, right = (
        seed_library.find_story("Sofia Kalejs"),
        seed_library.find_story("Sofia Kalmurzaeva"),
    )
    aligned_in(view, qtbot, left.id, right.id)
    truth = align_stories(seed_library, left, right)
    assert view.alignment is not None
    rows = view.rows.model_rows.rows
    assert [(r.cells[0], r.cells[1], r.links[1]) for r in rows] == [
        (s.left, s.right, s.links) for s in truth.segments
    ]
    assert view.map.area().height() > 0
    both = [s for s in truth.segments if s.left and s.right]
    assert f"{len(both)} stretch" in view.summary.text()
    # Every link of the first row has a band across the gutter, and the gutter is drawn on.
    first = truth.segments[0]
    assert first.links
    laid = view.delegate.laid(0, view.rows.viewport().width())
    assert len(laid.bands[0]) == len(first.links)
    assert all(bottom > top for band in laid.bands[0] for top, bottom in band[:2])
    assert gutter_ink(view, 0) > 50


def test_a_stretch_told_on_one_side_only_has_no_links(
    view: ParallelView, qtbot: QtBot, seed_library: Library
) -> None:
    stories = seed_library.stories()
    pairs = [(a, b) for a in stories for b in stories if a.id < b.id]
    found = None
    for a, b in pairs:
        segments = align_stories(seed_library, a, b).segments
        row = next((n for n, s in enumerate(segments) if s.left is None or s.right is None), None)
        if row is not None:
            found = (a, b, row)
            break
    assert found is not None, "no two sample stories with a stretch told by one alone"
    a, b, row = found
    aligned_in(view, qtbot, a.id, b.id)
    view.go_to(row)
    qtbot.waitUntil(lambda: view.rows.visualRect(view.rows.model_rows.index(row)).top() >= 0)
    assert gutter_ink(view, row) == 0
    laid = view.delegate.laid(row, view.rows.viewport().width())
    assert sum(document is None for document in laid.documents) == 1


def test_the_map_steps_swap_and_reading(
    view: ParallelView, qtbot: QtBot, seed_library: Library
) -> None:
    left, right = (
        seed_library.find_story("Sofia Kalejs"),
        seed_library.find_story("Sofia Kalmurzaeva"),
    )
    aligned_in(view, qtbot, left.id, right.id)
    segments = view.rows.model_rows.rows
    # A click on the map's bottom-right corner goes to the last stretch.
    area = view.map.area()
    qtbot.mouseClick(
        view.map, Qt.MouseButton.LeftButton, pos=(area.bottomRight() - QPointF(2, 2)).toPoint()
    )
    assert view.rows.currentIndex().row() == len(segments) - 1
    view.go_to(0)
    view.rows.setFocus()
    qtbot.keyClick(view.rows, Qt.Key.Key_F3)
    assert view.rows.currentIndex().row() == 1
    with qtbot.waitSignal(view.passage_requested, timeout=1000) as opened:
        qtbot.keyClick(view.rows, Qt.Key.Key_Return)
    assert opened.args == [segments[1].cells[0].passage_ids[0]]  # type: ignore[union-attr]
    with qtbot.waitSignal(view.aligned, timeout=WAIT_MS):
        view.swap()
    assert view.stories == (right.id, left.id)
    assert view.alignment is not None and view.alignment.stories[0].id == right.id
    html = view.export_document("html")
    assert "Sofia Kalmurzaeva and Sofia Kalejs, aligned" in html and "<mark" in html


def test_three_stories_in_columns_share_colours_across_every_gutter(
    view: ParallelView, qtbot: QtBot, seed_library: Library
) -> None:
    """Each other story is aligned with the first; a sentence of the first and its
    counterparts share a colour, and bands join neighbouring counterparts across both gutters."""
    stories = [
        seed_library.find_story(t) for t in ("Sofia Kalejs", "Sofia Kalmurzaeva", "Camilla Roche")
    ]
    aligned_in(view, qtbot, *(s.id for s in stories))
    truth = align_many(seed_library, stories)
    assert view.rows.model_rows.rows == truth.rows
    assert view.titles == [s.title for s in stories]
    assert "told by all 3 stories" in view.summary.text()
    assert view.map_choice.isVisible() and view.map_choice.count() == 2
    # A row the three tell with a sentence of the first linked in both others.
    row = next(
        n
        for n, r in enumerate(truth.rows)
        if {k.left for k in r.links[1]} & {k.left for k in r.links[2]}
    )
    view.go_to(row)
    qtbot.waitUntil(lambda: view.rows.visualRect(view.rows.model_rows.index(row)).top() >= 0)
    laid = view.delegate.laid(row, view.rows.viewport().width())
    shared = {k.left for k in truth.rows[row].links[1]} & {k.left for k in truth.rows[row].links[2]}
    assert len(laid.bands[1]) == len(shared) >= 1
    assert gutter_ink(view, row, which=1) > 20
    # The map sets the first story against the one chosen.
    view.map_choice.setCurrentIndex(1)
    assert view.map._alignment is truth.pairwise[1] or view.map._alignment.right.id == stories[2].id
    page = view.export_document("html")
    assert page.count("<th>") == 3
    with qtbot.waitSignal(view.aligned, timeout=WAIT_MS):
        view.swap()
    assert view.stories == (stories[1].id, stories[2].id, stories[0].id)


def test_the_heat_map_shows_the_engines_matrix_and_opens_a_pair(
    qtbot: QtBot, seed_service: LibraryService, seed_library: Library
) -> None:
    view = HeatMapView(seed_service)
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    qtbot.waitExposed(view)
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_map()
    truth = story_matrix(seed_library)
    matrix = view.map.matrix
    assert matrix is not None
    assert [s.id for s in matrix.stories] == [s.id for s in truth.stories]
    assert (matrix.closeness == truth.closeness).all()
    closest = truth.pairs()[0]
    assert view.pairs.item(0).text().startswith(f"{closest[2]:.2f}")
    # The closest pair's cell is the darkest off the diagonal (the accent's end of the scale).
    row = [s.id for s in matrix.stories].index(closest[0].id)
    column = [s.id for s in matrix.stories].index(closest[1].id)
    area = view.map.area()
    cell = area.width() / len(matrix.stories)
    image = view.map.grab().toImage()

    def colour(r: int, c: int) -> QColor:
        return image.pixelColor(
            QPoint(int(area.left() + (c + 0.1) * cell), int(area.top() + (r + 0.1) * cell))
        )

    others = [
        colour(r, c).lightness()
        for r in range(len(matrix.stories))
        for c in range(len(matrix.stories))
        if r != c and {r, c} != {row, column}
    ]
    assert colour(row, column).lightness() < min(others)
    assert view.map.describe((row, column)).endswith("told by both: " + f"{closest[3]:.0%}")
    with qtbot.waitSignal(view.pair_requested, timeout=1000) as pair:
        qtbot.mouseClick(
            view.map,
            Qt.MouseButton.LeftButton,
            pos=QPoint(
                int(area.left() + (column + 0.5) * cell), int(area.top() + (row + 0.5) * cell)
            ),
        )
    assert pair.args == [closest[0].id, closest[1].id]
    with qtbot.waitSignal(view.pair_requested, timeout=1000) as listed:
        view.pairs.itemActivated.emit(view.pairs.item(0))
    assert set(listed.args) == {closest[0].id, closest[1].id}
    assert "Story,Other story" not in view.export_document("csv")
    assert view.export_document("csv").startswith("story,other story,closeness")


def test_a_moment_told_out_of_order_is_named_in_the_empty_cell(
    view: ParallelView, qtbot: QtBot, seed_library: Library
) -> None:
    """The two bows to applause sit at different places of Camilla Roche and Sofia Kalejs:
    the empty cell beside one says where the other story tells it, and the summary counts it."""
    from app.parallel_view import _empty_cell

    camilla, sofia = (
        seed_library.find_story("Camilla Roche"),
        seed_library.find_story("Sofia Kalejs"),
    )
    aligned_in(view, qtbot, camilla.id, sofia.id)
    [pair] = align_stories(seed_library, camilla, sofia).elsewhere
    rows = view.rows.model_rows.rows
    said = [
        _empty_cell(row, n, view.titles)
        for row in rows
        for n, cell in enumerate(row.cells)
        if cell is None
    ]
    bow_of_sofia = (
        f"Not told here in Camilla Roche. Passage {pair.right_index + 1} of Sofia Kalejs is told "
        f"in it out of order, as passage {pair.left_index + 1} ({pair.score:.2f})."
    )
    bow_of_camilla = (
        f"Not told here in Sofia Kalejs. Passage {pair.left_index + 1} of Camilla Roche is told "
        f"in it out of order, as passage {pair.right_index + 1} ({pair.score:.2f})."
    )
    assert bow_of_sofia in said and bow_of_camilla in said
    assert sum("out of order" in text for text in said) == 2  # the bow's row on each side
    assert "1 passage of each told by the other out of order" in view.summary.text()
