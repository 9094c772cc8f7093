"""The map of the library: every passage a point on a plane (index/compare/corpus_map.py),
coloured by story, with the current search's query and hits marked. Hover a point to read its
passage below the map; click it to read it in its story. The wheel zooms around the pointer,
a drag moves the map, and Reset puts it back.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.compare_ops import LibraryRunner
from app.side_by_side import SideBySideView
from app.theme import colors

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index.compare.corpus_map import CorpusMap
    from index.search.results import Passage, Story

# Okabe-Ito first (told apart with the common colour-vision deficiencies), then hues spread by
# the golden angle for libraries with more stories than that.
_HUES = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#999999")
HOVER_PX = 8  # how near the pointer a point must be to count as under it
LEGEND_STORIES = 12


def story_colour(rank: int) -> QColor:
    if rank < len(_HUES):
        return QColor(_HUES[rank])
    return QColor.fromHsvF(((rank - len(_HUES)) * 0.618034) % 1.0, 0.55, 0.8)


@dataclass(frozen=True)
class MapRequest:
    """What to draw: the stories (None: all), and the search to mark on it."""

    story_ids: list[int] | None = None
    query: str = ""
    hit_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class MapAnswer:
    atlas: CorpusMap
    stories: dict[int, Story]
    query_point: tuple[float, float] | None
    hit_ids: tuple[int, ...]
    query: str


def map_of(library: Any, request: MapRequest) -> MapAnswer:
    """Engine calls: run in a worker (the query is embedded to place it on the plane)."""
    from index.compare.corpus_map import corpus_map
    from index.errors import StorylensError

    atlas = corpus_map(library, request.story_ids)
    point = None
    if request.query.strip() and len(atlas.points):
        try:
            x, y = atlas.project(library.embed_query(request.query))[0]
            point = (float(x), float(y))
        except StorylensError:  # the model cannot load: the map is drawn without the query
            point = None
    stories = {s.id: s for s in library.stories()}
    return MapAnswer(atlas, stories, point, request.hit_ids, request.query)


class PointMap(QWidget):
    """The points. Signals: hovered(int): the passage id under the pointer (-1: none);
    chosen(int): a point clicked."""

    hovered = Signal(int)
    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.answer: MapAnswer | None = None
        self.colour_of: dict[int, QColor] = {}  # story id: its colour
        self._view = QRectF()  # the part of the plane shown
        self._drag: QPointF | None = None
        self._dragged = False
        self._hover = -1
        self._layer: QImage | None = None  # every point, drawn once per view (_points_layer)
        self._layer_shift = QPointF(0, 0)  # how far a drag has moved it since
        self._pixels = np.zeros((0, 0, 4), dtype=np.uint8)
        self._marked = np.zeros(0, dtype=np.int64)  # the points of the search's results
        self.setMouseTracking(True)
        self.setMinimumSize(240, 240)
        self.setAccessibleName("Map of every passage of the library")

    def set_answer(self, answer: MapAnswer) -> None:
        self.answer = answer
        stories, sizes = np.unique(answer.atlas.story_ids, return_counts=True)
        counts = dict(zip(stories.tolist(), sizes.tolist(), strict=True))
        ranked = sorted(counts, key=lambda s: (-counts[s], s))
        self.colour_of = {story_id: story_colour(n) for n, story_id in enumerate(ranked)}
        wanted = set(answer.hit_ids)
        self._marked = np.flatnonzero([int(p) in wanted for p in answer.atlas.passage_ids])
        self.reset_view()

    def reset_view(self) -> None:
        points = self.answer.atlas.points if self.answer else np.zeros((0, 2))
        if len(points) == 0:
            self._view = QRectF(-1, -1, 2, 2)
        else:
            (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
            pad = 0.05 * max(float(x1 - x0), float(y1 - y0), 1e-6)
            self._view = QRectF(
                float(x0) - pad, float(y0) - pad, float(x1 - x0) + 2 * pad, float(y1 - y0) + 2 * pad
            )
        self._view_changed()

    def to_screen(self, points: np.ndarray) -> np.ndarray:
        """Plane coordinates to pixels (y upwards on the plane, downwards on screen)."""
        view, w, h = self._view, max(self.width(), 1), max(self.height(), 1)
        scale = min(w / max(view.width(), 1e-9), h / max(view.height(), 1e-9))
        cx, cy = view.center().x(), view.center().y()
        x = (points[:, 0] - cx) * scale + w / 2
        y = h / 2 - (points[:, 1] - cy) * scale
        return np.stack([x, y], axis=1)

    def point_at(self, position: QPointF) -> int:
        """The index of the point under `position` (within HOVER_PX), or -1."""
        if self.answer is None or len(self.answer.atlas.points) == 0:
            return -1
        screen = self.to_screen(self.answer.atlas.points)
        distances = ((screen - np.array([position.x(), position.y()])) ** 2).sum(axis=1)
        nearest = int(np.argmin(distances))
        return nearest if distances[nearest] <= HOVER_PX**2 else -1

    def radius(self) -> int:
        count = len(self.answer.atlas.points) if self.answer else 0
        return 4 if count < 1000 else 3 if count < 5000 else 2

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self._layer is None or self._layer.size() != self.size():
            self._layer = self._points_layer()
            self._layer_shift = QPointF(0, 0)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        painter.drawImage(self._layer_shift, self._layer)
        if self.answer is None or len(self.answer.atlas.points) == 0:
            painter.end()
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        atlas = self.answer.atlas
        radius = float(self.radius())
        accent, ink = QColor(colors().accent), QColor(colors().text)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(accent, 2.0))
        if len(self._marked):
            for x, y in self.to_screen(atlas.points[self._marked]):
                painter.drawEllipse(QPointF(float(x), float(y)), radius + 4, radius + 4)
        if self.answer.query_point is not None:
            [[x, y]] = self.to_screen(np.array([self.answer.query_point]))
            painter.setPen(QPen(ink, 2.5))
            size = 8.0
            painter.drawLine(QPointF(x - size, y), QPointF(x + size, y))
            painter.drawLine(QPointF(x, y - size), QPointF(x, y + size))
        if self._hover >= 0:
            [[x, y]] = self.to_screen(atlas.points[[self._hover]])
            painter.setPen(QPen(ink, 1.5))
            painter.drawEllipse(QPointF(float(x), float(y)), radius + 2, radius + 2)
        painter.end()

    def _points_layer(self) -> QImage:
        """Every point drawn into an image at once with numpy (a disc stamped per point, the
        stories in turn), kept until the view, the size or the theme changes: a hover then
        repaints a few marks over it, not every passage of the library."""
        w, h = max(self.width(), 1), max(self.height(), 1)
        base = self.palette().color(QPalette.ColorRole.Base)
        pixels = np.empty((h, w, 4), dtype=np.uint8)
        pixels[...] = (base.blue(), base.green(), base.red(), 255)
        if self.answer is not None and len(self.answer.atlas.points):
            atlas = self.answer.atlas
            screen = np.rint(self.to_screen(atlas.points)).astype(np.int64)
            stories, which = np.unique(atlas.story_ids, return_inverse=True)
            table = np.array(
                [
                    [c.blue(), c.green(), c.red(), 255]
                    for c in (self.colour_of[int(s)] for s in stories)
                ],
                dtype=np.float64,
            ).reshape(-1, 4)
            backdrop = np.array([base.blue(), base.green(), base.red(), 255], dtype=np.float64)
            shades = (table * 0.7 + backdrop * 0.3).astype(np.uint8)[which]  # a little see-through
            r = self.radius()
            for dx in range(-r, r + 1):
                for dy in range(-r, r + 1):
                    if dx * dx + dy * dy > r * r + r // 2:
                        continue
                    x, y = screen[:, 0] + dx, screen[:, 1] + dy
                    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
                    pixels[y[inside], x[inside]] = shades[inside]
        self._pixels = np.ascontiguousarray(pixels)  # QImage borrows the buffer: keep it
        return QImage(self._pixels.data, w, h, w * 4, QImage.Format.Format_ARGB32).copy()

    def _view_changed(self) -> None:
        self._layer = None
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            shift = event.position() - self._drag
            self._dragged = self._dragged or shift.manhattanLength() > 3
            scale = self._scale()
            self._view.translate(-shift.x() / scale, shift.y() / scale)
            self._drag = event.position()
            self._layer_shift += shift  # the points move with the pointer; drawn anew on release
            self.update()
            return
        found = self.point_at(event.position())
        if found != self._hover:
            self._hover = found
            self.update()
            self.hovered.emit(self.passage_id(found))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag, self._dragged = event.position(), False

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        dragged, self._drag = self._dragged, None
        if dragged:
            self._view_changed()
        found = self.point_at(event.position())
        if not dragged and found >= 0:
            self.chosen.emit(self.passage_id(found))

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Zoom around the pointer: what is under it stays under it."""
        steps = event.angleDelta().y() / 120
        if not steps or self.answer is None:
            return
        factor = 0.8**steps
        scale = self._scale()
        at = event.position()
        plane_x = self._view.center().x() + (at.x() - self.width() / 2) / scale
        plane_y = self._view.center().y() - (at.y() - self.height() / 2) / scale
        width, height = self._view.width() * factor, self._view.height() * factor
        left = plane_x - (plane_x - self._view.left()) * factor
        top = plane_y - (plane_y - self._view.top()) * factor
        self._view = QRectF(left, top, width, height)
        self._view_changed()

    def passage_id(self, index: int) -> int:
        return int(self.answer.atlas.passage_ids[index]) if self.answer and index >= 0 else -1

    def _scale(self) -> float:
        w, h = max(self.width(), 1), max(self.height(), 1)
        return min(w / max(self._view.width(), 1e-9), h / max(self._view.height(), 1e-9))

    def changeEvent(self, event: Any) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._view_changed()


class CorpusMapView(SideBySideView):
    """The map with its legend and a preview of the passage under the pointer.

    Keys: Esc close. Signals (and those of SideBySideView: closed, passage_requested, failed):
    shown(): a map is on screen.
    """

    shown = Signal()

    def __init__(self, service: LibraryRunner, parent: QWidget | None = None) -> None:
        super().__init__(service, parent)
        self.title = QLabel("<b>Map of the library</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.explain = QLabel()
        self.explain.setObjectName("muted")
        self.explain.setWordWrap(True)
        self.reset_button = QPushButton("&Reset view")
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.closed.emit)
        self.map = PointMap()
        self.reset_button.clicked.connect(self.map.reset_view)
        self.map.hovered.connect(self._preview)
        self.map.chosen.connect(self.passage_requested)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.legend.setWordWrap(True)
        self.legend.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 24))
        self.preview = QLabel(" ")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.RichText)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop)
        # A fixed height: were it to grow with the passage, the map would shrink and move
        # its points out from under the pointer.
        self.preview.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 4)
        self.status = QLabel()
        self.status.setObjectName("muted")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.reset_button)
        top.addWidget(self.close_button)
        middle = QHBoxLayout()
        middle.addWidget(self.map, 1)
        middle.addWidget(self.legend)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.explain)
        layout.addLayout(middle, 1)
        layout.addWidget(self.preview)
        layout.addWidget(self.status)
        self.setFocusProxy(self.map)
        self._hovered_request = 0

    def show_map(self, request: MapRequest) -> None:
        self.submit(lambda job: map_of(job.library, request), self._show, "Placing every passage…")

    def _show(self, answer: MapAnswer) -> None:
        self.map.set_answer(answer)
        atlas = answer.atlas
        share = sum(atlas.explained)
        marked = ""
        if answer.query:
            marked = (
                f" The cross is your search, “{html.escape(answer.query[:60])}”; "
                f"rings mark its {len(answer.hit_ids)} results."
            )
        self.explain.setText(
            f"{len(atlas.points)} passages, each placed by its meaning: passages close on the "
            f"map mean similar things (the two axes hold {share:.0%} of how the passages "
            f"differ, so some near points differ more than they seem).{marked} Hover to read; "
            "click to open in its story; wheel to zoom, drag to move."
        )
        rows = [
            f'<span style="color:{colour.name()}">●</span> '
            f"{html.escape(answer.stories[story_id].title if story_id in answer.stories else '?')}"
            for story_id, colour in list(self.map.colour_of.items())[:LEGEND_STORIES]
        ]
        more = len(self.map.colour_of) - LEGEND_STORIES
        if more > 0:
            rows.append(f"and {more} more stories")
        self.legend.setText("<br>".join(rows))
        self.status.setText("" if len(atlas.points) else "The library has no passages yet.")
        self.shown.emit()

    def _preview(self, passage_id: int) -> None:
        """The passage under the pointer, read in a worker (the newest hover wins)."""
        self._hovered_request += 1
        request = self._hovered_request
        if passage_id < 0:
            self.preview.setText(" ")
            return

        def show(passage: Passage) -> None:
            if shiboken6.isValid(self) and request == self._hovered_request:
                text = passage.text if len(passage.text) < 400 else passage.text[:400] + "…"
                self.preview.setText(
                    f"<b>{html.escape(passage.story_title)}</b>, passage {passage.ordinal + 1} "
                    f"of {passage.story_passage_count}: {html.escape(text)}"
                )

        self._service.run(lambda job: job.library.passage(passage_id), show)
