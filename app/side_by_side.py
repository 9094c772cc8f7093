"""What the views that set passages side by side share (the comparison, the same moment):
engine work in a worker where only the newest request's answer is shown, Esc to close, keys of
their own, and a status line that says what went wrong."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QWidget

from app.jobs import describe

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from app.compare_ops import JobLike, LibraryRunner

T = TypeVar("T")


class SideBySideView(QWidget):
    """Base of the side-by-side views. A subclass builds its widgets, `status` among them.

    Keys: Esc closes (a key press, not a shortcut, so a window-wide Esc action such as "Close
    comparison" takes precedence without ambiguity); `add_keys` adds the view's own.

    Signals:
        closed(): Esc or the view's Close button; the owner hides or removes the view.
        passage_requested(int): "open in story" on a passage: show that passage id in the
            reader.
        failed(str): the newest request failed; the message is shown in `status` too.
        export_requested(): the view's Export button; the window asks where, then writes
            what `export_document(format)` gives (views that can be exported have one).
    """

    closed = Signal()
    passage_requested = Signal(int)
    failed = Signal(str)
    export_requested = Signal()

    status: QLabel

    def __init__(self, service: LibraryRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._request = 0  # only the newest request's answer is shown
        self._shown_request = 0

    @property
    def busy(self) -> bool:
        """A request is running whose answer is not shown yet."""
        return self._request != self._shown_request

    def submit(self, op: Callable[[JobLike], T], show: Callable[[T], None], waiting: str) -> None:
        """Run `op` in a worker and `show` its answer, unless a newer request came meanwhile
        or the view is gone; `waiting` goes in the status line until then."""
        self._request += 1
        request = self._request
        if waiting:
            self.status.setText(waiting)

        def arrived(result: T) -> None:
            if shiboken6.isValid(self) and request == self._request:
                self._shown_request = request
                show(result)

        def not_arrived(error: Exception) -> None:
            if shiboken6.isValid(self) and request == self._request:
                self._shown_request = request
                message = describe(error)
                self.status.setText(message)
                self.failed.emit(message)

        self._service.run(op, arrived, not_arrived)

    def export_name(self) -> str:
        """The file name an export of this view suggests."""
        return "storylens.html"

    def export_document(self, fmt: str) -> str:
        """What this view shows, as a file of format `fmt` (json, md, csv, html;
        index/cli/export.py); "" when there is nothing to export."""
        return ""

    def add_keys(self, keys: Sequence[tuple[QKeySequence, Callable[[], object]]]) -> None:
        """Shortcuts that work while the focus is anywhere inside this view."""
        for sequence, slot in keys:
            shortcut = QShortcut(sequence, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.closed.emit()
        else:
            super().keyPressEvent(event)
