"""index.build.readers on bad input: every refusal comes with a one-line reason, nothing raises."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import pytest

from index.build import readers
from index.build.readers import MAX_FILE_BYTES, UnreadableStory, discover, read_story
from index.store.build_record import Skipped
from tests.index.build.story_files import write_blank_pdf, write_docx, write_epub, write_pdf

RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
NOBODY = 65534


def unreadable_reason(path: Path) -> str:
    with pytest.raises(UnreadableStory) as caught:
        read_story(path)
    reason = caught.value.reason
    assert reason and "\n" not in reason
    return reason


# --- bad input ----------------------------------------------------------------------------


def test_empty_and_whitespace_only_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.md"
    blank.write_text(" \n\t\n  \n", encoding="utf-8")
    wide_blank = tmp_path / "wide_blank.txt"
    wide_blank.write_bytes("  \n ".encode("utf-16"))
    assert unreadable_reason(empty) == "empty file"
    assert unreadable_reason(blank) == "empty file (only whitespace)"
    assert unreadable_reason(wide_blank) == "empty file (only whitespace)"


@pytest.mark.parametrize(
    "raw",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)),
        b"\x00" * 4096,
    ],
    ids=["png-header", "zeros"],
)
def test_binary_data_named_txt_is_refused(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(raw)
    assert unreadable_reason(path).startswith("not valid text: looks like binary data")


def test_bytes_in_no_plausible_encoding_are_refused(tmp_path: Path) -> None:
    rng = random.Random(1)
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(rng.randrange(0x80, 0x100) for _ in range(400)))
    assert unreadable_reason(path) == "not valid text: not UTF-8 and no plausible encoding found"


def test_file_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as sparse:
        sparse.truncate(MAX_FILE_BYTES + 1)
    # Read, these zero bytes would be refused as binary data; the size check answers first.
    assert unreadable_reason(path) == "too large: 50 MB (the limit is 50 MB)"


def test_size_limit_is_inclusive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    at_limit = tmp_path / "at.txt"
    at_limit.write_text("a" * 100, encoding="utf-8")
    over = tmp_path / "over.txt"
    over.write_text("a" * 101, encoding="utf-8")
    assert read_story(at_limit).text == "a" * 100
    assert unreadable_reason(over).startswith("too large")


def outcomes_without_root(locked_file: Path, locked_dir: Path) -> list[str]:
    """read_story and discover on the two paths, in a forked child that is not root.

    Root reads anything, so under root the child drops to "nobody" first. A fresh interpreter
    cannot do this here: the interpreter lives under root's private home folder.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running any pytest teardown
        try:
            if RUNNING_AS_ROOT:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            try:
                read_story(locked_file)
                outcome = "read"
            except UnreadableStory as error:
                outcome = error.reason
            lines = f"{outcome}\n{discover([locked_dir])!r}"
            os.write(write_end, lines.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read().decode()
    os.waitpid(pid, 0)
    return report.splitlines()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to drop privileges")
def test_permission_denied_is_reported_for_files_and_folders() -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)  # let "nobody" reach the two locked entries inside
        locked_file = Path(folder) / "locked.txt"
        locked_file.write_text("secret", encoding="utf-8")
        locked_dir = Path(folder) / "locked"
        locked_dir.mkdir()
        locked_file.chmod(0)
        locked_dir.chmod(0)
        try:
            outcomes = outcomes_without_root(locked_file, locked_dir)
        finally:
            locked_dir.chmod(0o700)
    assert outcomes == [
        "cannot read: permission denied",
        repr(([], [Skipped(locked_dir, "cannot open folder: permission denied")])),
    ]


def test_folder_named_like_a_story_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "story.txt"
    folder.mkdir()
    assert unreadable_reason(folder) == "is a folder, not a file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX only")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    assert unreadable_reason(pipe) == "not a regular file (a named pipe)"
    assert discover([pipe]) == ([], [Skipped(pipe, "not a regular file (a named pipe)")])


def test_symlink_loop_missing_path_and_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "never-there.txt")
    assert unreadable_reason(tmp_path / "a.txt") == "symlink loop"
    assert unreadable_reason(tmp_path / "missing.txt") == "not found"
    assert unreadable_reason(tmp_path / "gone.txt") == "broken link: its target does not exist"


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cover.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert unreadable_reason(path).startswith("unsupported file type: .jpg files are not read")


@pytest.mark.parametrize("suffix", [".epub", ".docx", ".pdf"])
def test_corrupt_container_formats_are_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(random.Random(suffix).randbytes(2048))
    expected = {".epub": "not a valid EPUB file", ".docx": "not a valid .docx file"}
    assert unreadable_reason(path).startswith(expected.get(suffix, "not a valid PDF file"))


@pytest.mark.parametrize("suffix", [".epub", ".docx", ".pdf"])
def test_truncated_real_files_are_refused(tmp_path: Path, suffix: str) -> None:
    whole = tmp_path / f"whole{suffix}"
    if suffix == ".epub":
        write_epub(whole, [("One", "<p>Text.</p>")], spine_order=[0])
    elif suffix == ".docx":
        write_docx(whole, ["Text."])
    else:
        write_pdf(whole, [["Text."]])
    raw = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(raw[: len(raw) // 3])
    assert unreadable_reason(cut)


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    path = write_blank_pdf(tmp_path / "scan.pdf")
    assert unreadable_reason(path) == "no text layer (scanned PDF?)"


# --- discovery ----------------------------------------------------------------------------


def test_discover_expands_folders_sorted_once_each_and_reports_the_rest(tmp_path: Path) -> None:
    stories = tmp_path / "stories"
    (stories / "part two").mkdir(parents=True)
    (stories / ".git").mkdir()
    for name in ["b.txt", "a.md", "part two/c.epub", ".git/HEAD.txt", ".DS_Store", "~$a.docx"]:
        (stories / name).write_text("x", encoding="utf-8")
    (stories / "cover.jpg").write_bytes(b"\xff\xd8")
    (stories / "alias.txt").symlink_to(stories / "b.txt")
    files, skipped = discover([stories, stories / "b.txt", str(tmp_path / "nothing")])
    assert files == [stories / "a.md", stories / "b.txt", stories / "part two" / "c.epub"]
    assert [(s.path.name, s.reason.split(":")[0]) for s in skipped] == [
        ("cover.jpg", "unsupported file type"),
        ("nothing", "not found"),
    ]


def test_discover_takes_a_hidden_file_named_explicitly(tmp_path: Path) -> None:
    hidden = tmp_path / ".draft.txt"
    hidden.write_text("x", encoding="utf-8")
    assert discover([tmp_path]) == ([], [])
    assert discover([hidden]) == ([hidden], [])


def test_discover_survives_symlink_loops(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "inner").mkdir(parents=True)
    (root / "inner" / "story.txt").write_text("x", encoding="utf-8")
    (root / "inner" / "up").symlink_to(root)
    (root / "a.txt").symlink_to(root / "b.txt")
    (root / "b.txt").symlink_to(root / "a.txt")
    files, skipped = discover([root])
    assert files == [root / "inner" / "story.txt"]
    assert skipped == [
        Skipped(root / "a.txt", "symlink loop"),
        Skipped(root / "b.txt", "symlink loop"),
        Skipped(root / "inner" / "up", "symlink loop: links back to a folder above it"),
    ]


def test_discover_returns_resolved_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "story.txt").write_text("x", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path)
    files, skipped = discover(["link", Path("real/story.txt")])
    assert files == [(tmp_path / "real" / "story.txt").resolve()]
    assert skipped == []
