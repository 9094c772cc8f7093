"""Light and dark palettes, following the system's choice unless the person picks one.

Widgets that paint themselves (the results delegate, the reader's highlights) ask `colors()` at
paint time, so a theme switch needs no bookkeeping beyond a repaint. Sizes in the style sheet are in
em, so they follow the font at any scaling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QWidget,
)

from app.settings import Theme

_W = TypeVar("_W", bound=QWidget)


@dataclass(frozen=True)
class Colors:
    window: str
    base: str  # lists, the reader's page
    raised: str  # hovered rows, cards
    text: str
    muted: str  # secondary text: positions, counts
    border: str
    accent: str
    accent_text: str  # text on the accent colour
    selection: str  # a selected result row
    passage: str  # the passage's background in the reader
    best_sentence: str  # the sentence that matched best, inside the passage
    match: str  # a query word's background
    bar_track: str  # the empty part of a score bar
    dark: bool


LIGHT = Colors(
    window="#f4f3ef",
    base="#fdfcfa",
    raised="#efede8",
    text="#1d1f23",
    muted="#6a6d74",
    border="#dcd9d2",
    accent="#4257c9",
    accent_text="#ffffff",
    selection="#e3e7fb",
    passage="#fbefc7",
    best_sentence="#f7e2a0",
    match="#f6d77a",
    bar_track="#e4e2dc",
    dark=False,
)

DARK = Colors(
    window="#1b1c1f",
    base="#222327",
    raised="#2b2c31",
    text="#e7e6e3",
    muted="#9b9da4",
    border="#36373d",
    accent="#8e9cff",
    accent_text="#111218",
    selection="#30354f",
    passage="#453b20",
    best_sentence="#574a24",
    match="#7a6420",
    bar_track="#3a3b41",
    dark=True,
)


def system_prefers_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def colors() -> Colors:
    """The colours in use now, read from the application palette."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return DARK if app.palette().color(QPalette.ColorRole.Window).lightness() < 128 else LIGHT
    return LIGHT


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2's contrast ratio of two colours, 1 to 21 (4.5 is the minimum for body text)."""

    def luminance(colour: QColor) -> float:
        def linear(channel: float) -> float:
            return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

        r, g, b = colour.redF(), colour.greenF(), colour.blueF()
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def apply_theme(app: QApplication, choice: Theme) -> Colors:
    """Fusion style with our palette and style sheet; 'system' follows the OS colour scheme."""
    dark = system_prefers_dark() if choice == "system" else choice == "dark"
    chosen = DARK if dark else LIGHT
    if not isinstance(app.style(), CheckboxStyle):
        app.setStyle(CheckboxStyle())
    app.setPalette(_palette(chosen))
    app.setStyleSheet(_style_sheet(chosen))
    return chosen


class CheckboxStyle(QProxyStyle):
    """Fusion, with check boxes drawn in the theme's colours: Fusion outlines them in the
    window colour darkened, which on the dark theme left an unchecked box nearly invisible."""

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        boxes = (
            QStyle.PrimitiveElement.PE_IndicatorCheckBox,
            QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
        )
        if element not in boxes:
            super().drawPrimitive(element, option, painter, widget)
            return
        c = colors()
        state = option.state
        checked = bool(state & QStyle.StateFlag.State_On)
        partly = bool(state & QStyle.StateFlag.State_NoChange)
        side = min(option.rect.width(), option.rect.height()) - 2
        box = QRectF(0, 0, side, side)
        box.moveCenter(QRectF(option.rect).center())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        filled = checked or partly
        painter.setPen(QPen(QColor(c.accent if filled else c.muted), 1.2))
        painter.setBrush(QColor(c.accent if filled else c.base))
        painter.drawRoundedRect(box, side * 0.18, side * 0.18)
        mark = QPen(QColor(c.accent_text), max(1.5, side * 0.14))
        mark.setCapStyle(Qt.PenCapStyle.RoundCap)
        mark.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(mark)
        w, x, y = box.width(), box.x(), box.y()
        if checked:
            painter.drawPolyline(
                [
                    QPointF(x + 0.24 * w, y + 0.52 * w),
                    QPointF(x + 0.43 * w, y + 0.70 * w),
                    QPointF(x + 0.76 * w, y + 0.32 * w),
                ]
            )
        elif partly:
            painter.drawLine(QPointF(x + 0.27 * w, y + 0.5 * w), QPointF(x + 0.73 * w, y + 0.5 * w))
        painter.restore()


def _palette(c: Colors) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, value in (
        (role.Window, c.window),
        (role.WindowText, c.text),
        (role.Base, c.base),
        (role.AlternateBase, c.raised),
        (role.Text, c.text),
        (role.Button, c.raised),
        (role.ButtonText, c.text),
        (role.ToolTipBase, c.base),
        (role.ToolTipText, c.text),
        (role.PlaceholderText, c.muted),
        (role.Highlight, c.accent),
        (role.HighlightedText, c.accent_text),
        (role.Link, c.accent),
        (role.BrightText, c.accent_text),
        (role.Mid, c.border),
        (role.Midlight, c.raised),
        (role.Dark, c.border),
        (role.Light, c.base),
        (role.Shadow, c.border),
    ):
        p.setColor(r, QColor(value))
    disabled = QColor(c.muted)
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, disabled)
    return p


def _style_sheet(c: Colors) -> str:
    return f"""
    QMainWindow, QDialog {{ background: {c.window}; }}
    QToolBar {{ background: {c.window}; border: none; spacing: 0.4em; padding: 0.35em 0.6em; }}
    QToolBar QToolButton {{ padding: 0.3em 0.6em; border-radius: 0.35em; }}
    QToolBar QToolButton:hover {{ background: {c.raised}; }}
    QStatusBar {{ background: {c.window}; color: {c.muted}; }}
    QStatusBar::item {{ border: none; }}
    QSplitter::handle {{ background: {c.border}; }}
    QLineEdit#searchBox {{
        background: {c.base}; border: 1px solid {c.border}; border-radius: 0.6em;
        padding: 0.45em 0.7em; selection-background-color: {c.accent};
    }}
    QLineEdit#searchBox:focus {{ border: 1px solid {c.accent}; }}
    QListView, QTreeView {{ background: {c.base}; border: 1px solid transparent; outline: none; }}
    QListView:focus, QTreeView:focus {{ border: 1px solid {c.accent}; }}
    QTreeView#stories {{ show-decoration-selected: 0; }}
    QTreeView#stories::item {{ padding: 0.22em 0.3em; border-radius: 0.3em; }}
    QTreeView#stories::item:hover {{ background: {c.raised}; }}
    QTreeView#stories::item:selected {{ background: {c.selection}; color: {c.text}; }}
    QLineEdit#filterBox {{
        background: {c.base}; border: 1px solid {c.border}; border-radius: 0.45em;
        padding: 0.2em 0.5em;
    }}
    QLineEdit#filterBox:focus {{ border: 1px solid {c.accent}; }}
    QLabel#paneTitle {{ color: {c.muted}; font-weight: 600; }}
    QLabel#muted, QLabel#emptyHint {{ color: {c.muted}; }}
    QLabel#emptyTitle {{ color: {c.text}; font-weight: 600; }}
    QWidget#pane {{ background: {c.base}; }}
    QWidget#sidebar {{ background: {c.window}; }}
    QWidget#sidebar QTreeView {{ background: {c.window}; }}
    QTextEdit#reader {{ background: {c.base}; border: none; }}
    QFrame#rule {{ border: none; border-top: 1px solid {c.border}; max-height: 0; }}
    QPushButton {{
        background: {c.raised}; border: 1px solid {c.border}; border-radius: 0.4em;
        padding: 0.3em 0.9em;
    }}
    QPushButton:hover {{ border-color: {c.accent}; }}
    QPushButton:disabled {{ color: {c.muted}; }}
    QPushButton#primary {{ background: {c.accent}; color: {c.accent_text}; border: none; }}
    QPushButton#iconButton {{ padding: 0.3em 0.2em; }}
    QToolButton#chip {{
        background: {c.raised}; border: 1px solid {c.border}; border-radius: 0.7em;
        padding: 0.1em 0.6em;
    }}
    QToolButton#chip:hover, QToolButton#chip:focus {{ border-color: {c.accent}; }}
    QToolButton#chip[relaxed="true"] {{ color: {c.muted}; border-style: dashed; }}
    QScrollBar:vertical {{ background: transparent; width: 0.75em; margin: 0.2em 0.1em; }}
    QScrollBar:horizontal {{ background: transparent; height: 0.75em; margin: 0.1em 0.2em; }}
    QScrollBar::handle {{ background: {c.border}; border-radius: 0.25em; }}
    QScrollBar::handle:vertical {{ min-height: 2em; margin: 0 0.15em; }}
    QScrollBar::handle:horizontal {{ min-width: 2em; margin: 0.15em 0; }}
    QScrollBar::handle:hover {{ background: {c.muted}; }}
    QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
    QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
    QProgressBar {{
        background: {c.bar_track}; border: none; border-radius: 0.25em; max-height: 0.5em;
        min-width: 10em;
    }}
    QProgressBar::chunk {{ background: {c.accent}; border-radius: 0.25em; }}
    QToolTip {{ background: {c.base}; color: {c.text}; border: 1px solid {c.border}; }}
    """


def reading_font(base: QFont) -> QFont:
    """A serif for long reading, a little larger than the interface font."""
    font = QFont(base)
    font.setFamilies(
        [
            "Literata",
            "Charter",
            "Iowan Old Style",
            "Georgia",
            "Source Serif 4",
            "Source Serif Pro",
            "Noto Serif",
            "DejaVu Serif",
            "Times New Roman",
        ]
    )
    font.setStyleHint(QFont.StyleHint.Serif)
    font.setPointSizeF(base.pointSizeF() * 1.2)
    return font


def scaled(base: QFont, factor: float, *, weight: QFont.Weight | None = None) -> QFont:
    """`base` at `factor` times its size, for a typographic hierarchy that follows the user."""
    font = QFont(base)
    font.setPointSizeF(base.pointSizeF() * factor)
    if weight is not None:
        font.setWeight(weight)
    return font


def named(widget: _W, name: str) -> _W:
    """`widget` with an object name, which the style sheet uses to style it."""
    widget.setObjectName(name)
    return widget
