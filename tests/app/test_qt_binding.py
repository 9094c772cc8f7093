"""The Qt binding in use does not corrupt Python's reference counts (PySide6 6.12.0 took a
reference to None on every call of many void methods under Python 3.11; after some thousands
of paints the process aborted with "deallocating None")."""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF, QRect, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

CALLS = 200  # few enough that a leaking binding fails the test instead of aborting it


def test_painting_leaves_the_reference_count_of_none_alone(qapp: QApplication) -> None:
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    calls = {
        "fillRect": lambda: painter.fillRect(QRect(0, 0, 4, 4), QColor("red")),
        "drawLine": lambda: painter.drawLine(QPointF(0, 0), QPointF(4, 4)),
        "drawRect": lambda: painter.drawRect(QRectF(0, 0, 4, 4)),
        "drawEllipse": lambda: painter.drawEllipse(QPointF(4, 4), 2.0, 2.0),
        "processEvents": qapp.processEvents,
    }
    lost = {}
    try:
        for name, call in calls.items():
            before = sys.getrefcount(None)
            for _ in range(CALLS):
                call()
            lost[name] = before - sys.getrefcount(None)
    finally:
        painter.end()
    # A few references come and go with the interpreter's own work; one per call does not.
    assert all(count < CALLS // 10 for count in lost.values()), lost
