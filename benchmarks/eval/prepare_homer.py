"""Make the evaluation files of Homer's two poems, each in two public-domain prose translations.

    python -m benchmarks.eval.prepare_homer odyssey BUTLER.txt LANG.txt
    python -m benchmarks.eval.prepare_homer iliad BUTLER.txt LANG.txt

The inputs are plain texts: for the Odyssey, Samuel Butler's translation (1900; Project
Gutenberg eBook #1727) and S. H. Butcher and Andrew Lang's (1879; eBook #1728); for the Iliad,
Butler's (1898; eBook #2199) and Andrew Lang, Walter Leaf and Ernest Myers's (1883, revised
1911; eBook #3059). What is kept, for each of the 24 books: its paragraphs, one a line, under a
line `BOOK N`. Left out: everything before the first
book and after the last (prefaces, contents, Butler's endnotes, Lang's closing sonnet, the
distributor's licence text), each book's printed summary (its first paragraph), Butcher and
Lang's footnotes and the footnote marks in the text. Written gzipped to benchmarks/eval/data/.
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections.abc import Sequence
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
# Per poem: (Butler's translation, the one Andrew Lang had a hand in).
WORKS = {
    "odyssey": (DATA / "odyssey-butler-1900.txt.gz", DATA / "odyssey-butcher-lang-1879.txt.gz"),
    "iliad": (DATA / "iliad-butler-1898.txt.gz", DATA / "iliad-lang-leaf-myers-1883.txt.gz"),
}
BOOKS = 24

_HEADING = re.compile(r"^BOOK ([IVXL]+)\.?[ \t]*$", re.M)
_FOOTNOTE_MARK = re.compile(r"\[\d+\]")


def books_of(text: str) -> list[list[str]]:
    """The paragraphs of each book, each on one line, without summaries and footnotes."""
    # The distributor's licence, Butler's endnotes, Lang's closing sonnet "The Odyssey".
    for end_marker in ("*** END OF", "\nFOOTNOTES:", "\nHomer, thy song men liken to the sea"):
        cut = text.find(end_marker)
        if cut > 0:
            text = text[:cut]
    headings = list(_HEADING.finditer(text))[-BOOKS:]  # the contents list names them too
    if len(headings) != BOOKS:
        raise ValueError(f"found {len(headings)} book headings, not {BOOKS}")
    books = []
    for number, heading in enumerate(headings):
        stop = headings[number + 1].start() if number + 1 < BOOKS else len(text)
        paragraphs = []
        for block in re.split(r"\n\s*\n", text[heading.end() : stop]):
            if re.match(r"\s*\[\d+\]", block):  # a footnote printed after its paragraph
                continue
            paragraph = " ".join(_FOOTNOTE_MARK.sub("", block).split())
            if paragraph:
                paragraphs.append(paragraph)
        books.append(paragraphs[1:])  # the first is the book's printed summary
    return books


def write(books: list[list[str]], target: Path) -> None:
    lines = []
    for number, paragraphs in enumerate(books, start=1):
        lines.append(f"BOOK {number}")
        lines.extend(paragraphs)
    target.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same input gives the same bytes.
    with gzip.GzipFile(target, "wb", mtime=0) as out:
        out.write(("\n".join(lines) + "\n").encode("utf-8"))


def read(source: Path) -> list[list[str]]:
    """The books written by `write`."""
    books: list[list[str]] = []
    for line in gzip.decompress(source.read_bytes()).decode("utf-8").splitlines():
        if line.startswith("BOOK "):
            books.append([])
        elif line:
            books[-1].append(line)
    return books


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("work", choices=sorted(WORKS))
    parser.add_argument("butler", type=Path, help="Butler's translation, plain text")
    parser.add_argument("lang", type=Path, help="the translation by Lang and others, plain text")
    args = parser.parse_args(argv)
    butler, lang = WORKS[args.work]
    for source, target in ((args.butler, butler), (args.lang, lang)):
        write(books_of(source.read_text(encoding="utf-8-sig")), target)
        print(f"{target}: {target.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
