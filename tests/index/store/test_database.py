"""The SQLite half of an index: damage is reported, and never leaves a file handle open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.errors import IndexCorrupt
from index.store.database import Store


def _open_handles(path: Path) -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd) == str(path.resolve()))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts handles through /proc")
def test_a_damaged_database_is_reported_and_closed(tmp_path: Path) -> None:
    damaged = tmp_path / "storylens.sqlite"
    damaged.write_bytes(b"this is not a database" * 100)
    for _ in range(3):
        with pytest.raises(IndexCorrupt, match="damaged"):
            Store.open(damaged)
    assert _open_handles(damaged) == 0


def test_passage_texts_are_their_stories_slices(fake_seed_index: Path) -> None:
    """Texts come from one read of each story, sliced in Python: the same as SQLite's substr
    of the story between the passage's offsets (characters), accents and curly quotes included."""
    from index.store.generations import IndexDir

    store = Store.open(IndexDir(fake_seed_index).current() / "storylens.sqlite")
    try:
        ids = store.all_passage_ids()
        texts = store.passage_texts(ids)
        by_sqlite = dict(
            store._db.execute(
                "SELECT p.id, substr(s.text, p.start + 1, p.end - p.start) "
                "FROM passages p JOIN stories s ON s.id = p.story_id"
            )
        )
    finally:
        store.close()
    assert texts == by_sqlite and len(texts) == len(ids) > 1
    assert any(not text.isascii() for text in texts.values())
