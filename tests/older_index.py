"""An index as a Storylens from before stored token vectors wrote it, made from a current one."""

from __future__ import annotations

from pathlib import Path

from index.store import tokens
from index.store.generations import IndexDir, _write_manifest


def without_stored_tokens(index_dir: Path) -> Path:
    """Remove the live generation's token files and record the rest, as an older build did."""
    generation = IndexDir(index_dir).current()
    for name in (tokens.CODEC_NAME, tokens.CODES_NAME, tokens.TABLE_NAME):
        (generation / name).unlink()
    _write_manifest(generation)
    return index_dir
