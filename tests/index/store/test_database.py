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
