"""Exact phrases: an SQLite FTS5 index of every passage's folded words, so that "quoted words"
are found by a positional index instead of by reading and matching every passage that holds
their stems (seconds on a large library for a phrase of common words).

A phrase matches where its folded words (index/text/folding.words) stand in a passage in order
with nothing but non-word characters between them. The index holds each passage's folded words
joined by single spaces and reads them with FTS5's `ascii` tokenizer, '_' added to its token
characters: there every non-ASCII character is a token character and the only separator left in
the text is the space, so FTS5's tokens are exactly our words and its phrase query is exactly
`phrase_pattern` over the folded text (tests/index/store/test_phrases.py holds them equal on
any text). Contentless (`content=''`): positions only, no second copy of the text.

    gen-NNNNNN/phrases.sqlite   rowid = the passage's row in the keyword index

Rebuilt at every build beside the keyword index, in the same order. An index built before it
existed has no such file; search then matches phrases the slow way, as it used to.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.errors import REBUILD_ADVICE, IndexCorrupt

PHRASES_NAME = "phrases.sqlite"

_SCHEMA = """
CREATE VIRTUAL TABLE passages USING fts5(
    words, content='', columnsize=0, tokenize="ascii tokenchars '_'"
);
CREATE TABLE about (rows INTEGER NOT NULL);
"""

Rows = npt.NDArray[np.int64]


class PhraseIndex:
    """Which passages (keyword-index rows) hold a run of words. Thread-safe, read-only."""

    def __init__(self, connection: sqlite3.Connection, rows: int) -> None:
        self._db = connection
        self.rows = rows
        self._lock = threading.Lock()

    @staticmethod
    def write(path: Path, passages: Iterable[str]) -> bool:
        """Write the index of these passages, one row each in order, each given as its folded
        words joined by single spaces (`" ".join(words(text))`). False (and no file) where this
        SQLite has no FTS5: phrases are then matched the slow way, with the same answers."""
        db = sqlite3.connect(path)
        try:
            db.execute("PRAGMA journal_mode = OFF")  # a new file in an unpublished generation
            db.executescript(_SCHEMA)
            count = 0

            def numbered() -> Iterable[tuple[int, str]]:
                nonlocal count
                for row, passage in enumerate(passages):
                    count = row + 1
                    yield row, passage

            db.executemany("INSERT INTO passages (rowid, words) VALUES (?, ?)", numbered())
            db.execute("INSERT INTO passages (passages) VALUES ('optimize')")  # one b-tree segment
            db.execute("INSERT INTO about (rows) VALUES (?)", (count,))
            db.commit()
        except sqlite3.OperationalError as exc:
            if "fts5" not in str(exc):
                raise
            db.close()
            path.unlink(missing_ok=True)
            return False
        db.close()
        return True

    @classmethod
    def open(cls, generation: Path) -> PhraseIndex | None:
        """The generation's phrase index, or None for an index built without one."""
        path = generation / PHRASES_NAME
        if not path.exists():
            return None
        db = None
        try:
            # immutable: a published generation never changes, so SQLite need not lock it
            db = sqlite3.connect(
                f"{path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
            )
            (rows,) = db.execute("SELECT rows FROM about").fetchone()
            db.execute("SELECT rowid FROM passages WHERE passages MATCH '\"a\"' LIMIT 1").fetchall()
        except (sqlite3.DatabaseError, TypeError) as exc:
            if db is not None:
                db.close()
            raise IndexCorrupt(f"The phrase index is damaged ({exc}). {REBUILD_ADVICE}") from exc
        return cls(db, int(rows))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def rows_with(self, folded_words: Sequence[str]) -> Rows:
        """Rows of the passages where these folded words stand in this order, side by side."""
        if not folded_words:
            return np.empty(0, dtype=np.int64)
        # Words hold no '"' (it is not a word character), so the phrase needs no escaping.
        phrase = '"' + " ".join(folded_words) + '"'
        with self._lock:
            try:
                found = self._db.execute(
                    "SELECT rowid FROM passages WHERE passages MATCH ?", (phrase,)
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                raise IndexCorrupt(
                    f"The phrase index is damaged ({exc}). {REBUILD_ADVICE}"
                ) from exc
        return np.fromiter((r for (r,) in found), dtype=np.int64, count=len(found))
