"""The story list: a checkbox per story chooses which stories a search looks in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor, QContextMenuEvent, QFontMetricsF, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.theme import colors, named

if TYPE_CHECKING:  # the engine loads in workers, after the window is up
    from index import Story

_Index = QModelIndex | QPersistentModelIndex
PASSAGES_ROLE = Qt.ItemDataRole.UserRole + 1  # int: how many passages the story has


class StoriesModel(QAbstractListModel):
    """The library's stories, by title, each checkable. Unchecked stories are remembered by path,
    so the choice survives re-indexing and restarts.

    Signals: filter_changed(object): the person checked or unchecked stories: the checked
        story ids, or None when all are checked. Not emitted by set_stories(): whoever changes
        the library acts on the change once (a finished build searches again once).
    """

    filter_changed = Signal(object)

    def __init__(self, unchecked_paths: set[str] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._stories: list[Story] = []
        self._unchecked: set[str] = set(unchecked_paths or ())

    def set_stories(self, stories: list[Story]) -> None:
        self.beginResetModel()
        self._stories = sorted(stories, key=lambda s: s.title.casefold())
        self.endResetModel()

    def stories(self) -> list[Story]:
        return list(self._stories)

    def story(self, row: int) -> Story:
        return self._stories[row]

    def unchecked_paths(self) -> list[str]:
        return sorted(self._unchecked)

    def checked_ids(self) -> list[int] | None:
        """Ids of the checked stories; None when every story is checked (no filter)."""
        checked = [s.id for s in self._stories if s.path not in self._unchecked]
        return None if len(checked) == len(self._stories) else checked

    def set_checked(self, story_ids: set[int]) -> None:
        """Check exactly these stories."""
        for story in self._stories:
            if story.id in story_ids:
                self._unchecked.discard(story.path)
            else:
                self._unchecked.add(story.path)
        self._changed_all()

    def check_all(self) -> None:
        self._unchecked.difference_update(s.path for s in self._stories)
        self._changed_all()

    def _changed_all(self) -> None:
        if self._stories:
            self.dataChanged.emit(
                self.index(0), self.index(len(self._stories) - 1), [Qt.ItemDataRole.CheckStateRole]
            )
        self.filter_changed.emit(self.checked_ids())

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._stories)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._stories):
            return None
        story = self._stories[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{story.title} (offline)" if story.offline else story.title
        if role == Qt.ItemDataRole.ForegroundRole and story.offline:
            return QBrush(QColor(colors().muted))  # the theme's, read when painted
        if role == Qt.ItemDataRole.CheckStateRole:
            unchecked = story.path in self._unchecked
            return Qt.CheckState.Unchecked if unchecked else Qt.CheckState.Checked
        if role == PASSAGES_ROLE:
            return story.passage_count
        if role == Qt.ItemDataRole.ToolTipRole:
            offline = (
                "\n\nIts file cannot be found now (a folder renamed or a drive not mounted): it "
                "stays as indexed until you remove it."
                if story.offline
                else ""
            )
            return (
                f"{story.title}\n{story.passage_count} passages · {story.source_format}\n"
                f"{story.path}{offline}\n\nUncheck to leave it out of searches."
            )
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        story = self._stories[index.row()]
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self._unchecked.discard(story.path)
        else:
            self._unchecked.add(story.path)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.filter_changed.emit(self.checked_ids())
        return True

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )


class StoryDelegate(QStyledItemDelegate):
    """A story row: checkbox and title as usual, its passage count muted at the right (no
    signals)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        count = index.data(PASSAGES_ROLE)
        if not isinstance(count, int):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        label = f"{count:,}"
        metrics = QFontMetricsF(opt.font)
        room = metrics.horizontalAdvance(label) + metrics.height() * 0.8
        text_rect = opt.widget.style().subElementRect(
            QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget
        )
        opt.text = metrics.elidedText(
            opt.text, Qt.TextElideMode.ElideRight, text_rect.width() - room
        )
        opt.widget.style().drawControl(
            QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget
        )
        painter.save()
        painter.setPen(QColor(colors().muted))
        right = QRectF(opt.rect).adjusted(0, 0, -metrics.height() * 0.4, 0)
        painter.drawText(right, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        painter.restore()


class LibraryView(QWidget):
    """The sidebar: "Stories" with a count, the checkable list, and a context menu.

    Signals:
        remove_requested(object): the Story to remove from the library.
        add_requested(): the "+" button (add a folder).
        open_requested(object): the Story to read, from its start (Enter or a double click).
    """

    remove_requested = Signal(object)
    add_requested = Signal()
    open_requested = Signal(object)

    def __init__(self, model: StoriesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.model = model
        em = self.fontMetrics().height()
        self.heading = named(QLabel("STORIES", self), "paneTitle")
        heading_font = self.heading.font()
        heading_font.setPointSizeF(heading_font.pointSizeF() * 0.85)
        heading_font.setLetterSpacing(heading_font.SpacingType.PercentageSpacing, 110)
        self.heading.setFont(heading_font)
        self.count = named(QLabel(self), "muted")
        self.add_button = QToolButton(self)
        self.add_button.setText("+")
        self.add_button.setToolTip("Add a folder of stories")
        self.add_button.setAutoRaise(True)
        self.add_button.clicked.connect(self.add_requested)
        self.list = _StoriesList(self)
        self.list.setObjectName("stories")
        self.list.setModel(model)
        self.list.setItemDelegate(StoryDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setSpacing(max(1, round(em * 0.08)))
        self.list.setAccessibleName("Stories")
        self.list.remove_requested.connect(self.remove_requested)
        self.list.activated.connect(
            lambda index: self.open_requested.emit(model.story(index.row()))
        )

        header = QHBoxLayout()
        header.setContentsMargins(round(em * 0.9), round(em * 0.9), round(em * 0.5), 0)
        header.addWidget(self.heading)
        header.addWidget(self.count)
        header.addStretch()
        header.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(round(em * 0.4))
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        self.list.setContentsMargins(round(em * 0.5), 0, round(em * 0.5), 0)
        self.list.setViewportMargins(round(em * 0.4), 0, round(em * 0.4), 0)
        model.modelReset.connect(self._update_count)
        model.filter_changed.connect(self._update_count)

    def _update_count(self) -> None:
        stories = self.model.stories()
        checked = self.model.checked_ids()
        shown = len(stories) if checked is None else len(checked)
        self.count.setText(f"{shown} of {len(stories)}" if checked is not None else f"{shown}")

    def current_story(self) -> Story | None:
        index = self.list.currentIndex()
        return self.model.story(index.row()) if index.isValid() else None

    def sizeHint(self) -> QSize:
        em = self.fontMetrics().height()
        return QSize(em * 13, em * 30)


class _StoriesList(QListView):
    """Signals: remove_requested(object): a Story chosen for removal in the context menu."""

    remove_requested = Signal(object)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        model = self.model()
        assert isinstance(model, StoriesModel)
        index = self.indexAt(event.pos())
        menu = QMenu(self)
        if index.isValid():
            story = model.story(index.row())
            only = QAction(f"Search only “{story.title}”", menu)
            only.triggered.connect(lambda: model.set_checked({story.id}))
            menu.addAction(only)
        every = QAction("Search all stories", menu)
        every.triggered.connect(model.check_all)
        menu.addAction(every)
        if index.isValid():
            menu.addSeparator()
            story = model.story(index.row())
            remove = QAction(f"Remove “{story.title}” from the library…", menu)
            remove.setToolTip(f"Forget {Path(story.path).name}; the file itself is not deleted")
            remove.triggered.connect(lambda: self.remove_requested.emit(story))
            menu.addAction(remove)
        menu.exec(event.globalPos())
