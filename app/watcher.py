"""Keeps the library's folders in step while the window is open: a story file added, changed,
moved or deleted there starts a refresh a moment later, once the burst of changes is over.

watchdog (inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows) reports the
changes on a thread of its own; they cross to the GUI thread as a queued signal, and a
single-shot timer merges a burst (a folder copied in, an editor's save-and-rename) into one
refresh. Only story files count: hidden files, editors' temporaries and the index's own files
never start one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from watchdog.events import FileSystemEvent, FileSystemEventHandler

log = logging.getLogger(__name__)

QUIET_MS = 1500  # a refresh starts once the folders have been quiet this long


class FolderWatcher(QObject):
    """Watches folders (recursively) for story files that change.

    Signals:
        changed(): story files changed in a watched folder, and then nothing for QUIET_MS.
    """

    changed = Signal()
    _seen = Signal()  # from watchdog's thread: a story file changed

    def __init__(self, parent: QObject | None = None, *, quiet_ms: int = QUIET_MS) -> None:
        super().__init__(parent)
        self._observer: Any = None
        self._folders: tuple[Path, ...] = ()
        self._quiet = QTimer(self, singleShot=True, interval=quiet_ms)
        self._quiet.timeout.connect(self.changed)
        self._seen.connect(self._quiet.start)  # queued: each change restarts the wait

    @property
    def folders(self) -> tuple[Path, ...]:
        return self._folders

    def watch(self, folders: Sequence[Path]) -> None:
        """Watch exactly these folders from now on (files and missing folders are left out:
        a missing drive is watched again once the library is refreshed with it back)."""
        wanted = tuple(sorted({Path(f) for f in folders if Path(f).is_dir()}))
        if wanted == self._folders and self._observer is not None:
            return
        self.stop()
        self._folders = wanted
        if not wanted:
            return
        from watchdog.observers import Observer

        from index.build.readers import SUPPORTED_SUFFIXES  # light: no engine behind it

        observer = Observer()
        handler = _StoryFileEvents(self._seen.emit, SUPPORTED_SUFFIXES)
        for folder in wanted:
            try:
                observer.schedule(handler, str(folder), recursive=True)
            except OSError as exc:  # too many watches, or the folder went away just now
                log.info("not watching %s: %s", folder, exc)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        """Stop watching (and forget a change not yet announced)."""
        self._quiet.stop()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
        self._folders = ()


class _StoryFileEvents(FileSystemEventHandler):
    """watchdog's event handler, reduced to "a story file changed" (runs on its thread)."""

    def __init__(self, seen: Any, suffixes: frozenset[str]) -> None:
        super().__init__()
        self._seen = seen
        self._suffixes = suffixes

    def dispatch(self, event: FileSystemEvent) -> None:
        if event.event_type in {"opened", "closed_no_write"}:
            return  # reading a file changes nothing
        paths = [getattr(event, "src_path", ""), getattr(event, "dest_path", "")]
        if any(self._is_story(p) for p in paths if p):
            self._seen()

    def _is_story(self, path: str | bytes) -> bool:
        name = Path(path.decode(errors="replace") if isinstance(path, bytes) else path)
        hidden = any(part.startswith((".", "~$")) for part in name.parts)
        return not hidden and name.suffix.lower() in self._suffixes
