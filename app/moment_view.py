"""The same moment in every story: a passage, and beside it the passage of every other story
that comes closest to it in meaning, one column per story. Stepping to the next passage of the
first story moves every other column to its best match for that passage."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScrollBar,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.compare_ops import JobLike, LibraryRunner, Moment, find_moment, step_moment
from app.side_by_side import SideBySideView
from index.search.results import Passage

COLUMN_MIN_WIDTH = 260


class MomentColumn(QWidget):
    """One story's passage: its title, where it is in the story, and how close it is."""

    open_requested = Signal(int)
    compare_requested = Signal(int)

    def __init__(self, passage: Passage, score: float | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.passage = passage
        self.score = score
        closeness = "this passage" if score is None else f"similarity {score:.2f}"
        links = '<a href="open">open in story</a>'
        if score is not None:
            links += ' &nbsp; <a href="compare">compare sentences</a>'
        self.header = QLabel(
            f"<b>{html.escape(passage.story_title)}</b><br>passage {passage.ordinal + 1} of "
            f"{passage.story_passage_count} &mdash; {closeness}<br>{links}"
        )
        # Three short lines, not word-wrapped: a wrapping label would make the scrolling strip
        # size itself by height-for-width and scroll as a whole instead of each text scrolling.
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.linkActivated.connect(self._link)
        self.text = QTextEdit()
        self.text.setReadOnly(True)
        self.text.setPlainText(passage.text)
        self.setMinimumWidth(COLUMN_MIN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.text, 1)

    def _link(self, link: str) -> None:
        if link == "compare":
            self.compare_requested.emit(self.passage.id)
        else:
            self.open_requested.emit(self.passage.id)


FIRST_SHOWN = 6  # stories shown at first: the closest; "All stories" shows the rest


class MomentView(SideBySideView):
    """Columns of passages telling the same moment, the chosen passage first.

    Keys: Alt+Down / Alt+Up next / previous passage of the first story, Esc close
    (app/side_by_side.py).

    Signals (and those of SideBySideView: closed, passage_requested, failed):
        compare_requested(int, int): "compare sentences" on a column: (first passage id, that
            column's passage id), for the side-by-side CompareView.
        shown(): a moment is on screen (after show_moment() or a step).
    """

    compare_requested = Signal(int, int)
    shown = Signal()

    def __init__(
        self, service: LibraryRunner, parent: QWidget | None = None, *, first: int = FIRST_SHOWN
    ) -> None:
        super().__init__(service, parent)
        self._first = first
        self._moment: Moment | None = None
        self._columns: list[MomentColumn] = []
        self._syncing = False
        self._build_ui()

    @property
    def moment(self) -> Moment | None:
        return self._moment

    @property
    def columns(self) -> list[MomentColumn]:
        return list(self._columns)

    def show_moment(self, passage_id: int, stories: Sequence[int] | None = None) -> None:
        """Find the closest passage of the other stories (of `stories`, a search's filter) to
        this one, in a worker; the closest few first, all on request."""
        first = self._first
        self._run(lambda job: find_moment(job.library, passage_id, stories, first))

    def show_all(self) -> None:
        """Every story of the moment shown, not only the closest few."""
        moment = self._moment
        if moment is not None:
            self._run(lambda job: find_moment(job.library, moment.source.id, moment.stories, None))

    def next_passage(self) -> None:
        self._step(+1)

    def previous_passage(self) -> None:
        self._step(-1)

    def _step(self, step: int) -> None:
        if self._moment is None:
            return
        moment = self._moment
        self._run(lambda job: step_moment(job.library, moment, step))

    def _run(self, op: Callable[[JobLike], Moment | None]) -> None:
        self.submit(op, self._arrived, "Looking for the same moment in the other stories…")

    def export_name(self) -> str:
        return "storylens-same-moment.md"

    def export_document(self, fmt: str) -> str:
        """The passage and each story's closest passage to it, the closest first, as a file
        (index/cli/export.py); "" before a moment is shown."""
        from index.cli.export import hits_document

        moment = self.moment
        if moment is None:
            return ""
        source = moment.source
        title = (
            f"The same moment as {source.story_title}, passage {source.ordinal + 1} of "
            f"{source.story_passage_count}"
        )
        return hits_document(list(moment.matches), fmt, title=title)  # type: ignore[arg-type]

    def _build_ui(self) -> None:
        self.title = QLabel("<b>The same moment in every story</b>")
        self.previous_button = QPushButton("◀ Previous passage")
        self.next_button = QPushButton("Next passage ▶")
        self.all_button = QPushButton("All stories")
        self.all_button.setToolTip("Show every story's closest passage, not only the closest few")
        self.all_button.clicked.connect(self.show_all)
        self.export_button = QPushButton("E&xport…")
        self.export_button.clicked.connect(self.export_requested.emit)
        self.close_button = QPushButton("Close")
        self.previous_button.setToolTip("Alt+Up: the passage before, and its matches")
        self.next_button.setToolTip("Alt+Down: the passage after, and its matches")
        self.close_button.setToolTip("Esc")
        self.previous_button.clicked.connect(self.previous_passage)
        self.next_button.clicked.connect(self.next_passage)
        self.close_button.clicked.connect(self.closed)
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        buttons = (self.previous_button, self.next_button, self.all_button, self.export_button)
        for button in (*buttons, self.close_button):
            bar.addWidget(button)

        self.strip = QWidget()
        self.strip_layout = QHBoxLayout(self.strip)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.strip)
        self.status = QLabel("Choose a passage and “Same moment in every story”.")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.status)
        self.add_keys(
            [
                (QKeySequence(Qt.Modifier.ALT | Qt.Key.Key_Down), self.next_passage),
                (QKeySequence(Qt.Modifier.ALT | Qt.Key.Key_Up), self.previous_passage),
            ]
        )
        self._update_controls()

    def _arrived(self, moment: Moment | None) -> None:
        if moment is not None:  # None: a step past the first or last passage
            self._show(moment)
        self._update_controls()
        self.shown.emit()

    def _show(self, moment: Moment) -> None:
        self._moment = moment
        for column in self._columns:
            self.strip_layout.removeWidget(column)
            column.deleteLater()
        self._columns = [MomentColumn(moment.source, None)]
        self._columns += [MomentColumn(hit.passage, hit.score) for hit in moment.matches]
        source = moment.source.id
        for column in self._columns:
            self.strip_layout.addWidget(column, 1)
            column.open_requested.connect(self.passage_requested)
            column.compare_requested.connect(
                lambda other: self.compare_requested.emit(source, other)
            )
            bar = column.text.verticalScrollBar()
            bar.valueChanged.connect(lambda _value, moved=bar: self._sync_scroll(moved))

    def _sync_scroll(self, bar: QScrollBar) -> None:
        """Scroll every column to the same fraction of its text, so they are read together."""
        if self._syncing:
            return
        fraction = bar.value() / bar.maximum() if bar.maximum() else 0.0
        self._syncing = True
        try:
            for column in self._columns:
                other = column.text.verticalScrollBar()
                if other is not bar:
                    other.setValue(round(fraction * other.maximum()))
        finally:
            self._syncing = False

    def _update_controls(self) -> None:
        moment = self._moment
        if moment is None:
            self.previous_button.setEnabled(False)
            self.next_button.setEnabled(False)
            self.all_button.setVisible(False)
            return
        self.all_button.setVisible(len(moment.matches) < moment.total)
        self.all_button.setText(f"All {moment.total} stories")
        source = moment.source
        self.previous_button.setEnabled(source.ordinal > 0)
        self.next_button.setEnabled(source.ordinal + 1 < source.story_passage_count)
        self.title.setText(
            f"<b>The same moment in every story</b> &mdash; from {html.escape(source.story_title)}"
            f", passage {source.ordinal + 1} of {source.story_passage_count}"
        )
        shown, total = len(moment.matches), moment.total
        which = f"The {shown} closest of {total}" if shown < total else f"{shown}"
        scope = " checked" if moment.stories is not None else " other"
        self.status.setText(
            f"{which}{scope} stor{'y' if total == 1 else 'ies'}, the closest first: each column "
            "is that story's closest passage."
        )
