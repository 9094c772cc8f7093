"""The map of the library in the window, on the real engine and the sample stories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from index import Embedder
from tests.app.conftest import READY_MS, OpenWindow
from tests.app.test_main_window import search


def open_map(qtbot: QtBot, window: MainWindow) -> Any:
    """View > Map of the library, once the map is drawn."""
    window.act.corpus_map.trigger()
    view = window.pages.currentWidget()
    qtbot.waitUntil(lambda: view.map.answer is not None, timeout=READY_MS)
    return view


def test_every_passage_is_a_point_with_the_search_marked(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, embedder: object
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    hits = window.search.model.hits()
    view = open_map(qtbot, window)
    answer = view.map.answer
    assert len(answer.atlas.points) == sum(s.passage_count for s in window.stories.stories())
    assert answer.hit_ids == tuple(h.passage.id for h in hits)
    assert answer.query_point is not None  # the query, placed on the same plane
    # The cross is the query's own vector projected on the passages' plane.
    assert isinstance(embedder, Embedder)
    expected = answer.atlas.project(embedder.encode_queries([answer.query]))[0]
    assert np.allclose(answer.query_point, expected, atol=1e-4)
    assert answer.query == window.search.model.result.query
    where = {int(p): i for i, p in enumerate(answer.atlas.passage_ids)}
    # Hovering a point reads its passage below the map; a click opens it in the reader.
    screen = view.map.to_screen(answer.atlas.points)
    index = where[hits[0].passage.id]
    at = QPoint(round(float(screen[index][0])), round(float(screen[index][1])))
    assert view.map.point_at(QPointF(at)) >= 0
    chosen = view.map.passage_id(view.map.point_at(QPointF(at)))
    qtbot.mouseMove(view.map, at)
    qtbot.waitUntil(lambda: "passage" in view.preview.text(), timeout=READY_MS)
    # The passage read below the map may take more lines and leave the map less room: its
    # points move. Lay the page out now and click where the point is then.
    view.layout().activate()
    screen = view.map.to_screen(answer.atlas.points)
    at = QPoint(round(float(screen[index][0])), round(float(screen[index][1])))
    assert view.map.passage_id(view.map.point_at(QPointF(at))) == chosen
    with qtbot.waitSignal(view.map.chosen, timeout=1000) as clicked:
        qtbot.mouseClick(view.map, Qt.MouseButton.LeftButton, pos=at)
    assert clicked.args == [chosen]
    assert window.pages.currentIndex() == 0
    qtbot.waitUntil(
        lambda: window.reader.passage is not None and window.reader.passage.id == chosen,
        timeout=READY_MS,
    )


def test_the_wheel_zooms_around_the_pointer(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    view = open_map(qtbot, window)
    atlas = view.map.answer.atlas
    assert view.map.answer.query_point is None and not view.map.answer.hit_ids  # no search
    screen = view.map.to_screen(atlas.points)
    before = float(np.linalg.norm(screen[0] - screen[1]))
    view.map._view = view.map._view  # the whole map
    from PySide6.QtGui import QWheelEvent

    under = QPointF(float(screen[0][0]), float(screen[0][1]))
    event = QWheelEvent(
        under,
        view.map.mapToGlobal(under),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    view.map.wheelEvent(event)
    after = view.map.to_screen(atlas.points)
    assert np.linalg.norm(after[0] - screen[0]) < 1.0  # the point under the pointer stays
    assert float(np.linalg.norm(after[0] - after[1])) > before * 1.4  # two steps of 0.8
    view.reset_button.click()
    assert np.allclose(view.map.to_screen(atlas.points), screen)


def test_a_drag_moves_the_map_and_opens_nothing(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    view = open_map(qtbot, window)
    points = view.map.answer.atlas.points
    before = view.map.to_screen(points)
    start = QPoint(round(float(before[0][0])), round(float(before[0][1])))
    chosen: list[int] = []
    view.map.chosen.connect(chosen.append)
    qtbot.mousePress(view.map, Qt.MouseButton.LeftButton, pos=start)
    for step in (10, 20, 30):
        qtbot.mouseMove(view.map, start + QPoint(step, step * 2 // 3))
    qtbot.mouseRelease(view.map, Qt.MouseButton.LeftButton, pos=start + QPoint(30, 20))
    after = view.map.to_screen(points)
    assert np.allclose(after - before, [30, 20], atol=1.0)  # every point moved with the pointer
    assert chosen == []  # a drag is not a click
    view.map.grab()  # drawn anew where the points now are
    assert view.map._layer_shift == QPointF(0, 0)
