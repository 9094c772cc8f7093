"""The library's heat map: how close every two stories are, in an order that puts stories that
tell alike together; beside it the closest pairs as a list. A click (or Enter) on a pair reads
the two side by side (app/parallel_view.py).

The numbers come from the engine (index/compare/story_matrix.py), computed in a worker from the
stored vectors and kept per index generation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QHelpEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.compare_ops import LibraryRunner
from app.side_by_side import SideBySideView
from app.theme import colors

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index.compare.story_matrix import StoryMatrix

PAIRS_LISTED = 30
LABELS_FROM_PX = 12  # cells at least this tall get their story's title beside them


def matrix_of(library: Any, story_ids: list[int] | None) -> StoryMatrix:
    """Engine calls: run in a worker."""
    from index.compare.story_matrix import story_matrix

    return story_matrix(library, story_ids)


class HeatMap(QWidget):
    """The matrix: a cell per pair of stories, darker where closer (spread over the range
    this library's pairs span), titles down the side when the cells are tall enough. Hover for
    the pair's numbers; click or Enter opens it; the arrow keys move the current cell.

    Signals: pair_requested(int, int): the two story ids of the cell chosen.
    """

    pair_requested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix: StoryMatrix | None = None
        self.current: tuple[int, int] = (0, 1)
        self._image = QImage()
        self._shares = np.zeros((0, 0))
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(160, 160)
        self.setAccessibleName("Heat map of how close the stories are")

    def set_matrix(self, matrix: StoryMatrix) -> None:
        self.matrix = matrix
        self.current = (0, 1) if len(matrix.stories) > 1 else (0, 0)
        self._image = self._picture()
        self.update()

    def label_width(self) -> int:
        if self.matrix is None or not self._labelled():
            return 0
        metrics = self.fontMetrics()
        widest = max(metrics.horizontalAdvance(s.title) for s in self.matrix.stories)
        return min(widest + 8, self.width() // 3)

    def area(self) -> QRectF:
        if self.matrix is None or not self.matrix.stories:
            return QRectF()
        n = len(self.matrix.stories)
        left = self.label_width()
        side = min(self.width() - left - 8, self.height() - 8)
        cell = max(side / n, 0.5)
        return QRectF(left + 4, 4, cell * n, cell * n)

    def cell_at(self, point: QPointF) -> tuple[int, int] | None:
        area = self.area()
        if self.matrix is None or not area.contains(point):
            return None
        n = len(self.matrix.stories)
        row = int((point.y() - area.top()) / area.height() * n)
        column = int((point.x() - area.left()) / area.width() * n)
        return min(row, n - 1), min(column, n - 1)

    def _labelled(self) -> bool:
        if self.matrix is None or not self.matrix.stories:
            return False
        return (self.height() - 8) / len(self.matrix.stories) >= LABELS_FROM_PX

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = self.area()
        if self.matrix is None or area.isEmpty():
            painter.end()
            return
        n = len(self.matrix.stories)
        cell = area.height() / n
        painter.drawImage(area, self._image)
        if self._labelled():
            painter.setPen(QColor(colors().muted))
            for row, story in enumerate(self.matrix.stories):
                box = QRectF(0, area.top() + row * cell, area.left() - 8, cell)
                title = self.fontMetrics().elidedText(
                    story.title, Qt.TextElideMode.ElideRight, int(box.width())
                )
                painter.drawText(
                    box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, title
                )
        if cell >= self.fontMetrics().horizontalAdvance("0.00") * 1.6:
            self._numbers(painter, area, cell)
        if self.hasFocus():
            row, column = self.current
            painter.setPen(QPen(QColor(colors().accent), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(
                QRectF(area.left() + column * cell, area.top() + row * cell, cell, cell)
            )
        painter.end()

    def _numbers(self, painter: QPainter, area: QRectF, cell: float) -> None:
        """Each pair's closeness written in its cell, where the cells are large enough."""
        assert self.matrix is not None
        text, on_accent = QColor(colors().text), QColor(colors().accent_text)
        for row in range(len(self.matrix.stories)):
            for column in range(len(self.matrix.stories)):
                if row == column:
                    continue
                box = QRectF(area.left() + column * cell, area.top() + row * cell, cell, cell)
                dark = self._shares[row, column] > 0.55
                painter.setPen(on_accent if dark else text)
                painter.drawText(
                    box,
                    Qt.AlignmentFlag.AlignCenter,
                    f"{float(self.matrix.closeness[row, column]):.2f}",
                )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.current = cell
            self.update()
            self._open(cell)
        else:
            super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.matrix is None or not self.matrix.stories:
            super().keyPressEvent(event)
            return
        n = len(self.matrix.stories)
        row, column = self.current
        moves = {
            Qt.Key.Key_Up: (-1, 0),
            Qt.Key.Key_Down: (1, 0),
            Qt.Key.Key_Left: (0, -1),
            Qt.Key.Key_Right: (0, 1),
        }
        key = Qt.Key(event.key())
        if key in moves:
            dr, dc = moves[key]
            self.current = (min(max(row + dr, 0), n - 1), min(max(column + dc, 0), n - 1))
            self.update()
            self._say(self.current)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open(self.current)
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def describe(self, cell: tuple[int, int]) -> str:
        if self.matrix is None:
            return ""
        row, column = cell
        a, b = self.matrix.stories[row], self.matrix.stories[column]
        if row == column:
            return a.title
        return (
            f"{a.title}\n{b.title}\ncloseness {float(self.matrix.closeness[row, column]):.2f}; "
            f"told by both: {float(self.matrix.covered[row, column]):.0%}"
        )

    def event(self, event: Any) -> bool:
        if isinstance(event, QHelpEvent):
            cell = self.cell_at(QPointF(event.pos()))
            if cell is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.describe(cell), self)
            return True
        return super().event(event)

    def _say(self, cell: tuple[int, int]) -> None:
        """What the current cell holds, for the keyboard (and screen readers)."""
        self.setToolTip(self.describe(cell))
        self.setAccessibleDescription(self.describe(cell))

    def _open(self, cell: tuple[int, int]) -> None:
        row, column = cell
        if self.matrix is not None and row != column:
            self.pair_requested.emit(self.matrix.stories[row].id, self.matrix.stories[column].id)

    def _picture(self) -> QImage:
        """One pixel per pair: the theme's base colour for the least close pair of this
        library, its accent for the closest; the diagonal (a story with itself) left blank."""
        assert self.matrix is not None
        values = self.matrix.closeness.astype(np.float64)
        n = len(values)
        if n == 0:
            return QImage()
        off = values[~np.eye(n, dtype=bool)]
        low, high = (float(off.min()), float(off.max())) if len(off) else (0.0, 1.0)
        # The least close pair still gets a tint, so no cell reads as missing.
        share = 0.08 + 0.92 * np.clip((values - low) / max(high - low, 1e-6), 0.0, 1.0)
        self._shares = share
        base = QColor(self.palette().color(QPalette.ColorRole.Base))
        accent = QColor(colors().accent)
        pixels = np.empty((n, n, 4), dtype=np.uint8)
        for channel, (b, a) in enumerate(
            (
                (base.blue(), accent.blue()),
                (base.green(), accent.green()),
                (base.red(), accent.red()),
            )
        ):
            pixels[:, :, channel] = (b + (a - b) * share).astype(np.uint8)
        pixels[:, :, 3] = 255
        blank = QColor(self.palette().color(QPalette.ColorRole.Window))
        for i in range(n):
            pixels[i, i, :3] = (blank.blue(), blank.green(), blank.red())
        self._pixels = np.ascontiguousarray(pixels)  # QImage borrows the buffer: keep it
        return QImage(self._pixels.data, n, n, n * 4, QImage.Format.Format_ARGB32).copy()

    def changeEvent(self, event: Any) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and self.matrix is not None:
            self._image = self._picture()
            self.update()


class HeatMapView(SideBySideView):
    """The heat map of the library (or of the stories chosen in it), with its closest pairs.

    Keys: arrows move over the map, Enter reads the pair side by side, Esc close.

    Signals (and those of SideBySideView: closed, passage_requested, failed):
        pair_requested(int, int): two story ids to read side by side.
        shown(): a map is on screen.
    """

    pair_requested = Signal(int, int)
    shown = Signal()

    def __init__(self, service: LibraryRunner, parent: QWidget | None = None) -> None:
        super().__init__(service, parent)
        self.story_ids: list[int] | None = None
        self.title = QLabel("<b>How close the stories are</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.explain = QLabel(
            "Each cell: the mean similarity of each passage of one story to its closest "
            "passage in the other. Darker is closer; stories that tell alike sit together."
        )
        self.explain.setObjectName("muted")
        self.explain.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.export_button = QPushButton("E&xport…")
        self.export_button.clicked.connect(self.export_requested.emit)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.closed.emit)
        self.map = HeatMap()
        self.map.pair_requested.connect(self.pair_requested)
        self.pairs = QListWidget()
        self.pairs.setAccessibleName("The closest pairs of stories")
        self.pairs.itemActivated.connect(self._pair_activated)
        pairs_side = QWidget()
        pairs_layout = QVBoxLayout(pairs_side)
        pairs_layout.setContentsMargins(0, 0, 0, 0)
        pairs_layout.addWidget(QLabel("Closest pairs (Enter or double-click: side by side)"))
        pairs_layout.addWidget(self.pairs, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.map)
        split.addWidget(pairs_side)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        self.pairs.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.export_button)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.explain)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self.setFocusProxy(self.map)

    def show_map(self, story_ids: list[int] | None = None) -> None:
        """The map of these stories (None: every story), computed in a worker."""
        self.story_ids = story_ids
        self.submit(
            lambda job: matrix_of(job.library, story_ids),
            self._show,
            "Comparing every two stories…",
        )

    def export_name(self) -> str:
        return "storylens-heat-map.html"

    def export_document(self, fmt: str) -> str:
        from index.cli.export import matrix_document

        if self.map.matrix is None:
            return ""
        return matrix_document(self.map.matrix, fmt)  # type: ignore[arg-type]

    def _show(self, matrix: StoryMatrix) -> None:
        self.map.set_matrix(matrix)
        self.pairs.clear()
        for left, right, closeness, covered in matrix.pairs()[:PAIRS_LISTED]:
            item = QListWidgetItem(
                f"{closeness:.2f}  {left.title}  ·  {right.title}  ({covered:.0%} told by both)"
            )
            item.setData(Qt.ItemDataRole.UserRole, (left.id, right.id))
            self.pairs.addItem(item)
        count = len(matrix.stories)
        self.title.setText(
            f"<b>How close the stories are</b> &nbsp;({count} stor{'y' if count == 1 else 'ies'})"
        )
        self.status.setText(
            "" if count > 1 else "Add at least two stories to see how close they are."
        )
        self.map._say(self.map.current)
        self.shown.emit()

    def _pair_activated(self, item: QListWidgetItem) -> None:
        left, right = item.data(Qt.ItemDataRole.UserRole)
        self.pair_requested.emit(left, right)
