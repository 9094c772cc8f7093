"""Window chrome: layout restored between runs, themes, shortcuts, comparison hooks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QAction, QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QMenu, QStyle, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from app.dialogs import ShortcutsDialog
from app.settings import Settings
from app.theme import DARK, LIGHT, apply_theme, colors
from tests.app.conftest import READY_MS, OpenWindow
from tests.app.test_main_window import search


def test_window_size_and_pane_layout_are_restored(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    first = open_window(library_copy)
    first.resize(QSize(760, 520))
    first.splitter.setSizes([160, 260, 340])
    sizes = first.splitter.sizes()
    first.close()
    qtbot.waitUntil(lambda: not first.isVisible())

    second = open_window(library_copy)
    assert second.size() == QSize(760, 520)
    assert second.splitter.sizes() == sizes


def test_themes_switch_and_are_remembered(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, config_dir: Path
) -> None:
    window = open_window(library_copy)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        window.set_theme("dark")
        assert colors() is DARK
        assert app.palette().color(QPalette.ColorRole.Base).name() == DARK.base
        assert Settings.load(config_dir).theme == "dark"
        window.set_theme("light")
        assert colors() is LIGHT
    finally:
        window.set_theme("system")


def test_help_lists_the_shortcuts(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    listed = {s.what: s.keys for s in window.shortcuts()}
    assert listed["Search"] == "Ctrl+L, Ctrl+F"
    assert listed["Compare selected"] == "Ctrl+D"
    assert listed["Close comparison"] == "Esc"
    assert listed["Copy as Markdown"] == "Ctrl+C"
    assert listed["More like this"] == "Ctrl+Shift+F"
    assert "Previous passage" in listed


def test_the_search_box_has_the_keyboard_when_the_window_opens(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert window.focusWidget() is window.search.box
    qtbot.keyClicks(window.focusWidget(), "a dancer doubts")  # typing at once searches
    assert window.search.box.text() == "a dancer doubts"


def test_ctrl_l_focuses_the_search_box(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    window.activateWindow()
    window.reader.text.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.search.box.hasFocus()


def test_comparing_two_results_opens_a_comparison_or_says_it_is_unavailable(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    search(qtbot, window)
    window.search.list.selectAll()
    window.search.list.selectionModel().select(
        window.search.model.index(2, 0),
        window.search.list.selectionModel().SelectionFlag.Deselect,
    )
    assert len(window.search.selected_hits()) > 2
    window.search.move_current(0)
    qtbot.keyClick(
        window.search.list, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier
    )  # rows 0 and 1
    assert len(window.search.selected_hits()) == 2
    window.act.compare.trigger()
    if importlib.util.find_spec("app.compare_view") is None:
        notice = window.comparisons.notice
        assert notice is not None and notice.isVisible()
        assert "not part of this build" in notice.text()
        assert window.pages.currentIndex() == 0
        notice.close()
    else:
        assert window.pages.currentIndex() == 1
        assert window.act.close_compare.isEnabled()
        window.act.close_compare.trigger()  # Esc
        assert window.pages.currentIndex() == 0


def test_a_model_that_cannot_load_is_reported_and_search_says_so(
    qtbot: QtBot, tmp_path: Path, config_dir: Path
) -> None:
    from app.main import create_window
    from app.search_view import UNAVAILABLE_PLACEHOLDER
    from index import Embedder

    window = create_window(
        tmp_path / "index", config_dir=config_dir, embedder=Embedder(tmp_path / "no-such-model")
    )
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.service.failed, timeout=30_000) as failed:
        window.start()
    assert "Model directory not found" in failed.args[0]
    qtbot.waitUntil(lambda: window.search.box.placeholderText() == UNAVAILABLE_PLACEHOLDER)
    assert "Model directory not found" in window.statusBar().currentMessage()
    window.close()


def test_the_first_window_uses_most_of_its_screen(
    open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    room = window.screen().availableGeometry().size()
    assert window.width() <= room.width()
    assert window.height() <= room.height()
    assert window.width() >= 0.8 * room.width() - 1


def test_file_dialogs_open_at_home_then_where_stories_came_from(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, seeds: Path
) -> None:
    window = open_window(library_copy)
    assert window.start_dir == str(Path.home())  # not the folder it was started in
    with qtbot.waitSignal(window.service.build_finished, timeout=READY_MS):
        window.add_paths([seeds / "camilla-roche.txt"])
    assert window.start_dir == str(seeds)


def test_every_menu_item_has_an_accelerator_of_its_own(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    """Alt and a letter reach every menu and every item in it: no two items of a menu share
    their letter."""
    window = open_window(library_copy)

    def letters(actions: list[QAction]) -> list[str]:
        """The accelerator letter of each item, after checking each submenu's own."""
        found = []
        for action in actions:
            if action.isSeparator():
                continue
            text = action.text()
            assert "&" in text, f"{text!r} has no accelerator"
            found.append(text[text.index("&") + 1].lower())
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                inside = letters(submenu.actions())
                assert len(set(inside)) == len(inside), inside
        return found

    menus = window.menuBar().actions()
    assert len(set(letters(menus))) == len(menus)


def test_an_unchecked_box_stands_out_in_both_themes(qtbot: QtBot) -> None:
    """Fusion outlined check boxes in the window colour darkened: on the dark theme an
    unchecked story's box was nearly invisible. Drawn now in the theme's own colours."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        for theme in ("dark", "light"):
            apply_theme(app, theme)
            background = QColor(colors().window)
            image = QImage(24, 24, QImage.Format.Format_ARGB32)
            image.fill(background)
            option = QStyleOptionViewItem()
            option.rect = QRect(3, 3, 18, 18)
            option.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Off
            painter = QPainter(image)
            app.style().drawPrimitive(
                QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck, option, painter
            )
            painter.end()
            drawn = [QColor(image.pixel(x, y)) for x in range(24) for y in range(24)]
            contrast = max(abs(c.lightness() - background.lightness()) for c in drawn)
            assert contrast >= 60, f"{theme}: the box differs from its background by {contrast}"
    finally:
        apply_theme(app, "system")


def test_tab_goes_through_the_panes_left_to_right(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    """From the library's + through its stories, the search box, the results and the
    reader, and round again: the sidebar is no longer reached last."""
    window = open_window(library_copy)
    search(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    expected = [w for w in window.tab_order() if w.isVisible() and w.isEnabled()]
    expected[0].setFocus()
    visited = []
    for _ in range(len(expected)):
        visited.append(QApplication.focusWidget())
        window.focusNextChild()
    assert visited == expected
    assert QApplication.focusWidget() is expected[0]  # round again


def test_the_shortcut_list_shows_every_row_at_once(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path
) -> None:
    window = open_window(library_copy)
    dialog = ShortcutsDialog(window.shortcuts(), window)
    dialog.show()
    qtbot.waitExposed(dialog)
    screen = dialog.screen().availableGeometry().height()
    assert dialog.model.rowCount() > 15
    everything_fits = dialog.table.verticalScrollBar().maximum() == 0
    assert everything_fits or dialog.height() == round(screen * 0.85)  # or most of the screen
    dialog.close()
