"""Make the evaluation files of Darwin's *On the Origin of Species* in its first and sixth editions.

    python -m benchmarks.eval.prepare_darwin FIRST.txt SIXTH.txt

The inputs are Project Gutenberg's plain texts: the first edition (John Murray, 1859; eBook
#1228) and the sixth (1872; eBook #2009), which Darwin revised sentence by sentence over
thirteen years and enlarged by a third (a historical sketch, a new chapter VII, a glossary).
What is kept, for the Introduction and each chapter: its paragraphs, one a line, under a line
`BOOK N` (the Introduction is 1, chapter I is 2). Left out: everything before the Introduction
and after the last chapter (title pages, contents, the historical sketch, the glossary, the
index, the distributor's licence text), headings, and each chapter's printed list of contents
(its first paragraph). Written gzipped to benchmarks/eval/data/ by prepare_homer.write.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

from benchmarks.eval.prepare_homer import DATA, write

EDITIONS = (DATA / "origin-1859.txt.gz", DATA / "origin-1872.txt.gz")
_HEADING = re.compile(r"^(INTRODUCTION\.|CHAPTER [IVXL]+\.)(.*)$", re.M)
_END = re.compile(r"^(INDEX\.|GLOSSARY)", re.M)


def sections_of(text: str) -> list[list[str]]:
    """The paragraphs of the Introduction and of each chapter, without headings and without
    each chapter's list of contents."""
    text = text.replace("\r\n", "\n")
    headings = list(_HEADING.finditer(text))
    first = max(i for i, h in enumerate(headings) if h.group(1) == "INTRODUCTION.")
    headings = headings[first:]  # the contents list names them too
    end = _END.search(text, headings[-1].end())
    if end is None:
        raise ValueError("no index or glossary after the last chapter")
    sections = []
    for number, heading in enumerate(headings):
        stop = headings[number + 1].start() if number + 1 < len(headings) else end.start()
        paragraphs = [
            " ".join(block.split()) for block in re.split(r"\n\s*\n", text[heading.end() : stop])
        ]
        paragraphs = [p for p in paragraphs if p and not p.isupper()]  # headings in capitals
        sections.append(paragraphs if number == 0 else paragraphs[1:])
    return sections


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("first", type=Path, help="the first edition (1859), plain text")
    parser.add_argument("sixth", type=Path, help="the sixth edition (1872), plain text")
    args = parser.parse_args(argv)
    for source, target in zip((args.first, args.sixth), EDITIONS, strict=True):
        write(sections_of(source.read_text(encoding="utf-8-sig")), target)
        print(f"{target}: {target.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
