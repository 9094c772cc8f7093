"""What narrows a search, under the search box as chips: the story filter (the library's
checkboxes) and each "phrase" and -exclusion of the query, so a person sees what constrains the
results and can take one out with a click.

A constraint no passage met is set aside by the search (index/search/query.py); its chip stays,
dashed and muted, with a tooltip that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QToolButton, QWidget

from app.flow_layout import FlowLayout
from app.theme import named


class QueryChips(QWidget):
    """Signals:
    removed(str): the constraint of a chip clicked, as ParsedQuery.constraints writes it.
    scope_removed(): the story filter's chip clicked: search every story.
    """

    removed = Signal(str)
    scope_removed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Rows that wrap: however many chips, they never hold the results pane wide.
        self._layout = FlowLayout(self, spacing=round(self.fontMetrics().height() * 0.35))
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._label = named(QLabel("Narrowed by:", self), "muted")
        self._layout.addWidget(self._label)
        self.chips: list[QToolButton] = []
        self.setVisible(False)

    def show_constraints(
        self, constraints: tuple[str, ...], relaxed: tuple[str, ...], scope: str | None = None
    ) -> None:
        """A chip for the story filter (`scope`, e.g. "in 3 of 4 stories") when there is one,
        then one per constraint, those set aside marked; hidden when there is none."""
        for chip in self.chips:
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        if scope is not None:
            chip = self._chip(scope, "Search every story", self.scope_removed.emit)
            chip.setToolTip(
                "Only the stories checked in the library are searched. Click to search every story."
            )
        for constraint in constraints:
            chip = self._chip(
                constraint,
                f"Remove {constraint} from the query",
                partial(self.removed.emit, constraint),
            )
            set_aside = constraint in relaxed
            chip.setProperty("relaxed", set_aside)
            chip.setToolTip(_tooltip(constraint, set_aside))
        self.setVisible(bool(self.chips))

    def _chip(self, text: str, accessible: str, clicked: Callable[[], None]) -> QToolButton:
        chip = named(QToolButton(self), "chip")
        chip.setText(f"{text}  ✕")
        chip.setCursor(Qt.CursorShape.PointingHandCursor)
        chip.setAccessibleName(accessible)
        chip.clicked.connect(lambda _=False: clicked())
        self._layout.addWidget(chip)
        self.chips.append(chip)
        return chip


def _tooltip(constraint: str, set_aside: bool) -> str:
    what = (
        "Passages with this are left out."
        if constraint.startswith("-")
        else "Only passages with this phrase, whole words in order."
    )
    if set_aside:
        what = "No passage meets this as well as the rest of the query, so it is set aside."
    return f"{what} Click to take it out of the query."
