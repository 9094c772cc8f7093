"""The window on the real engine and the sample stories: start-up, search, reading, filters."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from app.highlight import utf16_index
from app.main_window import OLDER_INDEX_MESSAGE
from app.search_view import LOADING_PLACEHOLDER, READY_PLACEHOLDER, EmptyState
from app.settings import SETTINGS_NAME
from index import BuildProgress
from tests.app.conftest import QUERY, READY_MS, OpenWindow
from tests.conftest import SEEDS_TITLES
from tests.older_index import without_stored_tokens


def search(qtbot: QtBot, window: object, query: str = QUERY) -> None:
    """Type `query` the way a person would and wait for its results."""
    box = window.search.box  # type: ignore[attr-defined]
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS):  # type: ignore[attr-defined]
        box.setFocus()
        box.clear()
        qtbot.keyClicks(box, query)


def wait_until_reading(qtbot: QtBot, reader: object, passage_id: int) -> None:
    """Until the reader shows that passage (its story loads in a worker)."""
    qtbot.waitUntil(
        lambda: reader.passage is not None and reader.passage.id == passage_id  # type: ignore[attr-defined]
    )


def test_first_run_indexes_the_sample_stories_with_visible_progress(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, config_dir: Path
) -> None:
    window = open_window(tmp_path / "fresh-index", first_run=True, wait=False)
    assert window.isVisible()
    assert window.search.box.placeholderText() == LOADING_PLACEHOLDER
    progress: list[BuildProgress] = []
    window.service.build_progress.connect(progress.append)
    with qtbot.waitSignal(window.service.build_started, timeout=READY_MS):
        window.start()
    assert window.build_status.isVisible()
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS):
        pass
    assert window.search.box.placeholderText() == READY_PLACEHOLDER
    assert [p.phase for p in progress if p.phase == "embedding"][-1:] == ["embedding"]
    assert progress[-1].done == progress[-1].total
    assert {s.title for s in window.stories.stories()} == SEEDS_TITLES
    assert not window.build_status.isVisible()
    saved = json.loads((config_dir / SETTINGS_NAME).read_text(encoding="utf-8"))
    assert saved["last_index_dir"] == str(tmp_path / "fresh-index")


def test_speech_in_a_query_never_empties_the_results(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    # A sentence recalled with its dialogue: text, quotes and all.
    search(qtbot, window, '"You have come so far," her teacher told her after the final bow')
    assert window.search.model.rowCount() > 0
    assert "none has" not in window.search.header.text()
    # A short query whose phrase nothing has: the closest without it, and the header says so.
    search(qtbot, window, 'her final bow "a purple elephant"')
    assert window.search.model.rowCount() > 0
    assert 'none has "a purple elephant", so without it' in window.search.header.text()
    # Exclusions that would leave nothing: said as such, the others still applied.
    search(qtbot, window, "a ballerina -her -the -she")
    assert window.search.model.rowCount() > 0
    assert 'none lacks "the"' in window.search.header.text()
    assert "so not left out" in window.search.header.text()


def test_the_query_s_phrases_and_exclusions_show_as_chips_that_take_them_out(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    assert window.statusBar().currentMessage() != OLDER_INDEX_MESSAGE
    chips = window.search.chips
    search(qtbot, window, 'ballerina "a purple elephant" -Moscow')
    assert chips.isVisible()
    assert [c.text().split("  ")[0] for c in chips.chips] == ['"a purple elephant"', "-Moscow"]
    # No passage has the phrase: it alone is set aside, and Moscow is still left out.
    assert [c.property("relaxed") for c in chips.chips] == [True, False]
    assert all("Moscow" not in hit.passage.text for hit in window.search.model.hits())
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as found:
        qtbot.mouseClick(chips.chips[0], Qt.MouseButton.LeftButton)
    assert window.search.box.text() == "ballerina -Moscow"
    assert found.args[0].constraints == ("-Moscow",) and found.args[0].relaxed == ()
    assert [c.text().split("  ")[0] for c in chips.chips] == ["-Moscow"]
    assert [c.property("relaxed") for c in chips.chips] == [False]
    assert all("Moscow" not in h.passage.text for h in found.args[0].hits)
    search(qtbot, window, "a dancer doubts she is good enough")
    assert not chips.isVisible() and chips.chips == []


def test_many_chips_and_a_long_header_wrap_rather_than_widen_the_results(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    window.resize(1280, 800)
    search(qtbot, window, "ballet")
    widths = window.splitter.sizes()
    search(qtbot, window, 'ballet "red shoes" "pink elephant" -Moscow -"New York" -father -stage')
    qtbot.wait(300)  # the layout settles (a change of size is posted, not done at once)
    chips = window.search.chips
    assert len(chips.chips) == 6
    assert window.splitter.sizes() == widths  # the reader keeps its width
    rows = {chip.geometry().top() for chip in chips.chips}
    assert len(rows) > 1  # they wrapped
    assert all(chip.geometry().right() < chips.width() for chip in chips.chips)
    header = window.search.header
    assert "none has" in header.text() and header.height() > header.fontMetrics().height() * 1.5


def test_paraphrased_query_shows_the_right_passage_first_and_the_reader_scrolls_to_it(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    first = window.search.model.hit(0)
    assert first.passage.story_title == "Sofia Kalejs"
    assert "estranged father" in first.passage.text
    assert window.search.list.currentIndex().row() == 0  # selected, so the reader opens it

    reader = window.reader
    wait_until_reading(qtbot, reader, first.passage.id)
    text = reader.text.toPlainText()
    start = utf16_index(text, first.passage.start)
    end = utf16_index(text, first.passage.end)
    assert reader.highlight_range() == (start, end)
    assert text[start:end] == first.passage.text
    best = first.why.sentences[0]  # the sentence that matched best is tinted deeper
    assert reader.highlight_range("sentence") == (
        utf16_index(text, best[0]),
        utf16_index(text, best[1]),
    )
    assert start <= utf16_index(text, best[0]) < end
    assert reader.text.textCursor().position() == start
    viewport = reader.text.viewport().rect()
    # Once the story has laid itself out (the next turn of the event loop), as a person sees it.
    qtbot.waitUntil(lambda: viewport.contains(reader.text.cursorRect().topLeft()), timeout=2000)
    assert reader.text.verticalScrollBar().value() > 0  # the story starts above the passage
    cursor_rect = reader.text.cursorRect()
    assert cursor_rect.top() > 0  # what comes before the passage stays readable above it


def test_a_theme_change_while_another_story_loads_keeps_the_shown_highlight(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    """The reader re-colours its highlight when the theme changes; if that happens while the
    next result's story is still loading, the passage it waits for must not be marked in the
    story still on screen (positions past its end made Qt warn, CI stop 21)."""
    window = open_window(library_copy)
    search(qtbot, window)
    reader = window.reader
    first = window.search.model.hit(0)
    wait_until_reading(qtbot, reader, first.passage.id)
    shown = reader.highlight_range()
    other = next(
        window.search.model.hit(row).passage
        for row in range(window.search.model.rowCount())
        if window.search.model.hit(row).passage.story_id != first.passage.story_id
    )
    reader.show_passage(other)  # its story loads in a worker: not yet here
    window.set_theme("dark")
    assert reader.highlight_range() == shown
    wait_until_reading(qtbot, reader, other.id)
    text = reader.text.toPlainText()
    assert reader.highlight_range() == (
        utf16_index(text, other.start),
        utf16_index(text, other.end),
    )


def test_the_map_waits_for_the_story_of_the_results_it_is_given(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    """A resize lays the map out again; while the next result's story is still loading, the
    results given with it belong to that story, not to the one on screen (their positions
    there crashed the map, CI)."""
    window = open_window(library_copy)
    search(qtbot, window)
    reader, hits = window.reader, window.search.model.hits()
    wait_until_reading(qtbot, reader, hits[0].passage.id)
    shown = list(reader.scroll_map.marks)
    elsewhere = [h.passage for h in hits if h.passage.story_id != hits[0].passage.story_id]
    latest = max(elsewhere, key=lambda p: p.end)  # the furthest into its story
    others = [p for p in elsewhere if p is not latest]  # as the window gives them
    reader.show_passage(latest, others=others)  # its story loads in a worker: not yet here
    reader.map_results()  # as a resize does
    assert reader.scroll_map.marks == shown
    wait_until_reading(qtbot, reader, latest.id)
    same_story = [p for p in elsewhere if p.story_id == latest.story_id]
    assert len(reader.scroll_map.marks) == len(same_story)  # its others and itself


def test_arrow_keys_in_the_search_box_move_through_the_results_and_enter_opens(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    box = window.search.box
    qtbot.keyClick(box, Qt.Key.Key_Down)
    qtbot.keyClick(box, Qt.Key.Key_Down)
    assert window.search.list.currentIndex().row() == 2
    qtbot.keyClick(box, Qt.Key.Key_Up)
    second = window.search.model.hit(1)
    qtbot.waitUntil(lambda: window.reader.passage is not None)
    assert window.reader.passage.id == second.passage.id
    qtbot.keyClick(box, Qt.Key.Key_Return)  # same query again: opens the result
    assert window.reader.text.hasFocus()


def test_enter_as_live_results_appear_keeps_the_keyboard_in_the_box(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window, "a dancer doubts")  # typed: the results come live
    box = window.search.box
    assert window.search.model.rowCount() > 0
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS):
        qtbot.keyClick(box, Qt.Key.Key_Return)  # meant as "search", not "open"
    assert box.hasFocus()
    qtbot.keyClicks(box, " herself")
    assert box.text() == "a dancer doubts herself"


def test_enter_on_a_story_in_the_library_opens_it_at_its_start(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    camilla = next(s for s in window.stories.stories() if s.title == "Camilla Roche")
    window.library.tree.setFocus()
    window.library.select_story(camilla.id)
    qtbot.keyClick(window.library.tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.reader.passage is not None, timeout=READY_MS)
    assert window.reader.passage.story_title == "Camilla Roche"
    assert window.reader.passage.ordinal == 0
    assert window.reader.text.hasFocus()


def test_a_query_typed_before_the_model_is_ready_is_answered_once_it_is(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy, wait=False)
    window.search.box.setText(QUERY)
    window.search.box.submitted.emit()
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as answer:
        window.start()
    assert answer.args[0].query == QUERY
    assert window.search.model.hit(0).passage.story_title == "Sofia Kalejs"


def test_story_checkboxes_filter_the_results(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    model = window.stories
    sofia = next(s for s in model.stories() if s.title == "Sofia Kalejs")
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as answer:
        model.setData(
            model.story_index(sofia.id), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole
        )
    titles = {hit.passage.story_title for hit in answer.args[0].hits}
    assert titles and "Sofia Kalejs" not in titles
    chips = window.search.chips
    assert chips.isVisible()
    assert [c.text().split("  ")[0] for c in chips.chips] == ["in 3 of 4 stories"]

    camilla = next(s for s in model.stories() if s.title == "Camilla Roche")
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as answer:
        model.set_checked({camilla.id})
    assert {hit.passage.story_title for hit in answer.args[0].hits} == {"Camilla Roche"}
    assert [c.text().split("  ")[0] for c in chips.chips] == ["in 1 of 4 stories"]

    # The filter's chip taken out: every story is checked and searched again.
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as answer:
        qtbot.mouseClick(chips.chips[0], Qt.MouseButton.LeftButton)
    assert answer.args[0].stories is None
    assert model.checked_ids() is None
    assert len({hit.passage.story_title for hit in answer.args[0].hits}) > 1
    assert not chips.isVisible()


def test_more_like_this_lists_passages_close_to_the_selected_result(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    source = window.search.current_hit()
    assert source is not None
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as answer:
        qtbot.mouseClick(window.search.more_button, Qt.MouseButton.LeftButton)
    result = answer.args[0]
    assert result.similar_to == source.passage
    assert result.hits and source.passage.id not in {h.passage.id for h in result.hits}
    assert "like Sofia Kalejs, passage 5 of 8" in window.search.header.text()


def test_ctrl_c_copies_the_selected_result_as_markdown(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    window.search.list.setFocus()
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(window.search.list, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QGuiApplication.clipboard().text()
    assert "estranged father" in copied
    assert copied.startswith("> ")
    assert "— *Sofia Kalejs*, passage 5 of 8" in copied


def test_an_empty_library_says_so_and_offers_to_add_a_folder(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    window = open_window(tmp_path / "empty-index")
    view = window.search
    assert view.stack.currentIndex() == 1
    assert view.empty_title.text() == EmptyState.NO_STORIES.value[0]
    assert view.empty_button.isVisible()
    assert window.stories.rowCount() == 0


def test_no_results_is_said_plainly(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as answer:
        window.service.search("a ballerina", stories=[])  # in no story: nothing can match
    assert answer.args[0].hits == []
    assert window.search.empty_title.text() == EmptyState.NO_RESULTS.value[0]
    assert window.reader.passage is None


def test_an_older_index_shows_results_at_once_and_a_hit_chosen_meanwhile_stays_chosen(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    from tests.app.test_service import REFINED_QUERY

    window = open_window(without_stored_tokens(library_copy))  # token match runs the model
    assert window.statusBar().currentMessage() == OLDER_INDEX_MESSAGE  # and how to cure it
    view = window.search
    with qtbot.waitSignal(window.service.search_previewed, timeout=READY_MS):
        view.box.setText(REFINED_QUERY)
        view.box.submitted.emit()
    assert view.header.text().endswith("· refining…")
    full = window.service.library.search(REFINED_QUERY, k=window.settings.results_per_search)
    full_ids = [h.passage.id for h in full]
    # The person moves to a hit of the preview (not its first) before the full answer comes.
    preview_ids = [view.model.hit(row).passage.id for row in range(view.model.rowCount())]
    row, chosen = next((r, p) for r, p in enumerate(preview_ids) if r > 0 and p in full_ids[1:])
    view.move_current(row)
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS):
        pass
    assert not view.header.text().endswith("refining…")
    assert [view.model.hit(r).passage.id for r in range(view.model.rowCount())] == full_ids
    current = view.current_hit()
    assert current is not None
    assert current.passage.id == chosen
    assert preview_ids[0] != full_ids[0]  # the refinement did change the first hit


def test_while_the_model_loads_the_stories_are_listed_and_a_query_answered_by_keywords(
    qtbot: QtBot, library_copy: Path, config_dir: Path, tmp_path: Path
) -> None:
    """A restart: the library opens in a moment, the model takes seconds. A model folder of
    its own (a copy of the bundled one) is loaded for real here, not taken from the session."""
    from app.main import create_window
    from app.settings import Settings
    from index.embed.model import DEFAULT_MODEL_NAME, default_model_dir

    model = tmp_path / "models" / DEFAULT_MODEL_NAME
    shutil.copytree(default_model_dir(), model)
    Settings(last_index_dir=str(library_copy), model=str(model), config_dir=config_dir).save()
    window = create_window(library_copy, config_dir=config_dir)
    qtbot.addWidget(window, before_close_func=lambda w: w.close())
    window.show()
    window.search.box.setText("her final bow and the applause")
    window.search.box.submitted.emit()  # typed before anything has loaded
    with qtbot.waitSignal(window.service.library_changed, timeout=READY_MS):
        window.start()
    assert {s.title for s in window.stories.stories()} == SEEDS_TITLES
    assert window.service.model_loading
    with qtbot.waitSignal(window.service.search_previewed, timeout=READY_MS) as preview:
        pass
    assert preview.args[0].keywords_only and preview.args[0].hits
    assert window.service.model_loading
    assert window.search.header.text().endswith("the model is loading: matches by meaning follow")
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as full:
        pass
    assert not full.args[0].preview and window.service.model_loaded
    assert "closest passages" in window.search.header.text()
    qtbot.waitUntil(lambda: window.service.active_jobs == 0, timeout=READY_MS)


def test_the_reader_maps_where_the_results_fall_in_the_story(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    first = window.search.model.hit(0)
    reader = window.reader
    wait_until_reading(qtbot, reader, first.passage.id)
    same_story = [
        h.passage
        for h in window.search.model.hits()
        if h.passage.story_id == first.passage.story_id
    ]
    marks = reader.scroll_map.marks
    assert len(marks) == len(same_story) > 1
    [(top, bottom, _)] = [m for m in marks if m[2]]  # the passage on show, in the accent
    order = sorted(same_story, key=lambda p: p.ordinal)
    here = order.index(first.passage)
    assert sorted(m[0] for m in marks).index(top) == here  # placed in story order
    assert 0.0 <= top < bottom <= 1.0
    bar = reader.text.verticalScrollBar()
    qtbot.mouseClick(
        reader.scroll_map, Qt.MouseButton.LeftButton, pos=QPoint(2, reader.scroll_map.height() - 2)
    )
    assert bar.value() == bar.maximum()  # a click at the bottom of the map: the story's end


def test_results_are_exported_to_the_file_named(
    qtbot: QtBot,
    open_window: OpenWindow,
    library_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    target = tmp_path / "bows.csv"
    # The platform's save dialog cannot run offscreen; what it would return is given.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: (str(target), ""))
    with qtbot.waitSignal(window.service.exported, timeout=READY_MS):
        window.act.export.trigger()
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8"))))
    assert len(rows) == window.search.model.rowCount() + 1
    assert rows[1][2] == window.search.model.hit(0).passage.story_title
    assert window.statusBar().currentMessage() == f"Saved to {target}"
