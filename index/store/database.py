"""The SQLite half of an index: stories (with their exact text), passages, sentences, metadata.

Offsets are character offsets into the stored story text, so every passage and sentence can be
sliced back out of it exactly, even after the original file has moved or changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import REBUILD_ADVICE, IndexCorrupt, IndexIncompatible

SCHEMA_VERSION = 2  # 2: sentence vectors and keyword index beside the passage vectors

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
    path TEXT PRIMARY KEY,
    excluded INTEGER NOT NULL DEFAULT 0      -- 1: a story the person removed from a folder source
);
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    source_format TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE passages (
    id INTEGER PRIMARY KEY,                  -- the FAISS id
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    token_count INTEGER NOT NULL,
    UNIQUE (story_id, ordinal)
);
CREATE TABLE sentences (
    passage_id INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    PRIMARY KEY (passage_id, ordinal)
) WITHOUT ROWID;
"""


def passage_tokens_of(meta: dict[str, str]) -> int | None:
    """The longest passage an index was cut at, in tokens; None: whole paragraphs up to the
    model's limit (the default, and what an index older than the setting has)."""
    value = meta.get("passage_tokens", "")
    return int(value) if value.isdigit() else None


@dataclass(frozen=True)
class StoryRow:
    id: int
    path: str
    title: str
    content_hash: str
    source_format: str
    passage_count: int


@dataclass(frozen=True)
class PassageRow:
    id: int
    story_id: int
    ordinal: int
    start: int
    end: int
    token_count: int


@dataclass(frozen=True)
class NewPassage:
    """A passage about to be stored; its id is also its vector's id in FAISS."""

    id: int
    ordinal: int
    start: int
    end: int
    token_count: int
    sentences: Sequence[tuple[int, int]]


class Store:
    """One SQLite database of an index generation. Not thread-safe: one per thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def create(cls, path: Path) -> Store:
        db = sqlite3.connect(path)
        db.executescript(_SCHEMA)
        store = cls(db)
        store.set_meta({"schema_version": str(SCHEMA_VERSION)})
        return store

    @classmethod
    def open(cls, path: Path, *, writable: bool = False) -> Store:
        """Open and check the schema version; damage becomes IndexCorrupt, not a traceback."""
        if not path.is_file():
            raise IndexCorrupt(f"The index database is missing ({path}). {REBUILD_ADVICE}")
        mode = "rw" if writable else "ro"
        db = None
        try:
            db = sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, check_same_thread=False)
            db.execute("PRAGMA foreign_keys = ON")
            store = cls(db)
            version = store.meta().get("schema_version")
        except sqlite3.DatabaseError as exc:
            if db is not None:
                db.close()
            raise IndexCorrupt(f"The index database is damaged ({exc}). {REBUILD_ADVICE}") from exc
        if version != str(SCHEMA_VERSION):
            db.close()
            raise IndexIncompatible(
                f"This index uses storage format {version}, and this Storylens reads format "
                f"{SCHEMA_VERSION}. {REBUILD_ADVICE}"
            )
        return store

    def close(self) -> None:
        self._db.close()

    def commit(self) -> None:
        self._db.commit()

    def copy_to(self, path: Path) -> Store:
        """A consistent copy (SQLite's backup API), the start of the next generation."""
        target = sqlite3.connect(path)
        self._db.backup(target)
        target.execute("PRAGMA foreign_keys = ON")
        return Store(target)

    # -- metadata and sources ---------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta"))

    def set_meta(self, values: dict[str, str]) -> None:
        self._db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            values.items(),
        )

    def sources(self) -> tuple[list[str], set[str]]:
        """(included roots in the order added, excluded story paths)."""
        rows = self._db.execute("SELECT path, excluded FROM sources ORDER BY rowid").fetchall()
        return [p for p, ex in rows if not ex], {p for p, ex in rows if ex}

    def add_sources(self, paths: Iterable[str]) -> None:
        self._db.executemany(
            "INSERT INTO sources (path, excluded) VALUES (?, 0) "
            "ON CONFLICT(path) DO UPDATE SET excluded = 0",
            ((p,) for p in paths),
        )

    def remove_source(self, path: str) -> None:
        """Forget a root; a story inside a folder root is excluded instead."""
        included, _ = self.sources()
        if path in included:
            self._db.execute("DELETE FROM sources WHERE path = ?", (path,))
        else:
            self._db.execute(
                "INSERT INTO sources (path, excluded) VALUES (?, 1) "
                "ON CONFLICT(path) DO UPDATE SET excluded = 1",
                (path,),
            )

    # -- stories ------------------------------------------------------------------------------

    def stories(self) -> list[StoryRow]:
        rows = self._db.execute(
            "SELECT s.id, s.path, s.title, s.content_hash, s.source_format, "
            "(SELECT COUNT(*) FROM passages p WHERE p.story_id = s.id) "
            "FROM stories s ORDER BY s.title COLLATE NOCASE, s.path"
        )
        return [StoryRow(*row) for row in rows]

    def story_text(self, story_id: int) -> str:
        row = self._db.execute("SELECT text FROM stories WHERE id = ?", (story_id,)).fetchone()
        if row is None:
            raise KeyError(story_id)
        return str(row[0])

    def add_story(
        self, *, path: str, title: str, content_hash: str, source_format: str, text: str
    ) -> int:
        cursor = self._db.execute(
            "INSERT INTO stories (path, title, content_hash, source_format, text) "
            "VALUES (?, ?, ?, ?, ?)",
            (path, title, content_hash, source_format, text),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def delete_story(self, story_id: int) -> list[int]:
        """Delete a story with its passages; returns the passage ids (to drop their vectors)."""
        ids = [
            row[0]
            for row in self._db.execute("SELECT id FROM passages WHERE story_id = ?", (story_id,))
        ]
        self._db.execute("DELETE FROM stories WHERE id = ?", (story_id,))
        return ids

    # -- passages -----------------------------------------------------------------------------

    def add_passages(self, story_id: int, passages: Iterable[NewPassage]) -> None:
        for p in passages:
            self._db.execute(
                "INSERT INTO passages (id, story_id, ordinal, start, end, token_count) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (p.id, story_id, p.ordinal, p.start, p.end, p.token_count),
            )
            self._db.executemany(
                "INSERT INTO sentences (passage_id, ordinal, start, end) VALUES (?, ?, ?, ?)",
                ((p.id, i, s, e) for i, (s, e) in enumerate(p.sentences)),
            )

    def passage_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM passages").fetchone()[0])

    def all_passage_ids(self) -> list[int]:
        return [int(pid) for (pid,) in self._db.execute("SELECT id FROM passages ORDER BY id")]

    def max_passage_id(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(id), -1) FROM passages").fetchone()[0])

    def passages_by_id(self, ids: Sequence[int]) -> dict[int, PassageRow]:
        rows = self._each_in(f"SELECT {_PASSAGE} FROM passages WHERE id IN ({{}})", ids)
        return {row[0]: PassageRow(*row) for row in rows}

    def story_passages(self, story_id: int) -> list[PassageRow]:
        rows = self._db.execute(
            f"SELECT {_PASSAGE} FROM passages WHERE story_id = ? ORDER BY ordinal", (story_id,)
        )
        return [PassageRow(*row) for row in rows]

    def passage_ids_of_stories(self, story_ids: Iterable[int]) -> list[int]:
        rows = self._each_in("SELECT id FROM passages WHERE story_id IN ({})", list(story_ids))
        return [row[0] for row in rows]

    def passage_ids_by_story(self) -> dict[int, list[int]]:
        """Every story's passage ids in reading order."""
        by_story: dict[int, list[int]] = {}
        for story_id, passage_id in self._db.execute(
            "SELECT story_id, id FROM passages ORDER BY story_id, ordinal"
        ):
            by_story.setdefault(story_id, []).append(passage_id)
        return by_story

    def sentence_counts(self, passage_ids: Sequence[int]) -> dict[int, int]:
        return dict(
            self._each_in(
                "SELECT passage_id, COUNT(*) FROM sentences WHERE passage_id IN ({}) "
                "GROUP BY passage_id",
                passage_ids,
            )
        )

    def passage_texts(self, ids: Sequence[int]) -> dict[int, str]:
        """Each passage's text, sliced from its story's. Each story's text is read once, however
        many of its passages are asked for: slicing it in SQLite (substr) read the whole story
        again for every passage, which made a phrase filter matching thousands of passages of a
        large library take seconds. Offsets count characters, as Python's slices do."""
        places: dict[int, list[tuple[int, int, int]]] = {}
        for pid, story_id, start, end in self._each_in(
            "SELECT id, story_id, start, end FROM passages WHERE id IN ({})", ids
        ):
            places.setdefault(story_id, []).append((pid, start, end))
        texts: dict[int, str] = {}
        for story_id, text in self._each_in(
            "SELECT id, text FROM stories WHERE id IN ({})", list(places)
        ):
            for pid, start, end in places[story_id]:
                texts[pid] = text[start:end]
        return texts

    def sentences_of(self, ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        """Each passage's sentences (story offsets) in order; [] for a passage without any."""
        found: dict[int, list[tuple[int, int]]] = {pid: [] for pid in ids}
        for pid, start, end in self._each_in(
            "SELECT passage_id, start, end FROM sentences WHERE passage_id IN ({}) "
            "ORDER BY passage_id, ordinal",
            ids,
        ):
            found[pid].append((int(start), int(end)))
        return found

    def passages_at(self, places: Sequence[tuple[int, int]]) -> dict[tuple[int, int], PassageRow]:
        """The passages at these (story id, ordinal) places; places without one are left out."""
        found: dict[tuple[int, int], PassageRow] = {}
        for first in range(0, len(places), _PER_STATEMENT // 2):
            chunk = places[first : first + _PER_STATEMENT // 2]
            marks = ",".join("(?, ?)" for _ in chunk)
            # A join, not "(story_id, ordinal) IN (VALUES ...)": SQLite scans the whole index for
            # that form (8 ms at 100k passages), and looks each place up for this one.
            for row in self._db.execute(
                f"WITH wanted(story_id, ordinal) AS (VALUES {marks}) "
                f"SELECT {_PASSAGE_OF_P} FROM wanted CROSS JOIN passages AS p "
                "ON p.story_id = wanted.story_id AND p.ordinal = wanted.ordinal",
                [value for place in chunk for value in place],
            ):
                found[(row[1], row[2])] = PassageRow(*row)
        return found

    def _each_in(self, sql: str, values: Sequence[int]) -> Iterator[Any]:
        """The rows of `sql`, whose one "IN ({})" takes `values`, however many there are."""
        for first in range(0, len(values), _PER_STATEMENT):
            chunk = values[first : first + _PER_STATEMENT]
            yield from self._db.execute(sql.format(",".join("?" * len(chunk))), chunk)


_PASSAGE = "id, story_id, ordinal, start, end, token_count"  # a PassageRow's columns
_PASSAGE_OF_P = ", ".join(f"p.{column}" for column in _PASSAGE.split(", "))
_PER_STATEMENT = 500  # parameters in one statement: well under SQLite's cap


def quick_check(path: Path) -> str | None:
    """SQLite's own check of a database, page by page: None when sound, else what it found."""
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            result = str(db.execute("PRAGMA quick_check").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if result == "ok" else result
