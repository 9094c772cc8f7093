"""An index on disk is a directory of generations and one pointer file naming the live one.

    INDEX_DIR/
        storylens-index.json  {"format": "storylens-index", "version": 1}: this folder is ours
        CURRENT               "gen-000004" (replaced atomically with os.replace)
        gen-000004/           storylens.sqlite + passages.faiss + ... + manifest.json
        .writer.lock          held by the one process that is building
        collections.json      the person's named collections (index/store/named_sets.py)

Storylens writes into a folder only once it carries the marker, puts the marker only into a
new or empty folder (or an index it wrote before the marker existed), and deletes nothing there
but generations named as it names them: pointed at a folder of the person's own files by
mistake, it refuses with one line and touches nothing.

A build writes a complete new generation beside the live one and only then swaps CURRENT; a crash
or kill at any moment leaves CURRENT naming the old, complete generation (the LevelDB pattern,
portable where directory renames over non-empty directories are not).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from index.errors import REBUILD_ADVICE, IndexBusy, IndexCorrupt, IndexNotFound, StorylensError
from index.paths import expand_user

DATABASE_NAME = "storylens.sqlite"
VECTORS_NAME = "passages.faiss"
_POINTER = "CURRENT"
_PREFIX = "gen-"
_PARTIAL = ".partial"
_MARKER = "storylens-index.json"
_MARKER_CONTENT = {"format": "storylens-index", "version": 1}
_GENERATION = re.compile(r"gen-\d{6}")  # what new_generation() names, and nothing else
_OURS = {
    _MARKER,
    _POINTER,
    f"{_POINTER}.tmp",
    ".writer.lock",
    "staging",
    "collections.json",  # index/store/named_sets.py
    "collections.tmp",
}


class IndexDir:
    def __init__(self, path: Path) -> None:
        # Absolute from the start: SQLite opens the database by URI, which a relative path
        # cannot be ("idx" from --index or $STORYLENS_INDEX).
        self.path = expand_user(path).absolute()

    def __repr__(self) -> str:
        return f"IndexDir({str(self.path)!r})"

    def exists(self) -> bool:
        return (self.path / _POINTER).is_file()

    def holds_other_files(self) -> bool:
        """A folder that is no index and holds files of its own: Storylens never writes there
        (the window's File > Open library says so before anything is tried)."""
        if not self.path.is_dir() or self.exists() or (self.path / _MARKER).is_file():
            return False
        return any(p.name not in _OURS for p in self.path.iterdir())

    def writable(self) -> bool:
        """Whether this process may write the index here: the folder, or for a new index the
        nearest folder above it that exists (a read-only disk or share, another person's
        folder). Asked of the system (access(2)), which knows read-only mounts even for root."""
        folder = self.path
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return os.access(folder, os.W_OK | os.X_OK)

    def current(self) -> Path:
        """The live generation's directory."""
        pointer = self.path / _POINTER
        if not pointer.is_file():
            raise IndexNotFound(
                f"No index at {self.path} yet. Build one with `storylens index FOLDER`."
            )
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorrupt(f"Cannot read {pointer} ({exc}). {REBUILD_ADVICE}") from exc
        generation = self.path / name
        if not name.startswith(_PREFIX) or "/" in name or not generation.is_dir():
            raise IndexCorrupt(f"{pointer} names a missing generation ({name!r}). {REBUILD_ADVICE}")
        return generation

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer at a time, across processes; a second one is told, not made to wait.
        The folder is claimed as an index first (see the module docstring)."""
        self._claim()
        lock = FileLock(self.path / ".writer.lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise IndexBusy(
                f"Another Storylens process is updating {self.path}. Try again when it finishes."
            ) from None
        except OSError as exc:
            raise StorylensError(_cannot_write(self.path, exc)) from exc
        try:
            # Whoever holds the lock is the only writer: a partial generation is a dead build's
            # (killed, power cut), an old one a dead clean-up's; both go now, even if this call
            # ends up writing nothing.
            self._remove_partials()
            if self.exists():
                with contextlib.suppress(StorylensError):
                    self._remove_old(keep=self.current())
            yield
        finally:
            lock.release()

    def _claim(self) -> None:
        """Make sure the folder is a Storylens index, or may become one; never touch others."""
        marker = self.path / _MARKER
        try:
            if self.path.exists() and not self.path.is_dir():
                raise StorylensError(
                    f"{self.path} is a file, not an index folder. Choose a folder with --index."
                )
            if marker.is_file():
                return
            if self.holds_other_files():
                raise StorylensError(
                    f"{self.path} is not a Storylens index and is not empty. Choose a new "
                    "or empty folder for the index (--index)."
                )
            self.path.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(_MARKER_CONTENT) + "\n", encoding="utf-8")
        except OSError as exc:
            raise StorylensError(_cannot_write(self.path, exc)) from exc

    def new_generation(self) -> Path:
        """A fresh directory for the next generation; call under writer_lock."""
        numbers = [
            int(p.name.removesuffix(_PARTIAL)[len(_PREFIX) :])
            for p in self.path.iterdir()
            if _GENERATION.fullmatch(p.name.removesuffix(_PARTIAL))
        ]
        name = f"{_PREFIX}{max(numbers, default=0) + 1:06d}{_PARTIAL}"
        partial = self.path / name
        partial.mkdir(parents=True)
        return partial

    def publish(self, partial: Path) -> Path:
        """Make a finished generation live: record its files' sizes and checksums (see
        verify), fsync it, rename it, swap CURRENT atomically."""
        _write_manifest(partial)
        for child in partial.iterdir():
            _fsync_file(child)
        final = partial.with_name(partial.name.removesuffix(_PARTIAL))
        kill_point("before-rename")
        partial.rename(final)
        kill_point("before-swap")
        pointer_tmp = self.path / f"{_POINTER}.tmp"
        with pointer_tmp.open("w", encoding="utf-8") as f:
            f.write(final.name + "\n")
            f.flush()
            os.fsync(f.fileno())
        pointer_tmp.replace(self.path / _POINTER)
        _fsync_dir(self.path)
        kill_point("before-clean-up")
        self._remove_old(keep=final)
        return final

    def discard(self, partial: Path) -> None:
        shutil.rmtree(partial, ignore_errors=True)

    def _remove_partials(self) -> None:
        for leftover in self.path.iterdir():
            if leftover.name.endswith(_PARTIAL) and _GENERATION.fullmatch(
                leftover.name.removesuffix(_PARTIAL)
            ):
                shutil.rmtree(leftover, ignore_errors=True)

    def _remove_old(self, keep: Path) -> None:
        # A reader that still has the old generation open keeps working on POSIX; elsewhere the
        # removal fails quietly and is retried by the next writer.
        for old in self.path.iterdir():
            if old != keep and _GENERATION.fullmatch(old.name) and _written_here(old):
                shutil.rmtree(old, ignore_errors=True)


def _written_here(generation: Path) -> bool:
    """A published generation carries what Storylens writes into every one."""
    return (generation / MANIFEST_NAME).is_file() or (generation / DATABASE_NAME).is_file()


KILL_ENV = "STORYLENS_TEST_KILL_AT"


def kill_point(name: str) -> None:
    """For the reliability tests: the process kills itself (SIGKILL, as a power cut would
    stop it) when $STORYLENS_TEST_KILL_AT names this point of a build."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


MANIFEST_NAME = "manifest.json"
# Below this many bytes in all, opening a generation checks every file's checksum (a few tens
# of milliseconds); above it only their sizes, and `storylens info --check` does the rest.
FULL_CHECK_BYTES = 256 * 1024 * 1024


def _write_manifest(generation: Path) -> None:
    files = {
        child.name: {"size": child.stat().st_size, "sha256": _sha256(child)}
        for child in sorted(generation.iterdir())
        if child.is_file() and child.name != MANIFEST_NAME
    }
    (generation / MANIFEST_NAME).write_text(
        json.dumps({"files": files}, indent=1) + "\n", encoding="utf-8"
    )


def verify(generation: Path, *, full: bool | None = None) -> list[str]:
    """What is wrong with a generation's files against its manifest, one line each ([] when
    sound). `full`: compare checksums too (default: when the files are small, see
    FULL_CHECK_BYTES). A generation written before manifests existed has nothing to compare."""
    try:
        manifest = json.loads((generation / MANIFEST_NAME).read_text(encoding="utf-8"))
        files: dict[str, dict[str, object]] = manifest["files"]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST_NAME} is damaged ({exc})"]
    if full is None:
        full = sum(int(str(f.get("size", 0))) for f in files.values()) <= FULL_CHECK_BYTES
    problems = []
    for name, recorded in files.items():
        path = generation / name
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(f"{name} is missing")
            continue
        if size != recorded.get("size"):
            problems.append(f"{name} has {size} bytes, not the {recorded.get('size')} written")
            continue
        try:
            changed = full and _sha256(path) != recorded.get("sha256")
        except OSError:  # gone while read: a writer removed this generation meanwhile
            problems.append(f"{name} is missing")
            continue
        if changed:
            problems.append(f"{name} has changed since it was written (checksum)")
    return problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cannot_write(path: Path, exc: OSError) -> str:
    reason = (exc.strerror or str(exc)).lower()
    return (
        f"Cannot write the index at {path} ({reason}). Choose a folder you may write to "
        "(--index), or free some space there."
    )


def _fsync_file(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
