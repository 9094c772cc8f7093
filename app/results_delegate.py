"""How one result looks: story title and score bar, where the passage falls, then the passage
itself with the query's words highlighted, cut to a few lines with an ellipsis.

Every size is a multiple of the font's line height, so rows read the same at 100% and 200%.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.highlight import Span, python_index, utf16_spans
from app.results_model import Role, Strip
from app.theme import Colors, colors, scaled

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index import Hit

_Index = QModelIndex | QPersistentModelIndex
BODY_LINES = 3
ELLIPSIS = "…"


@dataclass(frozen=True)
class _Fonts:
    title: QFont
    small: QFont
    body: QFont
    bold: QFont

    @classmethod
    def of(cls, base: QFont) -> _Fonts:
        return cls(
            title=scaled(base, 1.08, weight=QFont.Weight.DemiBold),
            small=scaled(base, 0.9),
            body=QFont(base),
            bold=scaled(base, 1.0, weight=QFont.Weight.Bold),
        )


@dataclass(frozen=True)
class _Metrics:
    pad_x: float
    pad_y: float
    title_h: float
    small_h: float
    body_h: float
    gap: float

    @classmethod
    def of(cls, fonts: _Fonts) -> _Metrics:
        body = QFontMetricsF(fonts.body)
        return cls(
            pad_x=body.height() * 0.9,
            pad_y=body.height() * 0.8,
            title_h=QFontMetricsF(fonts.title).height(),
            small_h=QFontMetricsF(fonts.small).height(),
            body_h=body.lineSpacing(),
            gap=body.height() * 0.35,
        )

    def row_height(self) -> float:
        return self.pad_y * 2 + self.title_h + self.small_h + self.gap + self.body_h * BODY_LINES


def excerpt(hit: Hit, matches: tuple[Span, ...], visible_chars: int) -> tuple[str, list[Span]]:
    """The passage on one line, starting at the sentence of the first query word when that word
    would otherwise fall outside the visible lines."""
    text = hit.passage.text.replace("\n", " ")
    start = 0
    if matches and matches[0][0] > visible_chars * 0.8:
        first = matches[0][0] + hit.passage.start
        start = next((s - hit.passage.start for s, e in hit.passage.sentences if s <= first < e), 0)
    if start <= 0:
        return text, list(matches)
    prefix = ELLIPSIS + " "
    shift = len(prefix) - start
    kept = [(a + shift, b + shift) for a, b in matches if a >= start]
    return prefix + text[start:], kept


class ResultDelegate(QStyledItemDelegate):
    """Paints result rows (no signals)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        metrics = _Metrics.of(_Fonts.of(option.font))
        # The view decides the width (no horizontal scrolling); the height follows the font.
        return QSize(round(metrics.body_h * 10), round(metrics.row_height()))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        hit = index.data(Role.HIT)
        if hit is None:
            return
        matches: tuple[Span, ...] = index.data(Role.MATCHES) or ()
        palette = colors()
        fonts = _Fonts.of(option.font)
        m = _Metrics.of(fonts)
        rect = QRectF(option.rect)
        state = option.state
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_background(painter, rect, state, palette, m)

        inner = rect.adjusted(m.pad_x, m.pad_y, -m.pad_x, -m.pad_y)
        bar_w = m.body_h * 4
        score_w = QFontMetricsF(fonts.small).horizontalAdvance("0.00") + m.gap
        title_w = inner.width() - bar_w - score_w - m.pad_x
        painter.setFont(fonts.title)
        painter.setPen(QColor(palette.text))
        title = QFontMetricsF(fonts.title).elidedText(
            hit.passage.story_title, Qt.TextElideMode.ElideRight, title_w
        )
        painter.drawText(QRectF(inner.left(), inner.top(), title_w, m.title_h), title)
        self._paint_score(
            painter,
            score=hit.relevance,
            inner=inner,
            m=m,
            fonts=fonts,
            c=palette,
            bar_w=bar_w,
            score_w=score_w,
        )

        y = inner.top() + m.title_h
        painter.setFont(fonts.small)
        painter.setPen(QColor(palette.muted))
        position = index.data(Role.POSITION)
        painter.drawText(QRectF(inner.left(), y, inner.width(), m.small_h), position)
        strip = index.data(Role.STRIP)
        if isinstance(strip, Strip):
            start = inner.left() + QFontMetricsF(fonts.small).horizontalAdvance(position) + m.gap
            width = min(bar_w * 1.5, inner.right() - start)
            if width > m.body_h:
                _paint_strip(painter, strip, QRectF(start, y, width, m.small_h), palette)
        y += m.small_h + m.gap
        avg = QFontMetricsF(fonts.body).averageCharWidth() or 7.0
        text, spans = excerpt(hit, matches, int(inner.width() / avg * BODY_LINES))
        layout = _body_layout(text, spans, fonts, palette, inner.width())
        painter.setPen(QColor(palette.text))
        layout.draw(painter, QPointF(inner.left(), y))
        painter.restore()

    def _paint_background(
        self, painter: QPainter, rect: QRectF, state: QStyle.StateFlag, c: Colors, m: _Metrics
    ) -> None:
        card = rect.adjusted(m.gap, m.gap / 2, -m.gap, -m.gap / 2)
        radius = m.body_h * 0.4
        if state & QStyle.StateFlag.State_Selected:
            path = QPainterPath()
            path.addRoundedRect(card, radius, radius)
            painter.fillPath(path, QColor(c.selection))
            stripe = QRectF(
                card.left(), card.top() + radius, m.gap * 0.6, card.height() - radius * 2
            )
            painter.fillRect(stripe, QColor(c.accent))
        elif state & QStyle.StateFlag.State_MouseOver:
            path = QPainterPath()
            path.addRoundedRect(card, radius, radius)
            painter.fillPath(path, QColor(c.raised))
        else:
            painter.setPen(QColor(c.border))
            bottom = rect.bottom() - 0.5
            painter.drawLine(
                QPointF(rect.left() + m.pad_x, bottom), QPointF(rect.right() - m.pad_x, bottom)
            )

    def _paint_score(
        self,
        painter: QPainter,
        *,
        score: float,
        inner: QRectF,
        m: _Metrics,
        fonts: _Fonts,
        c: Colors,
        bar_w: float,
        score_w: float,
    ) -> None:
        bar_h = m.body_h * 0.32
        left = inner.right() - bar_w - score_w
        top = inner.top() + (m.title_h - bar_h) / 2
        track = QPainterPath()
        track.addRoundedRect(QRectF(left, top, bar_w, bar_h), bar_h / 2, bar_h / 2)
        painter.fillPath(track, QColor(c.bar_track))
        filled = QPainterPath()
        fraction = min(max(score, 0.0), 1.0)
        filled.addRoundedRect(QRectF(left, top, bar_w * fraction, bar_h), bar_h / 2, bar_h / 2)
        painter.fillPath(filled, QColor(c.accent))
        painter.setFont(fonts.small)
        painter.setPen(QColor(c.muted))
        painter.drawText(
            QRectF(inner.right() - score_w, inner.top(), score_w, m.title_h),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            f"{score:.2f}",
        )


def _paint_strip(painter: QPainter, strip: Strip, line: QRectF, c: Colors) -> None:
    """The story as a thin bar, with a tick where each of its results falls: this one in the
    accent colour, the others muted."""
    height = max(3.0, line.height() * 0.28)
    track = QRectF(line.left(), line.center().y() - height / 2, line.width(), height)
    path = QPainterPath()
    path.addRoundedRect(track, height / 2, height / 2)
    painter.fillPath(path, QColor(c.bar_track))
    step = track.width() / max(strip.count, 1)
    tick = max(2.0, min(step, height * 1.4))
    other = QColor(c.muted)
    other.setAlpha(150)
    for ordinal, colour, tall in [(o, other, 1.4) for o in strip.others] + [
        (strip.here, QColor(c.accent), 2.4)
    ]:
        x = track.left() + step * (ordinal + 0.5) - tick / 2
        mark = QRectF(x, track.center().y() - height * tall / 2, tick, height * tall)
        painter.fillRect(mark, colour)


def _body_layout(
    text: str, spans: list[Span], fonts: _Fonts, c: Colors, width: float
) -> QTextLayout:
    """At most BODY_LINES lines of `text`; the last one ends in an ellipsis when cut short."""
    layout = _lay_out(text, spans, fonts, c, width)
    shown = _shown_units(layout)
    if shown >= len(text.encode("utf-16-le")) // 2:
        return layout
    cut = python_index(text, shown)
    while cut > 0:
        cut = text.rfind(" ", 0, cut)
        if cut <= 0:
            break
        shorter = text[:cut].rstrip(" ,;:") + ELLIPSIS
        candidate = _lay_out(shorter, spans, fonts, c, width)
        if _shown_units(candidate) >= len(shorter.encode("utf-16-le")) // 2:
            return candidate
    return layout


def _lay_out(text: str, spans: list[Span], fonts: _Fonts, c: Colors, width: float) -> QTextLayout:
    layout = QTextLayout(text, fonts.body)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    ranges = []
    for start, end in utf16_spans(text, spans):
        if start >= len(text):
            continue
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Bold)
        fmt.setBackground(QColor(c.match))
        fr = QTextLayout.FormatRange()
        fr.start, fr.length, fr.format = start, end - start, fmt
        ranges.append(fr)
    layout.setFormats(ranges)
    layout.beginLayout()
    y = 0.0
    for _ in range(BODY_LINES):
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0, y))
        y += line.height()
    layout.endLayout()
    return layout


def _shown_units(layout: QTextLayout) -> int:
    if layout.lineCount() == 0:
        return 0
    last = layout.lineAt(layout.lineCount() - 1)
    return last.textStart() + last.textLength()
