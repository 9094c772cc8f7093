"""Turn the paths a person gives into story texts, reporting every file left out and why.

`discover` expands files and folders into the story files to read; `read_story` turns one file
into a `StoryText`. Neither lets a bad file stop a run: `discover` returns `Skipped` entries and
`read_story` raises `UnreadableStory`, both with a one-line reason fit to show to people.

Markdown is kept as written, markup included: stripping it would need a renderer and would move
the text away from what the writer sees in their editor; the asterisks cost search nothing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from index.build import formats
from index.paths import expand_user, path_text
from index.store.build_record import Skipped

# A long novel as plain text is 1-3 MB; an EPUB or PDF of one with a cover and some
# illustrations stays well under 50 MB. Beyond that the file is almost surely not a story
# (a video or disk image renamed, an art book of scans), and the PDF/EPUB parsers hold the whole
# file in memory several times over, so we refuse it up front, before reading a byte.
MAX_FILE_BYTES: int = 50 * 1024 * 1024

_FORMAT_BY_SUFFIX: dict[str, str] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".epub": "epub",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMAT_BY_SUFFIX)

_WORD_SEPARATORS = re.compile(r"[\s_-]+")
_SPACES_AND_UNDERSCORES = re.compile(r"[\s_]+")
_LINE_BREAKS = re.compile(r"\r\n?")


@dataclass(frozen=True)
class StoryText:
    """One story's text, normalised once so that every stored offset refers into `text`."""

    path: Path
    title: str
    text: str
    content_hash: str
    source_format: str
    encoding: str | None
    replaced: int = 0  # byte sequences that could not be decoded, shown as U+FFFD in `text`


class UnreadableStory(Exception):
    """A story file that cannot be read; `reason` is one human-readable line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def file_digest(path: Path) -> str:
    """Hex sha256 of a file's bytes, streamed: tells whether a file changed without parsing it."""
    with Path(path).open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def title_from_path(path: Path) -> str:
    """A readable title from the file name: "sofia-kalejs.txt" -> "Sofia Kalejs".

    "_" always separates words; "-" only in names without spaces ("Anne-Marie's summer" keeps it).
    Names typed all in lowercase get capitalised words; any capital letter means the writer chose
    the casing, so it stays ("McAllister_notes" -> "McAllister notes"). NFC, because macOS hands
    out decomposed file names.
    """
    stem = unicodedata.normalize("NFC", path_text(Path(path).stem))
    separator = _SPACES_AND_UNDERSCORES if " " in stem.strip() else _WORD_SEPARATORS
    words = [word for word in separator.split(stem) if word]
    if not any(ch.isupper() for ch in stem):
        words = [word[:1].upper() + word[1:] for word in words]
    return " ".join(words) or path_text(Path(path).name)


def normalise_text(text: str) -> str:
    """The one text form we store: "\\n" line breaks only, Unicode NFC."""
    return unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", text))


def read_story(path: Path) -> StoryText:
    """Read one story file of any supported format; raises `UnreadableStory` for any bad input."""
    resolved = _resolve(Path(path))
    source_format = _FORMAT_BY_SUFFIX.get(resolved.suffix.lower())
    if source_format is None:
        raise UnreadableStory(_unsupported_reason(resolved))
    raw = _read_bytes(resolved)
    if not raw:
        raise UnreadableStory("empty file")
    text, encoding = _extract(raw, source_format)
    replaced = 0
    if encoding == "utf-8":
        replaced = text.count(formats.REPLACEMENT) - raw.count(formats.REPLACEMENT.encode())
    text = normalise_text(text)
    if not text.strip():
        raise UnreadableStory("empty file (only whitespace)")
    return StoryText(
        path=resolved,
        title=title_from_path(resolved),
        text=text,
        content_hash=hashlib.sha256(raw).hexdigest(),
        source_format=source_format,
        encoding=encoding,
        replaced=replaced,
    )


def _extract(raw: bytes, source_format: str) -> tuple[str, str | None]:
    extractors: dict[str, Callable[[bytes], str]] = {
        "epub": formats.extract_epub,
        "docx": formats.extract_docx,
        "pdf": formats.extract_pdf,
    }
    try:
        if source_format in {"txt", "md"}:
            return formats.decode_plain_text(raw)
        if source_format == "html":
            return formats.extract_html(raw)
        return extractors[source_format](raw), None
    except formats.FormatError as error:
        raise UnreadableStory(error.reason) from error
    except Exception as error:  # a parser's bug on one odd file must not stop the whole run
        reason = f"could not read this {source_format} file: {formats.describe_error(error)}"
        raise UnreadableStory(reason) from error


def _resolve(path: Path) -> Path:
    if not os.path.lexists(path):
        raise UnreadableStory("not found")
    try:
        return path.absolute().resolve(strict=True)
    except RuntimeError as error:  # Python 3.11 reports a symlink loop this way
        raise UnreadableStory("symlink loop") from error
    except FileNotFoundError as error:
        raise UnreadableStory("broken link: its target does not exist") from error
    except OSError as error:
        raise UnreadableStory(_os_reason("cannot open", error)) from error


def _read_bytes(path: Path) -> bytes:
    """Check size and kind from stat before opening: a FIFO would block, a huge file would waste
    memory. Reading stops one byte past the limit in case the file grew since stat."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableStory("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableStory(f"not a regular file ({_file_kind(info.st_mode)})")
        if info.st_size > MAX_FILE_BYTES:
            raise UnreadableStory(_too_large_reason(info.st_size))
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise UnreadableStory(_os_reason("cannot read", error)) from error
    if len(raw) > MAX_FILE_BYTES:
        raise UnreadableStory(_too_large_reason(len(raw)))
    return raw


def discover(paths: Iterable[Path | str]) -> tuple[list[Path], list[Skipped]]:
    """Expand files and folders (recursively) into story files, sorted, each once.

    Returned paths are absolute and resolved, like `StoryText.path`. Hidden entries and Office
    lock files ("~$story.docx") inside folders are passed over silently: they are never stories,
    and listing them would bury the reasons that matter. Never raises.
    """
    walker = _Walker()
    for given in paths:
        walker.visit(expand_user(given).absolute(), ancestors=frozenset())
    return sorted(walker.found), walker.skipped


class _Walker:
    def __init__(self) -> None:
        self.found: set[Path] = set()
        self.skipped: list[Skipped] = []
        self._walked_dirs: set[tuple[int, int]] = set()

    def visit(self, path: Path, ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            resolved = _resolve(path)
            info = resolved.stat()
        except UnreadableStory as error:
            self.skipped.append(Skipped(path, error.reason))
            return
        except OSError as error:
            self.skipped.append(Skipped(path, _os_reason("cannot open", error)))
            return
        if stat.S_ISDIR(info.st_mode):
            self._walk_dir(path, resolved, (info.st_dev, info.st_ino), ancestors)
        elif not stat.S_ISREG(info.st_mode):
            self.skipped.append(Skipped(path, f"not a regular file ({_file_kind(info.st_mode)})"))
        elif resolved.suffix.lower() not in SUPPORTED_SUFFIXES:
            self.skipped.append(Skipped(path, _unsupported_reason(resolved)))
        else:
            self.found.add(resolved)

    def _walk_dir(
        self,
        path: Path,
        resolved: Path,
        identity: tuple[int, int],
        ancestors: frozenset[tuple[int, int]],
    ) -> None:
        if identity in ancestors:
            self.skipped.append(Skipped(path, "symlink loop: links back to a folder above it"))
            return
        if identity in self._walked_dirs:
            return  # reached again through another link or argument: its files are in already
        self._walked_dirs.add(identity)
        try:
            with os.scandir(resolved) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as error:
            self.skipped.append(Skipped(path, _os_reason("cannot open folder", error)))
            return
        inner = ancestors | {identity}
        for name in names:
            if not name.startswith((".", "~$")):
                self.visit(path / name, inner)


def _unsupported_reason(path: Path) -> str:
    kind = f"{path.suffix.lower()} files" if path.suffix else "files without an extension"
    return f"unsupported file type: {kind} are not read ({', '.join(sorted(SUPPORTED_SUFFIXES))})"


def _too_large_reason(size: int) -> str:
    return f"too large: {size / 2**20:.0f} MB (the limit is {MAX_FILE_BYTES // 2**20} MB)"


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "an unusual kind of file"


def _os_reason(action: str, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "symlink loop"
    detail = error.strerror or formats.describe_error(error)
    return f"{action}: {detail[:1].lower()}{detail[1:]}"
