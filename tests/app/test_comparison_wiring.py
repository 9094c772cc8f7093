"""The comparison views wired into the window: drag a result, open in story, compare a moment."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from app.compare_widgets import passage_id_from
from app.main_window import MainWindow
from app.mime import PASSAGE_MIME
from index.search.results import Passage
from tests.app.conftest import READY_MS, OpenWindow
from tests.app.test_main_window import search


def test_a_dragged_result_carries_its_passage_id(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    first = window.search.model.index(0, 0)
    mime = window.search.model.mimeData([first])
    assert isinstance(mime, QMimeData)
    assert mime.hasFormat(PASSAGE_MIME)
    assert passage_id_from(mime) == window.search.model.hits()[0].passage.id


def test_open_in_story_leaves_the_comparison_for_the_reader(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    hits = window.search.model.hits()
    left, right = hits[0].passage, hits[1].passage
    assert window.comparisons.compare(left, right)
    view = window.pages.currentWidget()
    qtbot.waitUntil(lambda: bool(view.pairs) or view.alignment is not None, timeout=READY_MS)
    view.passage_requested.emit(right.id)
    assert window.pages.currentIndex() == 0
    qtbot.waitUntil(
        lambda: window.reader.passage is not None and window.reader.passage.id == right.id,
        timeout=READY_MS,
    )


def _compare_from_a_moment_column(
    qtbot: QtBot, window: MainWindow
) -> tuple[QWidget, QWidget, Passage, Passage]:
    """Search, open the same moment of the best hit, then "compare sentences" on a column of
    another story: (moment view, comparison view, that hit's passage, the other passage)."""
    search(qtbot, window)
    hits = window.search.model.hits()
    source = hits[0].passage
    other = next(h.passage for h in hits if h.passage.story_id != source.story_id)
    assert window.comparisons.same_moment(source)
    moment = window.pages.currentWidget()
    with qtbot.waitSignal(moment.shown, timeout=READY_MS):
        pass
    moment.compare_requested.emit(source.id, other.id)
    return moment, window.pages.currentWidget(), source, other


def test_compare_from_a_moment_column_opens_the_side_by_side_view(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    moment, compare, source, other = _compare_from_a_moment_column(qtbot, open_window(library_copy))
    assert compare is not moment
    qtbot.waitUntil(lambda: compare.alignment is not None, timeout=READY_MS)
    assert compare.alignment.left.id == source.id
    assert compare.alignment.right.id == other.id


def test_esc_from_a_comparison_opened_in_the_moment_view_goes_back_to_it(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    moment, compare, _source, _other = _compare_from_a_moment_column(qtbot, window)
    qtbot.waitUntil(lambda: compare.alignment is not None, timeout=READY_MS)
    with qtbot.assertNotEmitted(window.comparisons.closed):
        window.act.close_compare.trigger()  # Esc
    assert window.pages.currentWidget() is moment
    with qtbot.waitSignal(window.comparisons.closed):
        window.act.close_compare.trigger()  # Esc again: back to the results
    assert window.pages.currentIndex() == 0


def test_the_same_moment_keeps_to_the_checked_stories(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    source = window.search.model.hit(0).passage
    keep = {s.id for s in window.stories.stories() if s.title in {"Camilla Roche"}}
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS):
        window.stories.set_checked(keep | {source.story_id})
    assert window.comparisons.same_moment(source)
    moment = window.pages.currentWidget()
    with qtbot.waitSignal(moment.shown, timeout=READY_MS):
        pass
    assert [c.passage.story_title for c in moment.columns] == [source.story_title, "Camilla Roche"]


def test_heat_map_then_a_pair_side_by_side_then_export_and_back(
    qtbot: QtBot,
    open_window: OpenWindow,
    library_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(library_copy)
    window.act.heat_map.trigger()
    heat = window.pages.currentWidget()
    qtbot.waitUntil(lambda: heat.map.matrix is not None, timeout=READY_MS)
    first, second = heat.map.matrix.stories[:2]
    heat.map.pair_requested.emit(first.id, second.id)
    both = window.pages.currentWidget()
    assert both is not heat
    qtbot.waitUntil(lambda: both.alignment is not None, timeout=READY_MS)
    assert [s.id for s in both.alignment.stories] == [first.id, second.id]
    target = tmp_path / "side by side.html"
    # The platform's save dialog cannot run offscreen; what it would return is given.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: (str(target), ""))
    with qtbot.waitSignal(window.service.exported, timeout=READY_MS):
        both.export_button.click()
    written = target.read_text("utf-8")
    assert f"{first.title} and {second.title}, aligned" in written
    window.act.close_compare.trigger()  # Esc: back to the heat map it was opened from
    assert window.pages.currentWidget() is heat
    window.act.close_compare.trigger()
    assert window.pages.currentIndex() == 0


def test_two_stories_chosen_in_the_library_open_side_by_side(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    stories = window.stories.stories()
    window.library.side_by_side_requested.emit([stories[0].id, stories[1].id])
    both = window.pages.currentWidget()
    qtbot.waitUntil(lambda: getattr(both, "alignment", None) is not None, timeout=READY_MS)
    assert both.stories == (stories[0].id, stories[1].id)


def test_storylens_side_by_side_opens_the_two_stories_when_the_library_is_open(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    """What `storylens --side-by-side A B` asks of the window (app/main.py run_app): stories
    named by title or file name; a name that matches nothing is said."""
    window = open_window(library_copy, wait=False)
    window.open_side_by_side_when_ready("sofia kalejs", "camilla-roche.txt", "Romy Baktybekova")
    window.start()
    qtbot.waitUntil(lambda: window.comparisons.showing, timeout=READY_MS)
    both = window.pages.currentWidget()
    qtbot.waitUntil(lambda: both.alignment is not None, timeout=READY_MS)
    assert [s.title for s in both.alignment.stories] == [
        "Sofia Kalejs",
        "Camilla Roche",
        "Romy Baktybekova",
    ]
    window.comparisons.close()
    window.open_side_by_side_when_ready("Sofia Kalejs", "Nobody")
    with qtbot.waitSignal(window.service.library_changed, timeout=READY_MS):
        window.service.reindex()
    qtbot.waitUntil(lambda: window.side_by_side_notice is not None, timeout=READY_MS)
    notice = window.side_by_side_notice
    assert notice is not None and "No story called “Nobody”" in notice.text()
    assert not window.comparisons.showing
    notice.close()
    qtbot.waitUntil(lambda: not window.service.is_building, timeout=READY_MS)
