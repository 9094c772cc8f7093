"""The side-by-side comparison on the real engine and the sample stories (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QPalette, QTextCursor
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.compare_view import SLIDER_MAX, SLIDER_MIN, THRESHOLD_STEP, CompareView, Side
from app.compare_widgets import PASSAGE_MIME, context_colour
from app.service import LibraryService
from app.settings import Theme
from app.theme import apply_theme, contrast_ratio
from index import Embedder, Library, Passage

WAIT_MS = 60_000


@pytest.fixture
def service(seed_service: LibraryService) -> LibraryService:
    return seed_service


@pytest.fixture(scope="module")
def passages(seed_index: Path, embedder: object) -> dict[str, Passage]:
    """Passages by a phrase they contain (looked up directly: this is the test, not the view)."""
    assert isinstance(embedder, Embedder)
    wanted = {
        "camilla bow": ("Camilla Roche", "took a triumphant bow"),
        "sofia bow": ("Sofia Kalejs", "As she took her final bow"),
        "romy stage": ("Romy Baktybekova", "back on the NYC Ballet stage"),
    }
    with Library.open(seed_index, embedder=embedder) as lib:
        return {
            key: next(p for p in lib.passages(lib.find_story(story).id) if phrase in p.text)
            for key, (story, phrase) in wanted.items()
        }


@pytest.fixture
def view(qtbot: QtBot, service: LibraryService, passages: dict[str, Passage]) -> CompareView:
    shown = CompareView(service)
    qtbot.addWidget(shown)
    shown.resize(1000, 420)
    shown.show()
    qtbot.waitExposed(shown)
    with qtbot.waitSignal(shown.aligned, timeout=WAIT_MS):
        shown.set_passages(passages["camilla bow"], passages["sofia bow"])
    return shown


def test_the_bow_sentences_are_shown_matched_in_one_colour(view: CompareView) -> None:
    matched = view.highlighted_pairs()
    assert len(matched) == len(view.pairs) >= 1
    bow = [right for left, right in matched if "triumphant bow" in left]
    assert bow, matched
    assert "final bow" in bow[0] or "applause was thunderous" in bow[0]
    assert any("mother's words" in text for text in view.only_texts(Side.RIGHT))
    # Nothing is drawn across the letters: every mark is a plain tint (no hatch pattern).
    for pane in (view.left_pane, view.right_pane):
        assert {brush.style() for _s, _e, brush in pane.painted()} == {Qt.BrushStyle.SolidPattern}
    assert "Camilla Roche" in view.left_pane.header.text()
    assert "passage 7 of 9" in view.left_pane.header.text()
    assert "Sofia Kalejs" in view.right_pane.header.text()
    assert view.alignment is not None
    assert f"{view.alignment.similarity:.2f}" in view.similarity.text()


def test_hovering_a_sentence_tells_its_counterpart_and_score(view: CompareView) -> None:
    alignment = view.alignment
    assert alignment is not None and alignment.pairs and alignment.right_only
    pane = view.right_pane
    content = pane.content
    assert content is not None

    def tip_over(sentence_start: int) -> str:
        cursor = QTextCursor(pane.text.document())
        cursor.setPosition(sentence_start - content.context_start + 2)
        return pane.tip_at(pane.text.cursorRect(cursor).center())

    pair = alignment.pairs[0]
    right = alignment.right_sentences[pair.right_index]
    left = alignment.left_sentences[pair.left_index]
    assert tip_over(right.start) == f"Similarity {pair.score:.2f} with “{left.text}”"
    alone = alignment.right_sentences[alignment.right_only[0]]
    assert tip_over(alone.start).startswith("Only in this story: no sentence")


def test_neighbouring_text_is_shown_dimmed(view: CompareView) -> None:
    pane = view.left_pane
    content = pane.content
    assert content is not None
    text = pane.text.toPlainText()
    passage = content.passage
    assert content.context_start < passage.start  # the passage before is shown too
    assert "The final notes faded away" in text and "Backstage, her director" in text

    def colour_at(story_offset: int) -> QColor:
        cursor = QTextCursor(pane.text.document())
        cursor.setPosition(
            story_offset - content.context_start + 1
        )  # the format of the char before
        return cursor.charFormat().foreground().color()

    assert colour_at(content.context_start) != colour_at(passage.start + 1)
    assert colour_at(passage.end + 2) == colour_at(content.context_start)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_neighbouring_text_stays_readable_in_either_theme(theme: Theme, qapp: QApplication) -> None:
    """Dimmed, yet with the 4.5:1 contrast that body text needs (WCAG AA)."""
    app = qapp
    apply_theme(app, theme)
    palette = app.palette()
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    dimmed = context_colour(palette)
    assert 4.5 <= contrast_ratio(dimmed, base) < contrast_ratio(text, base) - 3
    apply_theme(app, "light")


def test_the_threshold_slider_only_ever_removes_pairs(view: CompareView, qtbot: QtBot) -> None:
    counts = []
    for value in range(SLIDER_MIN, SLIDER_MAX + 1):
        view.slider.setValue(value)
        counts.append((len(view.pairs), len(view.highlighted_pairs())))
    shown = [count for count, _ in counts]
    assert all(pairs == highlighted for pairs, highlighted in counts)
    assert shown == sorted(shown, reverse=True)
    assert shown[0] > shown[-1] == 0
    alignment = view.alignment
    assert alignment is not None
    assert len(view.only_texts(Side.LEFT)) == len(alignment.left_sentences)
    assert view.pair_label.text() == "Pair none"
    assert not view.next_button.isEnabled()
    assert view.status.text().startswith("0 sentence pairs match at ")
    for value in range(SLIDER_MIN, SLIDER_MAX + 1):  # the status counts in plain words
        view.slider.setValue(value)
        if len(view.pairs) == 1:
            assert view.status.text().startswith("1 sentence pair match at ")


def test_keys_make_the_matching_stricter_or_looser(view: CompareView, qtbot: QtBot) -> None:
    start = view.slider.value()
    qtbot.keyClick(
        view.left_pane.text, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier
    )
    assert view.slider.value() == start + THRESHOLD_STEP
    qtbot.keyClick(view.left_pane.text, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.left_pane.text, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.ControlModifier)
    assert view.slider.value() == start - THRESHOLD_STEP
    assert view.threshold_label.text()  # says the new threshold


def test_the_band_is_drawn_only_for_pairs(view: CompareView) -> None:
    def painted_colours() -> int:
        image = view.band.grab().toImage()
        return len(
            {
                image.pixel(x, y)
                for x in range(0, image.width(), 4)
                for y in range(0, image.height(), 4)
            }
        )

    assert painted_colours() > 1
    view.set_threshold(0.95)
    assert painted_colours() == 1


def test_swap_exchanges_the_sides(view: CompareView) -> None:
    before = view.highlighted_pairs()
    with_sides = (view.left_pane.header.text(), view.right_pane.header.text())
    view.swap_button.click()
    assert (view.right_pane.header.text(), view.left_pane.header.text()) == with_sides
    assert sorted(view.highlighted_pairs()) == sorted((b, a) for a, b in before)


def test_f3_steps_through_the_pairs_and_scrolls_both_sides(view: CompareView, qtbot: QtBot) -> None:
    view.set_threshold(0.3)
    count = len(view.pairs)
    assert count >= 2
    view.resize(900, 160)  # short panes, so showing a pair means scrolling to it
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    view.left_pane.text.setFocus()
    seen, positions = [], set()
    for _ in range(count):
        qtbot.keyClick(view.left_pane.text, Qt.Key.Key_F3)
        seen.append(view.current_pair)
        alignment = view.alignment
        assert alignment is not None and view.current_pair is not None
        pair = alignment.pairs[view.current_pair]
        for pane, sentence in (
            (view.left_pane, alignment.left_sentences[pair.left_index]),
            (view.right_pane, alignment.right_sentences[pair.right_index]),
        ):
            top, bottom = pane.span_y(sentence.start, sentence.end, pane.text.viewport())
            assert bottom > 0 and top < pane.text.viewport().height()
        positions.add(view.left_pane.text.verticalScrollBar().value())
    assert sorted(seen) == list(range(count))
    assert len(positions) > 1  # the pairs are not all in one view: it did scroll
    qtbot.keyClick(view.left_pane.text, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_pair == seen[-2]


def test_escape_closes(view: CompareView, qtbot: QtBot) -> None:
    with qtbot.waitSignal(view.closed, timeout=1000):
        qtbot.keyClick(view.left_pane.text, Qt.Key.Key_Escape)


def drag_enter(pane: QWidget, mime: QMimeData) -> bool:
    at = QPointF(pane.width() / 2, pane.height() / 2)
    how = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    try:
        event = QDragEnterEvent(at, *how)  # PySide6 6.12 on
    except TypeError:
        event = QDragEnterEvent(at.toPoint(), *how)  # before 6.12 it takes a QPoint
    event.ignore()
    QApplication.sendEvent(pane, event)
    return event.isAccepted()


def drop(pane: QWidget, passage_id: int) -> None:
    """What the results list's drag does: a passage id under the Storylens MIME type."""
    mime = QMimeData()
    mime.setData(PASSAGE_MIME, str(passage_id).encode("ascii"))
    assert drag_enter(pane, mime)
    event = QDropEvent(
        QPointF(pane.width() / 2, pane.height() / 2),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(pane, event)
    assert event.isAccepted()


def test_a_dropped_passage_replaces_that_side(
    view: CompareView, qtbot: QtBot, passages: dict[str, Passage]
) -> None:
    with qtbot.waitSignal(view.aligned, timeout=WAIT_MS):
        drop(view.right_pane, passages["romy stage"].id)
    assert "Romy Baktybekova" in view.right_pane.header.text()
    assert "Camilla Roche" in view.left_pane.header.text()
    plain = QMimeData()
    plain.setText("just text")
    assert not drag_enter(view.left_pane, plain)


def test_drops_on_an_empty_view_compare_once_both_sides_have_a_passage(
    qtbot: QtBot, service: LibraryService, passages: dict[str, Passage]
) -> None:
    empty = CompareView(service)
    qtbot.addWidget(empty)
    empty.show()
    with qtbot.waitSignal(empty.left_pane.text.textChanged, timeout=WAIT_MS):
        drop(empty.left_pane, passages["sofia bow"].id)
    qtbot.waitUntil(lambda: not empty.busy)
    assert "Sofia Kalejs" in empty.left_pane.header.text()
    assert empty.alignment is None and empty.left_pane.painted() == []
    with qtbot.waitSignal(empty.aligned, timeout=WAIT_MS):
        drop(empty.right_pane, passages["camilla bow"].id)
    assert [right for left, right in empty.highlighted_pairs() if "final bow" in left]


def test_a_missing_passage_is_reported_in_the_view(
    view: CompareView, qtbot: QtBot, passages: dict[str, Passage]
) -> None:
    with qtbot.waitSignal(view.failed, timeout=WAIT_MS) as failure:
        view.compare(passages["camilla bow"].id, 999_999)
    assert failure.args == ["No passage 999999 in this index."]
    assert view.status.text() == "No passage 999999 in this index."


def test_open_in_story_asks_for_that_passage(
    view: CompareView, qtbot: QtBot, passages: dict[str, Passage]
) -> None:
    with qtbot.waitSignal(view.passage_requested, timeout=1000) as request:
        view.right_pane.header.linkActivated.emit("open")
    assert request.args == [passages["sofia bow"].id]


def test_the_comparison_exports_as_shown(view: CompareView) -> None:
    """At the slider's threshold: every pair shown is a marked pair in the HTML file."""
    import json

    assert view.alignment is not None
    page = view.export_document("html")
    assert page.count("<mark") == 2 * len(view.pairs)
    shown = json.loads(view.export_document("json"))
    assert len(shown["pairs"]) == len(view.pairs)
    assert shown["threshold"] == view.alignment.threshold
