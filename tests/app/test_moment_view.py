""" "The same moment in every story" on the real engine and the sample stories (offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.moment_view import MomentView
from app.service import LibraryService
from index import Library
from index.compare.align import same_moment

WAIT_MS = 60_000


@pytest.fixture
def service(seed_service: LibraryService) -> LibraryService:
    return seed_service


@pytest.fixture(scope="module")
def lib(seed_library: Library) -> Library:
    return seed_library


@pytest.fixture
def view(qtbot: QtBot, service: LibraryService) -> MomentView:
    shown = MomentView(service)
    qtbot.addWidget(shown)
    shown.resize(1100, 400)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def camilla_bow(lib: Library) -> int:
    story = lib.find_story("Camilla Roche").id
    return next(p.id for p in lib.passages(story) if "triumphant bow" in p.text)


def columns_of(view: MomentView) -> list[tuple[str, int]]:
    return [(c.passage.story_title, c.passage.id) for c in view.columns]


def test_every_other_story_shows_its_closest_passage(
    view: MomentView, qtbot: QtBot, lib: Library
) -> None:
    source = camilla_bow(lib)
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_moment(source)
    expected = [("Camilla Roche", source)] + [
        (h.passage.story_title, h.passage.id) for h in same_moment(lib, source)
    ]
    assert columns_of(view) == expected
    assert {title for title, _ in expected} == {s.title for s in lib.stories()}
    kalejs = next(c for c in view.columns if c.passage.story_title == "Sofia Kalejs")
    assert "final bow" in kalejs.passage.text
    assert "similarity" in kalejs.header.text()
    assert "As she took her final bow" in kalejs.text.toPlainText()


def test_next_passage_moves_every_column(view: MomentView, qtbot: QtBot, lib: Library) -> None:
    source = camilla_bow(lib)
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_moment(source)
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    camilla = lib.passages(lib.find_story("Camilla Roche").id)
    following = camilla[lib.passage(source).ordinal + 1].id
    assert columns_of(view) == [("Camilla Roche", following)] + [
        (h.passage.story_title, h.passage.id) for h in same_moment(lib, following)
    ]
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.previous_button.click()
    assert columns_of(view)[0] == ("Camilla Roche", source)


def test_the_ends_of_the_story_disable_stepping(
    view: MomentView, qtbot: QtBot, lib: Library
) -> None:
    camilla = lib.passages(lib.find_story("Camilla Roche").id)
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_moment(camilla[0].id)
    assert not view.previous_button.isEnabled() and view.next_button.isEnabled()
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_moment(camilla[-1].id)
    assert view.previous_button.isEnabled() and not view.next_button.isEnabled()


def test_columns_ask_to_compare_and_to_open(view: MomentView, qtbot: QtBot, lib: Library) -> None:
    source = camilla_bow(lib)
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_moment(source)
    other = view.columns[2]
    with qtbot.waitSignal(view.compare_requested, timeout=1000) as compare:
        other.header.linkActivated.emit("compare")
    assert compare.args == [source, other.passage.id]
    with qtbot.waitSignal(view.passage_requested, timeout=1000) as opened:
        other.header.linkActivated.emit("open")
    assert opened.args == [other.passage.id]
    assert "compare" not in view.columns[0].header.text()  # nothing to compare the source with


def test_columns_scroll_together(view: MomentView, qtbot: QtBot, lib: Library) -> None:
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_moment(camilla_bow(lib))
    view.resize(1100, 260)
    qtbot.waitUntil(lambda: view.columns[0].text.verticalScrollBar().maximum() > 0)
    first = view.columns[0].text.verticalScrollBar()
    first.setValue(first.maximum())
    for column in view.columns[1:]:
        bar = column.text.verticalScrollBar()
        assert bar.value() == bar.maximum()


def test_escape_closes_and_failures_are_shown(view: MomentView, qtbot: QtBot) -> None:
    with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failure:
        view.show_moment(999_999)
    assert failure.args == ["No passage 999999 in this index."]
    assert view.status.text() == "No passage 999999 in this index."
    with qtbot.waitSignal(view.closed, timeout=1000):
        qtbot.keyClick(view, Qt.Key.Key_Escape)


def test_the_closest_few_first_all_on_request_and_only_the_stories_chosen(
    qtbot: QtBot, service: LibraryService, lib: Library
) -> None:
    view = MomentView(service, first=2)
    qtbot.addWidget(view)
    view.show()
    source = camilla_bow(lib)
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_moment(source)
    ranked = [(h.passage.story_title, h.passage.id) for h in same_moment(lib, source)]
    assert columns_of(view)[1:] == ranked[:2]  # the two closest, the closest first
    assert view.all_button.isVisible() and view.all_button.text() == "All 3 stories"
    assert view.status.text().startswith("The 2 closest of 3 other stories")
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.all_button.click()
    assert columns_of(view)[1:] == ranked
    assert not view.all_button.isVisible()

    romy = lib.find_story("Romy Baktybekova").id
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_moment(source, stories=[romy])  # a search limited to one other story
    assert [title for title, _ in columns_of(view)] == ["Camilla Roche", "Romy Baktybekova"]
    assert view.status.text().startswith("1 checked story")
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.next_button.click()  # the next passage keeps to the same stories
    assert [title for title, _ in columns_of(view)] == ["Camilla Roche", "Romy Baktybekova"]


def test_the_moment_exports_as_the_engine_ranks_it(
    view: MomentView, qtbot: QtBot, lib: Library
) -> None:
    import json

    assert view.export_document("json") == ""  # nothing shown yet
    with qtbot.waitSignal(view.shown, timeout=WAIT_MS):
        view.show_moment(camilla_bow(lib))
    exported = json.loads(view.export_document("json"))
    ranked = same_moment(lib, camilla_bow(lib), limit=6)
    assert [h["passage_id"] for h in exported["hits"]] == [h.passage.id for h in ranked]
    assert view.export_document("md").startswith("# The same moment as Camilla Roche, passage")
