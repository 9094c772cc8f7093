"""The status bar's indexing indicator: what is happening, a progress bar, and Cancel."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index import BuildProgress, BuildReport

_VERBS = {
    "scanning": "Looking for stories",
    "reading": "Reading",
    "embedding": "Indexing",
    "saving": "Saving the index",
}


def describe_progress(progress: BuildProgress) -> str:
    verb = _VERBS.get(progress.phase, progress.phase.capitalize())
    if progress.phase == "embedding" and progress.total:
        where = f" · {progress.story}" if progress.story else ""
        pace = ""
        if progress.rate > 0 and progress.seconds_left is not None:
            pace = f" · {progress.rate:,.0f} a second, {progress.time_left()} left"
        return f"{verb}: {progress.done:,} of {progress.total:,} passages{pace}{where}"
    if progress.phase == "reading" and progress.story:
        return f"{verb} {progress.story} ({progress.done + 1} of {progress.total})"
    return f"{verb}…"


def describe_report(report: BuildReport) -> str:
    parts = []
    for label, titles in (("added", report.added), ("updated", report.updated)):
        if titles:
            parts.append(f"{len(titles)} {_stories(len(titles))} {label}")
    if report.removed:
        parts.append(f"{len(report.removed)} removed")
    if not parts:
        parts.append("Everything was up to date")
    if report.skipped:
        parts.append(
            f"{len(report.skipped)} {'file' if len(report.skipped) == 1 else 'files'} skipped"
        )
    took = f" in {report.seconds:.1f} s" if report.passages_embedded else ""
    return "Indexing finished: " + ", ".join(parts) + took + "."


def _stories(n: int) -> str:
    return "story" if n == 1 else "stories"


class BuildStatus(QWidget):
    """Hidden until a build starts. Signals: cancel_requested(): the Cancel button."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        em = self.fontMetrics().height()
        self.label = QLabel(self)
        self.bar = QProgressBar(self, textVisible=False)
        self.bar.setFixedWidth(em * 10)
        self.bar.setAccessibleName("Indexing progress")
        self.cancel = QPushButton("Cancel", self)
        self.cancel.setToolTip(
            "Stop indexing; the index in use stays as it was, and what was embedded is kept "
            "for the next run (Re-index goes on from there)"
        )
        self.cancel.clicked.connect(self._cancel)
        self.cancel.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, round(em * 0.5), 0)
        layout.setSpacing(round(em * 0.6))
        layout.addStretch(1)  # keep label, bar and button together at the right
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        # A batch of passages can take seconds on a slow machine: between two updates the
        # time left counts down every second, so the line never looks stuck.
        self._last: tuple[BuildProgress, float] | None = None
        self._ticker = QTimer(self, interval=1000)
        self._ticker.timeout.connect(self._count_down)
        self.hide()

    def started(self) -> None:
        self.label.setText("Looking for stories…")
        self.bar.setRange(0, 0)  # busy until the first count arrives
        self.cancel.setEnabled(True)
        self.show()

    def update_progress(self, progress: BuildProgress) -> None:
        self.label.setText(describe_progress(progress))
        if progress.phase == "embedding" and progress.seconds_left is not None:
            self._last = (progress, time.monotonic())
            self._ticker.start()
        else:
            self._last = None
            self._ticker.stop()
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        else:
            self.bar.setRange(0, 0)

    def _count_down(self) -> None:
        if self._last is None or not self.isVisible():
            self._ticker.stop()
            return
        progress, at = self._last
        left = max(0.0, (progress.seconds_left or 0.0) - (time.monotonic() - at))
        self.label.setText(describe_progress(dataclasses.replace(progress, seconds_left=left)))

    def hideEvent(self, event: QHideEvent) -> None:
        self._last = None
        self._ticker.stop()
        super().hideEvent(event)

    def _cancel(self) -> None:
        self._last = None
        self._ticker.stop()
        self.label.setText("Cancelling…")
        self.cancel.setEnabled(False)
        self.cancel_requested.emit()
