"""The `formats` check of `storylens --self-test`: every story format reads in this installation.

The sample stories are plain text, so indexing them proves nothing about EPUB, Word, HTML or
PDF. This writes one small file of each kind with the same libraries the readers use (so an
installer that left one out fails here, not on a user's book) and reads it back through
index.build.readers.read_story, which must return the sentence that was written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from index.build.readers import read_story

SENTENCE = "The lighthouse keeper counted the ships until dawn."


def check_formats(folder: Path) -> str:
    """Write and read back one file per format in `folder`; the formats that passed."""
    writers: dict[str, Callable[[Path], None]] = {
        "story.md": _write_markdown,
        "story.html": _write_html,
        "story.epub": _write_epub,
        "story.docx": _write_docx,
        "story.pdf": _write_pdf,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, write in writers.items():
        path = folder / name
        write(path)
        story = read_story(path)
        if SENTENCE not in " ".join(story.text.split()):
            raise AssertionError(f"{name} read back as {story.text[:80]!r}")
    return ", ".join(name.split(".")[1] for name in writers) + " read back"


def _write_markdown(path: Path) -> None:
    path.write_text(f"# A story\n\n{SENTENCE}\n", encoding="utf-8")


def _write_html(path: Path) -> None:
    path.write_text(
        f"<!doctype html><html><head><title>A story</title></head>"
        f"<body><nav>Menu</nav><p>{SENTENCE}</p></body></html>",
        encoding="utf-8",
    )


def _write_epub(path: Path) -> None:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("storylens-self-test")
    book.set_title("A story")
    book.set_language("en")
    chapter = epub.EpubHtml(title="One", file_name="one.xhtml", lang="en")
    chapter.content = f"<html><body><p>{SENTENCE}</p></body></html>"
    book.add_item(chapter)
    book.toc = [chapter]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = [chapter]
    epub.write_epub(str(path), book)


def _write_docx(path: Path) -> None:
    import docx

    document = docx.Document()  # reads python-docx's bundled template
    document.add_paragraph(SENTENCE)
    document.save(str(path))


def _write_pdf(path: Path) -> None:
    """A one-page PDF with a text layer (pypdf reads PDFs but cannot typeset text)."""
    content = f"BT /F1 12 Tf 72 720 Td ({SENTENCE}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%b\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
