"""index.build.formats: the details of each extractor, on real bytes and real files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest

from index.build.formats import (
    FormatError,
    decode_plain_text,
    extract_docx,
    extract_epub,
    extract_html,
    extract_pdf,
    reflow_pdf_pages,
)
from tests.index.build.story_files import write_docx, write_epub, write_pdf


def format_error(extract: Callable[[bytes], object], raw: bytes) -> str:
    with pytest.raises(FormatError) as caught:
        extract(raw)
    assert "\n" not in caught.value.reason
    return caught.value.reason


# --- plain text ---------------------------------------------------------------------------


def test_short_western_text_is_read_as_cp1252_not_a_central_european_page() -> None:
    # charset-normalizer alone calls these bytes cp1250 and turns "naïve" into "naďve".
    text = "\u201cCaf\u00e9,\u201d she said \u2014 it\u2019s na\u00efve, d\u00e9j\u00e0 vu."
    assert decode_plain_text(text.encode("cp1252")) == (text, "cp1252")


def test_utf32_bom_and_utf16_without_bom() -> None:
    text = "Hello world, this is plain text from an old Windows editor."
    assert decode_plain_text(b"\xff\xfe\x00\x00" + text.encode("utf-32-le")) == (text, "utf-32")
    assert decode_plain_text(text.encode("utf-16-le")) == (text, "utf-16-le")


def test_broken_utf16_after_its_bom_is_refused() -> None:
    assert format_error(decode_plain_text, b"\xff\xfeA\x00B") == (
        "not valid text: broken utf-16 after its BOM"
    )


def test_control_characters_mean_binary_data() -> None:
    raw = bytes(range(1, 32)) * 10
    assert format_error(decode_plain_text, raw) == (
        "not valid text: looks like binary data (control characters)"
    )


def test_a_single_dos_end_of_file_mark_is_tolerated() -> None:
    text = "An old story typed in 1991, long enough to carry one stray control character.\n"
    assert decode_plain_text(text.encode() + b"\x1a") == (text + "\x1a", "utf-8")


# --- HTML ---------------------------------------------------------------------------------


def test_html_line_breaks_entities_and_no_break_spaces() -> None:
    raw = (
        b"<body><p>one<br>two<br><br>three</p><!-- note --><p>&nbsp;</p>"
        b"<div>Mr.&nbsp;Lee <em>ran</em>,\n   fast.</div><pre>a\n  b</pre></body>"
    )
    text, _ = extract_html(raw)
    assert text == "one\ntwo\n\nthree\n\nMr.\u00a0Lee ran, fast.\n\na\nb"


def test_html_meta_charset_is_honoured() -> None:
    raw = (
        '<html><head><meta charset="windows-1252"></head>'
        "<body><p>\u201cCaf\u00e9\u201d</p></body></html>"
    ).encode("cp1252")
    assert extract_html(raw) == ("\u201cCaf\u00e9\u201d", "cp1252")


def test_deeply_nested_html_does_not_overflow_the_stack() -> None:
    raw = b"<body>" + b"<div>" * 5000 + b"<p>Deep.</p>" + b"</div>" * 5000 + b"</body>"
    assert extract_html(raw)[0] == "Deep."


def test_html_with_no_text_or_binary_content_is_refused() -> None:
    assert format_error(extract_html, b"<html><script>x()</script></html>") == (
        "no text found in the HTML"
    )
    assert format_error(extract_html, b"\x89PNG\r\n\x1a\n\x00\x00").startswith("not valid HTML")


# --- EPUB ---------------------------------------------------------------------------------


def with_extra_spine_item(epub: bytes, itemref: bytes) -> bytes:
    """The same EPUB with one more <itemref> at the end of its spine (the package file)."""
    rewritten = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(epub)) as source, zipfile.ZipFile(rewritten, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".opf"):
                assert b"</spine>" in data
                data = data.replace(b"</spine>", itemref + b"</spine>")
            target.writestr(info, data)
    return rewritten.getvalue()


@pytest.mark.parametrize(
    ("linear", "expected"), [("yes", "The story.\n\nA footnote."), ("no", "The story.")]
)
def test_epub_leaves_out_navigation_and_non_linear_items(
    tmp_path: Path, linear: str, expected: str
) -> None:
    path = write_epub(
        tmp_path / "book.epub",
        [("Story", "<p>The story.</p>"), ("Notes", "<p>A footnote.</p>")],
        spine_order=[0],
    )
    itemref = f'<itemref idref="chapter_1" linear="{linear}"/>'.encode()
    assert extract_epub(with_extra_spine_item(path.read_bytes(), itemref)) == expected


def test_epub_without_text_is_refused(tmp_path: Path) -> None:
    path = write_epub(tmp_path / "empty.epub", [("Blank", "<p> </p>")], spine_order=[0])
    assert format_error(extract_epub, path.read_bytes()) == "no text found in the EPUB"


# --- DOCX ---------------------------------------------------------------------------------


def test_docx_reads_tables_in_order_and_merged_cells_once(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "t.docx", ["Before the table."], table=[["Left", "Right"], ["A", "B"]]
    )
    import docx

    document = docx.Document(str(path))
    top = document.tables[0].rows[0]
    top.cells[0].merge(top.cells[1])
    document.add_paragraph("After the table.")
    document.save(str(path))
    assert extract_docx(path.read_bytes()) == (
        "Before the table.\n\nLeft\n\nRight\n\nA\n\nB\n\nAfter the table."
    )


def test_old_word_doc_renamed_docx_gets_its_own_reason() -> None:
    ole_header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    assert format_error(extract_docx, ole_header) == (
        "old Word .doc format inside a .docx name: save it as .docx"
    )


def test_docx_with_only_empty_paragraphs_is_refused(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "blank.docx", ["", "   "])
    assert format_error(extract_docx, path.read_bytes()) == "no text found in the .docx"


# --- PDF ----------------------------------------------------------------------------------


def encrypted_copy(path: Path, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(path))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_with_a_user_password_is_refused_but_owner_only_lock_reads(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "locked.pdf", [["A locked story."]])
    assert format_error(extract_pdf, encrypted_copy(path, "secret")) == "password-protected PDF"
    assert extract_pdf(encrypted_copy(path, "")) == "A locked story."


FULL = "x" * 60  # a full-width line of body text


def test_reflow_joins_wrapped_lines_and_ends_paragraphs_at_short_sentence_ends() -> None:
    page = f"{FULL}\nthe end of it.\n{FULL}\n{FULL} and on.\nlast words\n{FULL}"
    assert reflow_pdf_pages([page]) == (
        f"{FULL} the end of it.\n\n{FULL} {FULL} and on. last words {FULL}"
    )


def test_reflow_dehyphenates_only_between_lowercase_words() -> None:
    page = f"{FULL} sun-\nburned, Anne-\nMarie, 1990-\n95, soft\u00ad\nly, dash -\nthen {FULL}"
    assert reflow_pdf_pages([page]) == (
        f"{FULL} sunburned, Anne-Marie, 1990-95, softly, dash - then {FULL}"
    )


def test_reflow_closing_quotes_end_dialogue_paragraphs() -> None:
    page = f"{FULL}\n\u201cNo,\u201d she said.\u201d\n\u201cYes?\u201d\n{FULL}"
    assert reflow_pdf_pages([page]).split("\n\n") == [
        f"{FULL} \u201cNo,\u201d she said.\u201d",
        "\u201cYes?\u201d",
        FULL,
    ]


def test_reflow_drops_page_numbers_and_runs_paragraphs_across_pages() -> None:
    pages = [f"12\n{FULL}\n{FULL}\n13", f"- 14 -\ncontinued here.\n\n{FULL}\n"]
    assert reflow_pdf_pages(pages) == f"{FULL} {FULL} continued here.\n\n{FULL}"


def test_reflow_blank_lines_always_end_paragraphs() -> None:
    assert reflow_pdf_pages([f"{FULL}\n\n{FULL}"]) == f"{FULL}\n\n{FULL}"
    assert reflow_pdf_pages(["", "  \n"]) == ""


def test_utf8_with_a_few_broken_bytes_stays_utf8() -> None:
    """Read as a single-byte code page, every accented letter of the story would be wrong."""
    text = "Sofía Kalējs danced in Rīga; the café was full. " * 40
    raw = bytearray(text.encode("utf-8"))
    for at in (100, 400, 900, 1500, 2000):  # five bytes that cannot start a character
        raw[at] = 0xFF
    decoded, codec = decode_plain_text(bytes(raw))
    assert codec == "utf-8"
    assert decoded.count("\ufffd") == 5
    assert decoded.count("Kalējs") >= 35


def test_a_single_byte_file_with_no_utf8_in_it_is_still_read_as_one() -> None:
    text = "He said “naïve” and left the café. " * 20
    assert decode_plain_text(text.encode("cp1252")) == (text, "cp1252")
