"""How well whole-story alignment finds what two translations tell alike, on public text whose
correspondence is known without a model: each book of the Odyssey (or the Iliad) in Butler's
prose as one story, the same book in the translation Lang had a hand in as the other (see
homer.py).

    python -m benchmarks.eval.align_homer [--poem odyssey|iliad] [--work DIR] [--books 1-24]

Per book, `align_stories` (stored vectors, no model pass) and, against the truth, over the
stretches of Butler's text where the map is precise (the two anchor words around the stretch's
middle under MAX_GAP characters apart in Lang's; "judged" says how much of the text that is):
- matched: the share of that text in matched stretches whose counterpart is right (the
  stretch's place mapped into Lang's overlaps the stretch it was matched with by at least half
  of the shorter of the two);
- wrong: the share in matched stretches whose counterpart is wrong; the rest is left unmatched
  (the two translations tell everything, so any gap is a miss);
- link precision: the share of sentence links whose Butler sentence's middle maps inside the
  linked sentence of Lang's, give or take 60 characters (about four times the map's median
  error); link recall: correct links over Butler's sentences;
- out of order: passages paired as told out of order (StoryAlignment.elsewhere), which a
  translation should have none of.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.eval.homer import Book, books

TOLERANCE = 60
MAX_GAP = 3000


def write_books(chosen: Sequence[Book], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for book in chosen:
        for who, text in (("butler", book.butler_text), ("lang", book.lang_text)):
            path = folder / f"{who}-{book.number:02d}.txt"
            if not path.exists():
                path.write_text(text + "\n", encoding="utf-8")


def judge(book: Book, alignment: object, sentences: Sequence[tuple[int, int]]) -> dict[str, float]:
    """The measures above for one book; `sentences`: Butler's, as story offsets."""
    from index.compare.stories import StoryAlignment

    assert isinstance(alignment, StoryAlignment)
    judged = right_chars = wrong_chars = judged_sentences = 0
    links = correct_links = 0
    for segment in alignment.segments:
        if segment.left is None:
            continue
        if book.anchor_gap((segment.left.start + segment.left.end) / 2) > MAX_GAP:
            continue
        judged += segment.left.end - segment.left.start
        judged_sentences += sum(
            segment.left.start <= (a + b) / 2 < segment.left.end for a, b in sentences
        )
        if segment.right is None:
            continue
        low = book.to_lang(segment.left.start)
        high = book.to_lang(segment.left.end)
        overlap = min(high, segment.right.end) - max(low, segment.right.start)
        shorter = min(high - low, segment.right.end - segment.right.start)
        if overlap >= shorter / 2:
            right_chars += segment.left.end - segment.left.start
        else:
            wrong_chars += segment.left.end - segment.left.start
        for link in segment.links:
            links += 1
            middle = book.to_lang((link.left[0] + link.left[1]) / 2)
            correct_links += link.right[0] - TOLERANCE <= middle <= link.right[1] + TOLERANCE
    return {
        "judged": judged / len(book.butler_text),
        "matched": right_chars / max(judged, 1),
        "wrong": wrong_chars / max(judged, 1),
        "links": links,
        "link_precision": correct_links / max(links, 1),
        "link_recall": correct_links / max(judged_sentences, 1),
        "out_of_order": len(alignment.elsewhere),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--poem", choices=["odyssey", "iliad"], default="odyssey")
    parser.add_argument("--work", type=Path, help="keep the index here and reuse it")
    parser.add_argument("--books", default="1-24", help="a range of book numbers, e.g. 1-6")
    args = parser.parse_args(argv)
    first, _, last = args.books.partition("-")
    chosen = [b for b in books(args.poem) if int(first) <= b.number <= int(last or first)]

    from index.build.builder import build_index
    from index.compare.stories import align_stories
    from index.embed.model import Embedder
    from index.search.library import Library

    with tempfile.TemporaryDirectory() as tmp:
        where = args.work or Path(tmp)
        write_books(chosen, where / "stories")
        embedder = Embedder()
        build_index([where / "stories"], where / "index", embedder=embedder)
        library = Library.open(where / "index", embedder=embedder)
        by_title = {Path(s.path).stem: s for s in library.stories()}
        print(
            "book | passages B/L | judged | matched | wrong | links | precision | recall | "
            "out of order | s"
        )
        rows = []
        for book in chosen:
            left = by_title[f"butler-{book.number:02d}"]
            right = by_title[f"lang-{book.number:02d}"]
            if not library.story_text(left.id).startswith(book.butler_text):
                raise SystemExit(f"book {book.number}: the stored text is not the file's")
            started = time.perf_counter()
            alignment = align_stories(library, left, right)
            seconds = time.perf_counter() - started
            left_passages = library.passages(left.id)
            sentences = [span for p in left_passages for span in p.sentences]
            result = judge(book, alignment, sentences)
            precision, recall = result["link_precision"], result["link_recall"]
            moved = result["out_of_order"]
            rows.append(
                (
                    result["judged"],
                    result["matched"],
                    result["wrong"],
                    precision,
                    recall,
                    moved,
                    seconds,
                )
            )
            print(
                f"{book.number} | {len(left_passages)}/{len(library.passages(right.id))} | "
                f"{result['judged']:.2f} | {result['matched']:.3f} | {result['wrong']:.3f} | "
                f"{result['links']:.0f} | {precision:.3f} | {recall:.3f} | {moved:.0f} | "
                f"{seconds:.3f}"
            )
        library.close()
    judged, matched, wrong, precision, recall, moved, seconds = zip(*rows, strict=True)
    print(
        f"mean | | {statistics.fmean(judged):.2f} | {statistics.fmean(matched):.3f} | "
        f"{statistics.fmean(wrong):.3f} | | {statistics.fmean(precision):.3f} | "
        f"{statistics.fmean(recall):.3f} | {sum(moved):.0f} in all | "
        f"{statistics.fmean(seconds):.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
