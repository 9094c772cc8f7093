"""Per-format text extraction: raw file bytes in, plain text with blank-line paragraphs out.

Every extractor returns text whose paragraphs are separated by one blank line, because the
chunker splits on blank lines. Heavy libraries (ebooklib, python-docx, pypdf, bs4) are imported
inside the functions so that importing the engine stays cheap for the GUI's main thread.
Failures raise `FormatError` with a one-line reason; `index.build.readers` turns it into
`UnreadableStory`. Parsers of untrusted files raise all kinds of exception types on corrupt input,
so the extractors catch `Exception` around the parse and report it as one line.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import statistics
import unicodedata
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

# Order matters: the UTF-32-LE BOM starts with the UTF-16-LE BOM.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Text files never hold C0/C1 control characters beyond the whitespace ones (an old DOS file
# may end with one ^Z). More than a couple, and more than this share of the characters, means we
# decoded something that is not text.
_MAX_CONTROL_SHARE = 0.01
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # category Cc, less \t\n\v\f\r

_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "caption", "dd", "details"),
        *("dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav"),
        *("ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr"),
        *("td", "th", "ul"),
    }
)
_DROPPED_TAGS = frozenset(
    {"head", "script", "style", "noscript", "template", "iframe", "object", "svg", "math"}
)
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML collapses these, but not the no-break space
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")

# Closing quotes and brackets count: dialogue paragraphs end with them. (Escapes keep ruff calm.)
_SENTENCE_END = tuple('.!?\u2026:;"\u201d\u2019\u00bb)')
_PAGE_NUMBER = re.compile(r"\d{1,4}|[-\u2013\u2014]\s*\d{1,4}\s*[-\u2013\u2014]")
_SHORT_LINE_SHARE = 0.75  # a prose line this much shorter than a full line ends its paragraph


class FormatError(ValueError):
    """A file's bytes cannot be turned into story text; `reason` is one human-readable line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe_error(error: BaseException) -> str:
    """First line of an exception message, short enough for a one-line reason."""
    lines = str(error).strip().splitlines()
    message = lines[0] if lines else type(error).__name__
    return message if len(message) <= 120 else message[:117] + "..."


def check_looks_like_text(text: str) -> None:
    """Reject decoded text that is really binary data (NUL bytes, many control characters)."""
    if "\x00" in text:
        raise FormatError("not valid text: looks like binary data (contains NUL bytes)")
    controls = len(_CONTROL_CHARS.findall(text))
    if controls > max(2, _MAX_CONTROL_SHARE * len(text)):
        raise FormatError("not valid text: looks like binary data (control characters)")


def decode_plain_text(raw: bytes) -> tuple[str, str]:
    """Decode a plain-text file; returns (text without BOM, Python codec name).

    Order: a BOM decides; then strict UTF-8 (by far the most common, and detectors misjudge
    short UTF-8 files); then charset-normalizer. Among single-byte Latin code pages the detector
    cannot tell cp1252 from cp1250/cp1257 on short texts (it reads "naïve" as "naďve"), so when
    its best guess is any single-byte Latin-script code page we take cp1252, the Western default:
    it is what Windows wrote, and a superset of the printable latin-1 range.
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError as error:
                raise FormatError(f"not valid text: broken {codec} after its BOM") from error
            check_looks_like_text(text)
            return text.removeprefix("\ufeff"), codec
    try:
        utf8: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = _mostly_utf8(raw)
    if utf8 is None or "\x00" in utf8:  # NULs: binary, or UTF-16 without a BOM
        return _decode_legacy(raw)
    check_looks_like_text(utf8)
    return utf8, "utf-8"


def _mostly_utf8(raw: bytes) -> str | None:
    """UTF-8 with a few broken sequences (a bad copy, two files joined), those replaced by
    U+FFFD; None when the bytes are more likely another encoding. Read as a single-byte code
    page instead, every accented letter of such a file would come out wrong. The test: more
    characters beyond ASCII decode as UTF-8 than sequences fail to."""
    text = raw.decode("utf-8", "replace")
    broken = text.count(REPLACEMENT) - raw.count(REPLACEMENT.encode())
    decoded = sum(1 for ch in text if ord(ch) > 0x7F and ch != REPLACEMENT)
    return text if 0 < broken < decoded else None


REPLACEMENT = "\ufffd"


def _decode_legacy(raw: bytes) -> tuple[str, str]:
    import charset_normalizer

    best = charset_normalizer.from_bytes(raw).best()
    if best is None:
        if b"\x00" in raw:
            raise FormatError("not valid text: looks like binary data (contains NUL bytes)")
        raise FormatError("not valid text: not UTF-8 and no plausible encoding found")
    codec = codecs.lookup(best.encoding).name
    text = str(best)
    if b"\x00" in raw and not codec.startswith(("utf-16", "utf-32")):
        raise FormatError("not valid text: looks like binary data (contains NUL bytes)")
    single_byte = len(text) == len(raw)
    if codec != "cp1252" and single_byte and _is_latin_script(text):
        # Bytes undefined in cp1252 (0x81, 0x8D, ...) keep the detector's choice.
        with contextlib.suppress(UnicodeDecodeError):
            text, codec = raw.decode("cp1252"), "cp1252"
    check_looks_like_text(text)
    return text, codec


def _is_latin_script(text: str) -> bool:
    """No letters beyond Latin ones ("ª" and "µ" of the latin-1 range count as Latin too)."""
    letters = {ch for ch in text if ord(ch) > 0xFF and ch.isalpha()}
    return all(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)


def extract_html(raw: bytes) -> tuple[str, str | None]:
    """HTML file -> (text, detected encoding); bs4 reads <meta charset> and sniffs the rest."""
    if b"\x00" in raw and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FormatError("not valid HTML: looks like binary data (contains NUL bytes)")
    soup = _parse_html(raw)
    text = html_to_text(soup)
    if not text:
        raise FormatError("no text found in the HTML")
    check_looks_like_text(text)
    declared = soup.original_encoding
    return text, codecs.lookup(declared).name if declared else None


def _parse_html(markup: bytes) -> BeautifulSoup:
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        # EPUB chapters are XHTML: the lenient HTML parser is the right tool for them anyway.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, "lxml")


def html_to_text(root: Tag) -> str:
    """Block elements become paragraphs, <br> a line break; scripts, styles and <head> vanish.

    Runs of spaces collapse as a browser shows them; <pre> keeps its line breaks, not its indent.
    """
    from bs4.element import (
        Comment,
        Declaration,
        Doctype,
        NavigableString,
        ProcessingInstruction,
    )
    from bs4.element import Tag as TagType

    skipped_strings = (Comment, Declaration, Doctype, ProcessingInstruction)
    paragraphs: list[str] = []
    current: list[str] = []

    def end_paragraph() -> None:
        joined = "".join(current)
        current.clear()
        for part in _BLANK_LINES.split(joined):
            lines = (line.strip(" ") for line in part.split("\n"))
            paragraph = "\n".join(line for line in lines if line).strip()
            if paragraph:
                paragraphs.append(paragraph)

    # An explicit stack instead of recursion: real-world HTML can nest deeper than Python recurses.
    end_block = object()
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, in_pre = stack.pop()
        if node is end_block:
            end_paragraph()
        elif isinstance(node, NavigableString):
            if not isinstance(node, skipped_strings):
                current.append(str(node) if in_pre else _HTML_SPACE.sub(" ", str(node)))
        elif isinstance(node, TagType):
            name = node.name.lower()
            if name in _DROPPED_TAGS:
                continue
            if name == "br":
                current.append("\n")
                continue
            in_pre = in_pre or name == "pre"
            if name in _BLOCK_TAGS:
                end_paragraph()
                stack.append((end_block, in_pre))
            stack.extend((child, in_pre) for child in reversed(node.contents))
    end_paragraph()
    return "\n\n".join(paragraphs)


def extract_epub(raw: bytes) -> str:
    """Chapters in spine (reading) order; the navigation document and non-linear items are left
    out, as they are tables of contents and asides rather than the story."""
    from ebooklib import epub

    try:
        book = epub.read_epub(io.BytesIO(raw), options={"ignore_ncx": True})
    except Exception as error:
        raise FormatError(f"not a valid EPUB file: {describe_error(error)}") from error
    chapters: list[str] = []
    for idref, linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or isinstance(item, epub.EpubNav) or linear == "no":
            continue
        try:
            chapter = html_to_text(_parse_html(item.get_content()))
        except Exception as error:
            reason = f"unreadable EPUB chapter {idref}: {describe_error(error)}"
            raise FormatError(reason) from error
        if chapter:
            chapters.append(chapter)
    if not chapters:
        raise FormatError("no text found in the EPUB")
    return "\n\n".join(chapters)


def extract_docx(raw: bytes) -> str:
    """Body paragraphs and table cells in document order; headers, footers and notes left out."""
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError("old Word .doc format inside a .docx name: save it as .docx")
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
        paragraphs: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                paragraphs.extend(_table_paragraphs(block))
            else:
                paragraphs.append(block.text)
    except Exception as error:
        raise FormatError(f"not a valid .docx file: {describe_error(error)}") from error
    text = "\n\n".join(p.strip() for p in paragraphs if p.strip())
    if not text:
        raise FormatError("no text found in the .docx")
    return text


def _table_paragraphs(table: object) -> list[str]:
    seen: set[int] = set()
    texts: list[str] = []
    for row in table.rows:  # type: ignore[attr-defined]
        for cell in row.cells:
            # A merged cell is reported once per grid position; its XML element is shared.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            texts.extend(p.text for p in cell.paragraphs)
    return texts


def extract_pdf(raw: bytes) -> str:
    """Text per page via pypdf, then reflowed into paragraphs by `reflow_pdf_pages`."""
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FormatError("password-protected PDF")
        pages = [page.extract_text() for page in reader.pages]
    except FormatError:
        raise
    except Exception as error:
        raise FormatError(f"not a valid PDF file: {describe_error(error)}") from error
    if not pages:
        raise FormatError("PDF has no pages")
    text = reflow_pdf_pages(pages)
    if not text:
        raise FormatError("no text layer (scanned PDF?)")
    return text


def reflow_pdf_pages(pages: list[str]) -> str:
    """Undo PDF line wrapping: lines join into paragraphs, "sun-\\nburned" into "sunburned".

    A paragraph ends at a blank line, or at a line that ends a sentence and stops well short of
    a full line (the last line of a typeset paragraph). Lines join with a space, but a line
    ending in a hyphen joins without one; the hyphen itself is dropped between a letter and a
    lowercase letter, the usual end-of-line hyphenation (so a real compound split at its own
    hyphen loses it, which is rare), and kept otherwise ("Anne-Marie", "1990-95"). A bare
    number as the first or last line of a page is taken for a page number and dropped. Paragraphs
    run on across page breaks, as they do in books.
    """
    lines: list[str] = []
    for page in pages:
        page_lines = [line.strip() for line in page.splitlines()]
        while page_lines and not page_lines[0]:
            page_lines.pop(0)
        while page_lines and not page_lines[-1]:
            page_lines.pop()
        if page_lines and _PAGE_NUMBER.fullmatch(page_lines[0]):
            page_lines.pop(0)
        if page_lines and _PAGE_NUMBER.fullmatch(page_lines[-1]):
            page_lines.pop()
        lines.extend(page_lines)
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return ""
    full_line = statistics.quantiles(lengths, n=5)[-1] if len(lengths) > 1 else lengths[0]
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if not current:
            current = line
        elif current.endswith("\xad") or (
            current.endswith("-") and current[-2:-1].isalpha() and line[0].islower()
        ):
            current = current[:-1] + line
        elif current.endswith("-") and not current[-2:-1].isspace():
            current += line  # "Anne-" + "Marie", "1990-" + "95": a hyphen that belongs
        else:
            current = f"{current} {line}"
        if line.endswith(_SENTENCE_END) and len(line) < _SHORT_LINE_SHARE * full_line:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)
