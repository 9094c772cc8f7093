"""What a build records beside the database in each generation (sources.json): the library's
folders and files, what is left out of them, the model, and the files the build skipped.

A damaged database can be rebuilt from it, and the window and `storylens info` can say which
files were left out of the index, and why, long after the build that found them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.paths import path_text

SOURCES_NAME = "sources.json"


@dataclass(frozen=True)
class Skipped:
    """A path left out of the index, with a one-line reason shown to people: what a build
    reports (index/build/readers.py) and what its record keeps."""

    path: Path
    reason: str


@dataclass(frozen=True)
class BuildRecord:
    sources: list[str]
    excluded: set[str]
    model_ref: str | None
    skipped: list[Skipped]


def write_build_record(
    generation: Path,
    sources: Iterable[str],
    excluded: Iterable[str],
    model_ref: str,
    skipped: Iterable[Skipped],
) -> None:
    record = {
        "sources": list(sources),
        "excluded": sorted(excluded),
        "model_ref": model_ref,
        "skipped": [{"path": path_text(s.path), "reason": s.reason} for s in skipped],
    }
    (generation / SOURCES_NAME).write_text(json.dumps(record, indent=1) + "\n", "utf-8")


def read_build_record(generation: Path) -> BuildRecord:
    """The generation's record. Raises OSError, ValueError, KeyError or TypeError when it is
    missing or damaged; a record written before skipped files were kept has none."""
    record = json.loads((generation / SOURCES_NAME).read_text("utf-8"))
    return BuildRecord(
        sources=[str(s) for s in record["sources"]],
        excluded={str(e) for e in record["excluded"]},
        model_ref=record.get("model_ref"),
        skipped=[Skipped(Path(s["path"]), str(s["reason"])) for s in record.get("skipped", [])],
    )
