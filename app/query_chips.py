"""The query as search read it: each "phrase" and -exclusion under the search box as a chip,
so a person sees what constrains the results and can take one out with a click.

A constraint no passage met is set aside by the search (index/search/query.py); its chip stays,
dashed and muted, with a tooltip that says so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QToolButton, QWidget

from app.flow_layout import FlowLayout
from app.theme import named


class QueryChips(QWidget):
    """Signals:
    removed(str): the constraint of a chip clicked, as ParsedQuery.constraints writes it.
    """

    removed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Rows that wrap: however many chips, they never hold the results pane wide.
        self._layout = FlowLayout(self, spacing=round(self.fontMetrics().height() * 0.35))
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._label = named(QLabel("Only with / leaving out:", self), "muted")
        self._layout.addWidget(self._label)
        self.chips: list[QToolButton] = []
        self.setVisible(False)

    def show_constraints(self, constraints: tuple[str, ...], relaxed: tuple[str, ...]) -> None:
        """One chip per constraint, those set aside marked; hidden when there is none."""
        for chip in self.chips:
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for constraint in constraints:
            chip = named(QToolButton(self), "chip")
            chip.setText(f"{constraint}  ✕")
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            chip.setAccessibleName(f"Remove {constraint} from the query")
            set_aside = constraint in relaxed
            chip.setProperty("relaxed", set_aside)
            chip.setToolTip(_tooltip(constraint, set_aside))
            chip.clicked.connect(lambda _=False, c=constraint: self.removed.emit(c))
            self._layout.addWidget(chip)
            self.chips.append(chip)
        self.setVisible(bool(constraints))


def _tooltip(constraint: str, set_aside: bool) -> str:
    what = (
        "Passages with this are left out."
        if constraint.startswith("-")
        else "Only passages with this phrase, whole words in order."
    )
    if set_aside:
        what = "No passage meets this as well as the rest of the query, so it is set aside."
    return f"{what} Click to take it out of the query."
