"""index.build.readers on real files: every format reads to the text we expect (refusals: see
test_readers_refusals.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.build.readers import SUPPORTED_SUFFIXES, file_digest, read_story, title_from_path
from tests.index.build.story_files import write_docx, write_epub, write_pdf

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


# --- reading each format ------------------------------------------------------------------


def test_seed_story_reads_with_hash_title_and_resolved_path() -> None:
    path = SEEDS / "sofia-kalejs.txt"
    story = read_story(path)
    raw = path.read_bytes()
    assert story.path == path.resolve()
    assert story.title == "Sofia Kalejs"
    assert story.source_format == "txt"
    assert story.encoding == "utf-8"
    assert story.text == unicodedata.normalize("NFC", raw.decode("utf-8"))
    assert story.text.startswith("Sofía Kalējs stepped onto the sun-kissed stage")
    assert story.content_hash == hashlib.sha256(raw).hexdigest() == file_digest(path)


def test_markdown_is_kept_as_written(tmp_path: Path) -> None:
    source = "# The Ferry\n\nShe *ran* to the [pier](x.html).\n\n- one\n- two\n"
    path = tmp_path / "the_ferry.md"
    path.write_text(source, encoding="utf-8")
    story = read_story(path)
    assert story.text == source
    assert story.source_format == "md"
    assert read_story(path.rename(tmp_path / "the_ferry.markdown")).source_format == "md"


def test_crlf_and_cr_become_newlines_and_decomposed_accents_compose(tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    path.write_bytes("Cafe\u0301 one.\r\n\r\nTwo.\rThree.".encode())
    assert read_story(path).text == "Caf\u00e9 one.\n\nTwo.\nThree."


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfFirst line.\n")
    story = read_story(path)
    assert story.text == "First line.\n"
    assert story.encoding == "utf-8-sig"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_decodes(tmp_path: Path, codec: str) -> None:
    text = "\u201cNa\u00efve,\u201d she said. \u0416\u0438\u043b\u0438. \u732b."
    path = tmp_path / "wide.txt"
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(codec, b"")
    path.write_bytes(bom + text.encode(codec))
    story = read_story(path)
    assert story.text == text
    assert story.encoding == "utf-16"


def test_cp1252_curly_quotes_and_accents_decode(tmp_path: Path) -> None:
    text = "\u201cCaf\u00e9,\u201d she said \u2014 it\u2019s na\u00efve, d\u00e9j\u00e0 vu."
    path = tmp_path / "windows.txt"
    path.write_bytes(text.encode("cp1252"))
    story = read_story(path)
    assert story.text == text
    assert story.encoding == "cp1252"


def test_latin1_decodes(tmp_path: Path) -> None:
    text = "Caf\u00e9 cr\u00e8me, d\u00e9j\u00e0 vu, na\u00efve, se\u00f1or, No\u00ebl. \u00dcber."
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("latin-1"))
    # Printable latin-1 is a subset of cp1252, so either name decodes these bytes identically.
    assert read_story(path).text == text


def test_non_latin_legacy_encoding_is_not_forced_to_cp1252(tmp_path: Path) -> None:
    text = (
        "\u0416\u0438\u043b\u0438-\u0431\u044b\u043b\u0438 \u0434\u0435\u0434 \u0434\u0430 "
        "\u0431\u0430\u0431\u0430. \u0411\u044b\u043b\u0430 \u0443 \u043d\u0438\u0445 "
        "\u043a\u0443\u0440\u043e\u0447\u043a\u0430 \u0420\u044f\u0431\u0430."
    )
    path = tmp_path / "skazka.txt"
    path.write_bytes(text.encode("cp1251"))
    story = read_story(path)
    assert story.text == text
    assert story.encoding == "cp1251"


printable_text = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs", "Cc"), exclude_characters="\ufeff", include_characters="\n\r\t"
    ),
    min_size=1,
    max_size=300,
).filter(lambda text: text.strip())


@settings(max_examples=60, deadline=None)
@given(text=printable_text, codec=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_any_text_round_trips_to_its_normalised_form(text: str, codec: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "story.txt"
        path.write_bytes(text.encode(codec))
        story = read_story(path)
    expected = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    assert story.text == expected


def test_html_reads_as_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text(
        "<html><head><title>Not story</title><style>p{}</style></head><body>"
        "<h1>Night</h1><p>She   ran.</p><script>alert(1)</script><p>He &amp; I.</p></body></html>",
        encoding="utf-8",
    )
    story = read_story(path)
    assert story.text == "Night\n\nShe ran.\n\nHe & I."
    assert story.source_format == "html"


def test_epub_reads_chapters_in_spine_order(tmp_path: Path) -> None:
    path = write_epub(
        tmp_path / "book.epub",
        [("One", "<h1>One</h1><p>First.</p><p>Second.</p>"), ("Two", "<p>Third.</p>")],
        spine_order=[1, 0],
    )
    story = read_story(path)
    assert story.text == "Third.\n\nOne\n\nFirst.\n\nSecond."
    assert (story.source_format, story.encoding) == ("epub", None)


def test_docx_reads_paragraphs(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "letter.docx", ["Dear Ana,", "", "The ferry is late."])
    story = read_story(path)
    assert story.text == "Dear Ana,\n\nThe ferry is late."
    assert story.source_format == "docx"


def test_pdf_reads_reflowed_paragraphs(tmp_path: Path) -> None:
    path = write_pdf(
        tmp_path / "ferry.pdf",
        [
            [
                "The ferry came twice a day, and each time it came she stood",
                "by the rail to watch the passengers step down with their sun-",
                "burned faces and heavy bags.",
                "Nobody came for her.",
                "7",
            ],
            ["She waited anyway, as she had every summer since the war."],
        ],
    )
    story = read_story(path)
    assert story.text == (
        "The ferry came twice a day, and each time it came she stood by the rail to watch the "
        "passengers step down with their sunburned faces and heavy bags.\n\n"
        "Nobody came for her.\n\n"
        "She waited anyway, as she had every summer since the war."
    )
    assert story.source_format == "pdf"


# --- small pieces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("sofia-kalejs.txt", "Sofia Kalejs"),
        ("the_old  man.md", "The Old Man"),
        ("The Old Man and the Sea.epub", "The Old Man and the Sea"),
        ("Anne-Marie's summer.docx", "Anne-Marie's summer"),
        ("McAllister_notes.pdf", "McAllister notes"),
        ("o'neil-don't.txt", "O'neil Don't"),
        ("cafe\u0301.txt", "Caf\u00e9"),
        ("---.txt", "---.txt"),
    ],
)
def test_title_from_path(name: str, title: str) -> None:
    assert title_from_path(Path("/stories") / name) == title


def test_supported_suffixes() -> None:
    assert {".txt", ".md", ".markdown", ".epub", ".docx", ".html", ".htm", ".pdf"} == set(
        SUPPORTED_SUFFIXES
    )


def test_importing_readers_loads_no_format_library() -> None:
    code = (
        "import sys, index.build.readers; "
        "print(sorted({'ebooklib', 'docx', 'pypdf', 'bs4', 'lxml', 'charset_normalizer'}"
        " & set(sys.modules)))"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert result.stdout.strip() == "[]"
