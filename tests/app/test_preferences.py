"""Edit > Preferences: the dialog shows the settings, OK applies and saves them, Cancel doesn't."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.preferences import Choices, PreferencesDialog
from app.settings import Settings
from tests.app.conftest import QUERY, READY_MS, OpenWindow


def preferences_of(qtbot: QtBot, window: object) -> PreferencesDialog:
    window.act.preferences.trigger()  # type: ignore[attr-defined]
    shown = [
        d
        for d in window.findChildren(PreferencesDialog)  # type: ignore[attr-defined]
        if d.isVisible()
    ]
    assert len(shown) == 1
    return shown[0]


def test_the_dialog_shows_the_settings_and_reads_back_what_is_chosen(qtbot: QtBot) -> None:
    dialog = PreferencesDialog(Choices("dark", 20, "auto"), running="bf16")
    qtbot.addWidget(dialog)
    assert dialog.choices() == Choices("dark", 20, "auto")
    assert "runs in bfloat16" in dialog.precision_note.text()
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    dialog.results.setValue(500)  # more than a search may ask: held to the most
    dialog.precision.setCurrentIndex(dialog.precision.findData("fp32"))
    assert dialog.choices() == Choices("light", 200, "fp32")


def test_ok_applies_and_saves_the_choices_and_cancel_changes_nothing(
    qtbot: QtBot, open_window: OpenWindow, library_copy: Path, config_dir: Path
) -> None:
    window = open_window(library_copy)
    with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as first:
        window.search.box.setText(QUERY)
        window.search.box.returnPressed.emit()
    assert len(first.args[0].hits) == 20  # the default number of results

    try:
        dialog = preferences_of(qtbot, window)
        assert dialog.choices() == Choices.of(window.settings)
        assert window.service.embedder is not None
        running = {"fp32": "float32", "bf16": "bfloat16"}[window.service.embedder.precision]
        assert f"runs in {running}" in dialog.precision_note.text()
        dialog.results.setValue(2)
        dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
        dialog.precision.setCurrentIndex(dialog.precision.findData("fp32"))
        with qtbot.waitSignal(window.service.search_finished, timeout=READY_MS) as again:
            dialog.accept()
        assert len(again.args[0].hits) == 2  # the shown search ran again with the new number
        saved = Settings.load(config_dir)
        assert (saved.theme, saved.results_per_search, saved.precision) == ("dark", 2, "fp32")
        assert [a.data() for a in window.act.themes.actions() if a.isChecked()] == ["dark"]
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        assert app.palette().window().color().lightness() < 128
        assert "next start" in window.statusBar().currentMessage()

        dialog = preferences_of(qtbot, window)
        dialog.results.setValue(50)
        dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
        dialog.reject()
        saved = Settings.load(config_dir)
        assert (saved.theme, saved.results_per_search, saved.precision) == ("dark", 2, "fp32")
        assert window.settings.results_per_search == 2
    finally:
        window.set_theme("system")  # the palette is the whole test session's
