"""Edit > Preferences: the settings a person chooses (app/settings.py), in one dialog.

The dialog only edits a copy of the choices; the window applies them when it is accepted
(MainWindow.apply_preferences), so Cancel leaves everything as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.settings import (
    PRECISIONS,
    RESULTS_PER_SEARCH,
    THEMES,
    Precision,
    Settings,
    Theme,
)

THEME_NAMES: dict[Theme, str] = {"system": "As the system", "light": "Light", "dark": "Dark"}
PRECISION_NAMES: dict[Precision, str] = {
    "auto": "Automatic (bfloat16 where this CPU computes it natively)",
    "fp32": "Float32 (exact; about half the speed where bfloat16 is native)",
    "bf16": "BFloat16 (fast on CPUs with AMX or AVX512_BF16, slow elsewhere)",
}


@dataclass(frozen=True)
class Choices:
    """What the dialog lets a person change."""

    theme: Theme
    results_per_search: int
    precision: Precision

    @classmethod
    def of(cls, settings: Settings) -> Choices:
        return cls(settings.theme, settings.results_per_search, settings.precision)


class PreferencesDialog(QDialog):
    """Theme, results per search and the model's arithmetic. `running` names the precision
    the loaded model runs in, when one is loaded: a changed precision applies from the next
    start, and the dialog says so."""

    def __init__(
        self, current: Choices, *, running: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.theme = QComboBox()
        for theme in THEMES:
            self.theme.addItem(THEME_NAMES[theme], theme)
        self.theme.setCurrentIndex(THEMES.index(current.theme))
        self.results = QSpinBox()
        self.results.setRange(*RESULTS_PER_SEARCH)
        self.results.setValue(current.results_per_search)
        self.precision = QComboBox()
        for precision in PRECISIONS:
            self.precision.addItem(PRECISION_NAMES[precision], precision)
        self.precision.setCurrentIndex(PRECISIONS.index(current.precision))
        note = "Float32 and bfloat16 rank alike; an index built in one is searched in the other."
        if running is not None:
            now = {"fp32": "float32", "bf16": "bfloat16"}.get(running, running)
            note += f" The model runs in {now} now; a change applies from the next start."
        self.precision_note = QLabel(note)
        self.precision_note.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Theme:", self.theme)
        form.addRow("&Results per search:", self.results)
        form.addRow("Model &precision:", self.precision)
        form.addRow("", self.precision_note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 40)

    def choices(self) -> Choices:
        """What the dialog shows now (what the window applies if it is accepted)."""
        return Choices(
            theme=self.theme.currentData(),
            results_per_search=self.results.value(),
            precision=self.precision.currentData(),
        )
