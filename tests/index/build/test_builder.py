"""Building and updating an index: incremental, crash-safe, one writer, clear errors."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.build.builder import BuildProgress, build_index
from index.embed.model import Embedder
from index.errors import (
    BuildCancelled,
    IndexBusy,
    IndexCorrupt,
    IndexIncompatible,
    ModelError,
    StorylensError,
)
from index.search.library import Library
from index.store.generations import DATABASE_NAME, VECTORS_NAME, IndexDir
from index.store.tokens import TokenCodes
from tests.fake_embedder import FakeEmbedder

QUERY = "her dad, long gone from her life, turns up after the show to say sorry"


def _answers(index_dir: Path, embedder: Embedder) -> list[tuple[int, str]]:
    with Library.open(index_dir, embedder=embedder) as lib:
        return [(h.passage.id, h.passage.text) for h in lib.search(QUERY, k=5)]


def test_first_build_indexes_every_story(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    report = build_index([seeds], tmp_path / "ix", embedder=fake_embedder)
    assert sorted(report.added) == [
        "Camilla Roche",
        "Romy Baktybekova",
        "Sofia Kalejs",
        "Sofia Kalmurzaeva",
    ]
    assert report.passages_embedded == report.passages_total > 20
    info = Library.open(tmp_path / "ix", embedder=fake_embedder).info()
    assert info.meta["model_name"] == fake_embedder.name
    assert info.meta["dimension"] == str(fake_embedder.dimension)
    assert info.meta["schema_version"] == "2"
    assert info.sources == [str(seeds)]


def test_reindex_embeds_only_the_changed_story(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    with Library.open(where, embedder=fake_embedder) as lib:
        counts = {s.title: s.passage_count for s in lib.stories()}
    with (seeds / "romy-baktybekova.txt").open("a", encoding="utf-8") as f:
        f.write("\n\nYears later Romy opened a small dance school of her own in Almaty.\n")
    (seeds / "camilla-roche.txt").unlink()
    embedded_events: list[BuildProgress] = []
    second = build_index([], where, embedder=fake_embedder, progress=embedded_events.append)

    with Library.open(where, embedder=fake_embedder) as lib:
        romy = lib.find_story("Romy Baktybekova")
        assert second.passages_embedded == romy.passage_count >= counts["Romy Baktybekova"]
        last = [e for e in embedded_events if e.phase == "embedding"][-1]
        assert (last.done, last.total) == (romy.passage_count, romy.passage_count)
        assert second.updated == ["Romy Baktybekova"]
        assert second.removed == ["Camilla Roche"]
        assert second.unchanged == 2
        assert "Almaty" in lib.search("a small dance school of her own", 1)[0].passage.text
        assert len(lib.stories()) == 3
        expected = sum(counts.values()) - counts["Camilla Roche"]
        assert second.passages_total == expected - counts["Romy Baktybekova"] + romy.passage_count


def test_reindex_unchanged_embeds_nothing_and_keeps_the_generation(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    generation = IndexDir(where).current()
    report = build_index([seeds], where, embedder=fake_embedder)
    assert report.passages_embedded == 0
    assert not report.changed
    assert report.unchanged == 4
    assert IndexDir(where).current() == generation


def test_an_exception_mid_build_leaves_the_old_index_answering(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    before = _answers(where, fake_embedder)
    for story in seeds.iterdir():
        story.write_text(story.read_text(encoding="utf-8") + "\n\nA new ending.", "utf-8")

    def explode(progress: BuildProgress) -> None:
        if progress.phase == "embedding" and progress.done > 0:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        build_index([], where, embedder=fake_embedder, progress=explode)
    assert _answers(where, fake_embedder) == before
    assert not list(where.glob("*.partial"))


def test_cancel_keeps_the_old_index(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    before = _answers(where, fake_embedder)
    cancel = threading.Event()
    (seeds / "new.txt").write_text("A brand new story about a clown.\n\n" * 300, "utf-8")

    def cancel_soon(progress: BuildProgress) -> None:
        if progress.phase == "embedding":
            cancel.set()

    with pytest.raises(BuildCancelled):
        build_index([], where, embedder=fake_embedder, progress=cancel_soon, cancel=cancel)
    assert _answers(where, fake_embedder) == before


def test_a_killed_build_leaves_the_old_index_answering(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    before = _answers(where, fake_embedder)
    big = seeds / "big.txt"
    big.write_text(
        "\n\n".join(
            f"Paragraph {i}: the rain kept falling on the old harbour town." for i in range(4000)
        ),
        "utf-8",
    )
    script = (
        "import sys\n"
        "from index.build.builder import build_index\n"
        "from tests.fake_embedder import FakeEmbedder\n"
        "def tell(p):\n"
        "    if p.phase == 'embedding' and p.done:\n"
        "        print('embedding', flush=True)\n"
        f"build_index([], {str(where)!r}, embedder=FakeEmbedder(), progress=tell)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "embedding"
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert _answers(where, fake_embedder) == before
    # The next build cleans up after the killed one and succeeds.
    big.unlink()
    build_index([], where, embedder=fake_embedder)
    assert not list(where.glob("*.partial"))


def test_a_second_writer_is_told_the_index_is_busy(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    with IndexDir(where).writer_lock(), pytest.raises(IndexBusy, match="Another Storylens"):
        build_index([seeds], where, embedder=fake_embedder)


def test_a_broken_file_is_skipped_and_the_rest_indexed(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    (seeds / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (seeds / "empty.md").write_text("   \n", "utf-8")
    report = build_index([seeds], tmp_path / "ix", embedder=fake_embedder)
    assert len(report.added) == 4
    assert {p.name for p in (s.path for s in report.skipped)} == {"broken.txt", "empty.md"}
    assert all(s.reason for s in report.skipped)
    with Library.open(tmp_path / "ix", embedder=fake_embedder) as library:  # kept with the index
        kept = {Path(s.path).name: s.reason for s in library.skipped()}
    assert kept == {s.path.name: s.reason for s in report.skipped}
    (seeds / "broken.txt").unlink()
    (seeds / "empty.md").write_text("A fisherman mends his nets at dawn.\n", "utf-8")
    build_index([], tmp_path / "ix", embedder=fake_embedder)
    with Library.open(tmp_path / "ix", embedder=fake_embedder) as library:
        assert library.skipped() == []  # nothing left out any more


# -- damage and incompatibility --------------------------------------------------------------


@pytest.fixture
def built(seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    return where


def test_truncated_vector_file_is_reported_as_damaged(
    built: Path, fake_embedder: FakeEmbedder
) -> None:
    vectors = IndexDir(built).current() / VECTORS_NAME
    vectors.write_bytes(vectors.read_bytes()[:1000])
    with pytest.raises(IndexCorrupt, match=r"damaged.*Rebuild"):
        Library.open(built, embedder=fake_embedder)


def test_garbage_database_is_reported_as_damaged(built: Path, fake_embedder: FakeEmbedder) -> None:
    (IndexDir(built).current() / DATABASE_NAME).write_bytes(b"not a database" * 100)
    with pytest.raises(IndexCorrupt, match=r"damaged.*Rebuild"):
        Library.open(built, embedder=fake_embedder)


def test_missing_generation_is_reported(built: Path, fake_embedder: FakeEmbedder) -> None:
    shutil.rmtree(IndexDir(built).current())
    with pytest.raises(IndexCorrupt, match="Rebuild"):
        Library.open(built, embedder=fake_embedder)


def test_a_newer_storage_format_asks_for_a_rebuild(
    built: Path, fake_embedder: FakeEmbedder
) -> None:
    import sqlite3

    from index.store.generations import _write_manifest

    generation = IndexDir(built).current()
    db = sqlite3.connect(generation / DATABASE_NAME)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    _write_manifest(generation)  # as a newer Storylens would have written it
    with pytest.raises(IndexIncompatible, match=r"format 99.*Rebuild"):
        Library.open(built, embedder=fake_embedder)


def test_rebuild_cures_a_damaged_index(
    seeds: Path, built: Path, fake_embedder: FakeEmbedder
) -> None:
    (IndexDir(built).current() / DATABASE_NAME).write_bytes(b"junk")
    with pytest.raises(IndexCorrupt):
        build_index([], built, embedder=fake_embedder)
    build_index([seeds], built, embedder=fake_embedder, rebuild=True)
    build_index([seeds], built.parent / "fresh", embedder=fake_embedder)
    assert _answers(built, fake_embedder) == _answers(built.parent / "fresh", fake_embedder)


def test_another_model_is_refused_until_rebuild(
    seeds: Path, built: Path, embedder: Embedder, tmp_path: Path
) -> None:
    other_dir = tmp_path / "my-other-model"
    shutil.copytree(embedder.path, other_dir)
    other = Embedder(other_dir)
    with pytest.raises(IndexIncompatible, match=r"fake-embedder.*my-other-model"):
        Library.open(built, embedder=other)
    with pytest.raises(IndexIncompatible, match="--rebuild"):
        build_index([], built, embedder=other)
    build_index([], built, embedder=other, rebuild=True)
    with Library.open(built) as lib:  # the index now names its model; it opens with it
        assert lib.info().meta["model_name"] == "my-other-model"
        assert lib.embedder.path == other_dir


def test_a_model_that_needs_custom_code_is_refused(tmp_path: Path, embedder: Embedder) -> None:
    custom = tmp_path / "custom-model"
    shutil.copytree(embedder.path, custom)
    config = json.loads((custom / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (custom / "config.json").write_text(json.dumps(config))
    (custom / "modeling_evil.py").write_text("raise SystemExit('ran custom code')\n")
    with pytest.raises(ModelError, match="custom code"):
        Embedder(custom).load()


def test_nothing_to_index_is_a_clear_error(tmp_path: Path, embedder: Embedder) -> None:
    with pytest.raises(StorylensError, match="Nothing to index"):
        build_index([], tmp_path / "ix", embedder=embedder)


def test_readers_see_the_old_generation_while_a_build_runs(
    seeds: Path, built: Path, fake_embedder: FakeEmbedder
) -> None:
    lib = Library.open(built, embedder=fake_embedder)
    (seeds / "sofia-kalejs.txt").unlink()
    build_index([], built, embedder=fake_embedder)
    time.sleep(0)  # the old generation was swapped out under an open reader
    assert len(lib.stories()) == 4
    assert lib.search("Sofía Kalējs, ballerina", k=1)[0].passage.story_title == "Sofia Kalejs"
    lib.close()
    with Library.open(built, embedder=fake_embedder) as fresh:
        assert len(fresh.stories()) == 3


# -- sources, removals and the files of a person's own --------------------------------------


def test_removing_a_folder_inside_a_source_forgets_its_stories(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    old = seeds / "old"
    old.mkdir()
    for name in ("camilla-roche.txt", "romy-baktybekova.txt"):
        (seeds / name).rename(old / name)
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    report = build_index([], where, embedder=fake_embedder, remove=[old])
    assert sorted(report.removed) == ["Camilla Roche", "Romy Baktybekova"]
    with Library.open(where, embedder=fake_embedder) as lib:
        assert sorted(s.title for s in lib.stories()) == ["Sofia Kalejs", "Sofia Kalmurzaeva"]
    assert not build_index([], where, embedder=fake_embedder).changed  # and they stay out
    back = build_index([old], where, embedder=fake_embedder)  # added again: back in
    assert sorted(back.added) == ["Camilla Roche", "Romy Baktybekova"]


def test_removing_through_a_symlink_removes_what_it_points_to(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    link = tmp_path / "link"
    link.symlink_to(seeds, target_is_directory=True)
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("A fisherman mends his nets at dawn.", "utf-8")
    where = tmp_path / "ix"
    build_index([seeds, other], where, embedder=fake_embedder)
    report = build_index([], where, embedder=fake_embedder, remove=[link / "camilla-roche.txt"])
    assert report.removed == ["Camilla Roche"]
    report = build_index([], where, embedder=fake_embedder, remove=[link])  # the source itself
    assert len(report.removed) == 3
    with Library.open(where, embedder=fake_embedder) as lib:
        assert [s.title for s in lib.stories()] == ["Note"]
        assert lib.info().sources == [str(other)]


def test_a_rebuild_keeps_a_story_whose_file_became_unreadable(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    story = seeds / "camilla-roche.txt"
    text = story.read_text("utf-8")
    build_index([seeds], where, embedder=fake_embedder)
    story.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    report = build_index([], where, embedder=fake_embedder, rebuild=True)
    reasons = [s.reason for s in report.skipped if s.path.name == story.name]
    assert len(reasons) == 1
    assert reasons[0].endswith("; kept the version indexed before")
    with Library.open(where, embedder=fake_embedder) as lib:
        camilla = lib.find_story("Camilla Roche")
        assert lib.story_text(camilla.id) == text.replace("\r\n", "\n")
        assert camilla.passage_count > 0


def test_a_file_name_that_is_not_valid_utf8_is_indexed_under_an_escaped_name(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    odd = seeds / os.fsdecode(b"caf\xe9 notes.txt")
    odd.write_text(
        "A story whose name was written in Latin-1.\n\nIt is found all the same.", "utf-8"
    )
    where = tmp_path / "ix"
    report = build_index([seeds], where, embedder=fake_embedder)
    assert "Caf\\xe9 Notes" in report.added
    again = build_index([], where, embedder=fake_embedder)
    assert (again.changed, again.passages_embedded, again.unchanged) == (False, 0, 5)
    gone = build_index([], where, embedder=fake_embedder, remove=[odd])
    assert gone.removed == ["Caf\\xe9 Notes"]


def test_a_folder_of_other_files_is_refused_and_left_untouched(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    mine = tmp_path / "my-folder"
    (mine / "gen-2023-photos").mkdir(parents=True)
    (mine / "gen-2023-photos" / "photo1.txt").write_text("sunset", "utf-8")
    (mine / "gen-notes.partial").mkdir()
    (mine / "gen-notes.partial" / "draft.txt").write_text("draft", "utf-8")
    before = sorted(str(p.relative_to(mine)) for p in mine.rglob("*"))
    with pytest.raises(StorylensError, match="is not a Storylens index and is not empty"):
        build_index([seeds], mine, embedder=fake_embedder)
    assert sorted(str(p.relative_to(mine)) for p in mine.rglob("*")) == before


def test_an_index_deletes_only_the_generations_it_wrote(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    (where / "gen-2023-photos").mkdir()
    (where / "gen-000099").mkdir()  # named as Storylens names them, but not written by it
    (where / "gen-notes.partial").mkdir()
    (seeds / "new.txt").write_text("A new story about a lighthouse keeper.", "utf-8")
    build_index([], where, embedder=fake_embedder)
    assert (where / "gen-2023-photos").is_dir()
    assert (where / "gen-notes.partial").is_dir()
    assert (where / "gen-000099").is_dir()
    generations = sorted(p.name for p in where.iterdir() if p.name.startswith("gen-0"))
    assert generations == sorted([IndexDir(where).current().name, "gen-000099"])


def test_leftovers_of_a_killed_clean_up_go_with_the_next_writer(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    live = IndexDir(where).current()
    stale = where / "gen-000000"
    shutil.copytree(live, stale)  # what a clean-up killed half-way leaves
    report = build_index([], where, embedder=fake_embedder)  # nothing to write
    assert not report.changed
    assert not stale.exists()
    assert IndexDir(where).current() == live


def test_an_index_path_that_is_a_file_is_refused_in_one_line(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine", "utf-8")
    with pytest.raises(StorylensError, match=r"is a file, not an index folder"):
        build_index([seeds], a_file, embedder=fake_embedder)
    assert a_file.read_text("utf-8") == "mine"


@contextlib.contextmanager
def _outside_pytests_folder() -> Iterator[tuple[Path, Path]]:
    """(stories, index folder) in a new folder of /tmp, which "nobody" may reach (pytest's
    own temporary folders are root's alone)."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)
        stories = Path(folder) / "stories"
        shutil.copytree(Path(__file__).resolve().parents[3] / "seeds", stories)
        yield stories, Path(folder) / "ix"


def _let_all(folder: Path, *, write: bool) -> None:
    """Let every user read everything under `folder`, and with `write` change it too."""
    for path in (folder, *folder.rglob("*")):
        path.chmod((0o777 if write else 0o755) if path.is_dir() else (0o666 if write else 0o644))


def _in_child(work: Callable[[], str], *, user: int | None = None, max_file: int = 0) -> str:
    """Run `work` in a forked child, as `user` and with files capped at `max_file` bytes when
    given; returns what it returned, or the error it raised as "Type: message"."""
    import resource

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        outcome = "?"
        try:
            os.close(read_end)
            if max_file:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
                resource.setrlimit(resource.RLIMIT_FSIZE, (max_file, max_file))
            if user is not None:
                os.setgid(user)
                os.setuid(user)
            outcome = work()
        except BaseException as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            os.write(write_end, outcome.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        told = pipe.read().decode()
    os.waitpid(pid, 0)
    return told


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="drops root to nobody")
def test_an_index_folder_one_may_not_write_is_one_clear_line(
    fake_embedder: FakeEmbedder,
) -> None:
    with _outside_pytests_folder() as (stories, where):
        build_index([stories], where, embedder=fake_embedder)
        _let_all(where.parent, write=False)

        def update() -> str:
            return str(build_index([], where, embedder=fake_embedder).changed)

        told = _in_child(update, user=65534)
        assert told.startswith("StorylensError: Cannot write the index at"), told
        assert "permission denied" in told
        with Library.open(where, embedder=fake_embedder) as lib:  # reading still works
            assert lib.search("ballet", k=1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to cap file sizes")
def test_a_full_disk_while_saving_leaves_the_old_index_and_says_so(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    before = _answers(where, fake_embedder)
    (seeds / "new.txt").write_text("A new story about a lighthouse keeper.\n\n" * 50, "utf-8")

    def update() -> str:
        return str(build_index([], where, embedder=fake_embedder).changed)

    told = _in_child(update, max_file=16 * 1024)  # any file past 16 KiB: "disk full"
    assert told.startswith("StorylensError: Could not save the new index"), told
    assert "the previous index is unchanged" in told
    assert _answers(where, fake_embedder) == before
    assert not list(where.glob("*.partial"))


def test_a_damaged_database_page_is_reported_as_damage(
    built: Path, fake_embedder: FakeEmbedder
) -> None:
    database = IndexDir(built).current() / DATABASE_NAME
    data = bytearray(database.read_bytes())
    page = 4096
    data[2 * page :] = bytes([0x5A]) * (len(data) - 2 * page)  # every page past the second
    database.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match=r"damaged.*--rebuild"):  # noqa: SIM117
        with Library.open(built, embedder=fake_embedder) as lib:  # at open, or at search
            lib.search("ballet", k=3)


def test_a_missing_source_folder_keeps_its_stories(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    before = _answers(where, fake_embedder)
    moved = seeds.rename(tmp_path / "renamed")  # or a drive that is not mounted
    report = build_index([], where, embedder=fake_embedder)
    assert report.removed == []
    assert sorted(report.offline) == sorted(
        ["Camilla Roche", "Romy Baktybekova", "Sofia Kalejs", "Sofia Kalmurzaeva"]
    )
    assert _answers(where, fake_embedder) == before
    moved.rename(seeds)  # back: nothing to embed again
    again = build_index([], where, embedder=fake_embedder)
    assert (again.changed, again.passages_embedded, again.offline) == (False, 0, [])


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="drops root to nobody")
def test_an_unreadable_folder_inside_a_source_keeps_its_stories(
    fake_embedder: FakeEmbedder,
) -> None:
    with _outside_pytests_folder() as (stories, where):
        (stories / "camilla").mkdir()
        (stories / "camilla-roche.txt").rename(stories / "camilla" / "camilla-roche.txt")
        # Built by root, who can read every folder; refreshed by nobody, who cannot.
        build_index([stories], where, embedder=fake_embedder)
        _let_all(where.parent, write=True)
        (stories / "camilla").chmod(0o700)  # root's alone: "nobody" cannot open it
        told = _in_child(
            lambda: repr(build_index([], where, embedder=fake_embedder).removed), user=65534
        )
        assert told == "[]", told
        with Library.open(where, embedder=fake_embedder) as lib:
            assert "Camilla Roche" in {s.title for s in lib.stories()}


def test_readers_never_see_a_false_damage_while_generations_are_published(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    story = seeds / "camilla-roche.txt"
    done = threading.Event()
    published = []

    def write() -> None:
        for n in range(30):
            with story.open("a", encoding="utf-8") as f:
                f.write(f"\n\nA new paragraph, number {n}.")
            published.append(build_index([], where, embedder=fake_embedder).changed)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    reads = 0
    wanted = int(os.environ.get("STORYLENS_RELIABILITY_READS", "300"))  # make reliability: 1000
    try:
        while not done.is_set() or reads < wanted:
            with Library.open(where, embedder=fake_embedder) as lib:
                assert lib.info().passages > 0
                lib.search("ballet", k=1)
            reads += 1
    finally:
        writer.join()
    assert all(published) and len(published) == 30


def test_a_story_with_undecodable_bytes_is_indexed_and_reported(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    story = seeds / "sofia-kalejs.txt"
    raw = bytearray(story.read_bytes())
    for at in (300, 900, 1500):
        raw[at] = 0xFF
    story.write_bytes(bytes(raw))
    report = build_index([seeds], tmp_path / "ix", embedder=fake_embedder)
    assert "Sofia Kalejs" in report.added
    assert [(d.path.name, d.reason) for d in report.damaged] == [
        ("sofia-kalejs.txt", "3 undecodable byte sequence(s) shown as \ufffd")
    ]
    with Library.open(tmp_path / "ix", embedder=fake_embedder) as lib:
        text = lib.story_text(lib.find_story("Sofia Kalejs").id)
        assert "Sofía Kalējs" in text  # read as UTF-8, not re-decoded as another charset


# -- integrity: what was written is checked -------------------------------------------------


def test_random_bytes_in_the_vector_file_are_found_at_open(
    built: Path, fake_embedder: FakeEmbedder
) -> None:
    vectors = IndexDir(built).current() / VECTORS_NAME
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = os.urandom(64)  # same size, other bytes
    vectors.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match=r"passages\.faiss has changed.*--rebuild"):
        Library.open(built, embedder=fake_embedder)


def test_a_deleted_keyword_file_is_not_up_to_date(
    seeds: Path, built: Path, fake_embedder: FakeEmbedder
) -> None:
    generation = IndexDir(built).current()
    next(generation.glob("keywords.*.npy")).unlink()
    with pytest.raises(IndexCorrupt, match=r"keywords\..* is missing.*--rebuild"):
        build_index([], built, embedder=fake_embedder)
    build_index([], built, embedder=fake_embedder, rebuild=True)
    with Library.open(built, embedder=fake_embedder) as lib:
        assert lib.search("ballet", k=1)


def test_a_rebuild_of_a_damaged_database_finds_its_sources(
    seeds: Path, built: Path, fake_embedder: FakeEmbedder
) -> None:
    database = IndexDir(built).current() / DATABASE_NAME
    database.write_bytes(b"garbage" * 1000)
    report = build_index([], built, embedder=fake_embedder, rebuild=True)  # no paths given
    assert len(report.added) == 4
    with Library.open(built, embedder=fake_embedder) as lib:
        assert lib.info().sources == [str(seeds)]


KILL_POINTS = [
    "before-embedding",
    "before-saving",
    "while-saving",
    "before-publishing",
    "before-rename",
    "before-swap",
    "before-clean-up",
]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_build_killed_at_any_point_leaves_an_index_that_answers(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder, point: str
) -> None:
    """kill -9 (a power cut) at each named point of a build: the index opens and answers,
    as before or, once CURRENT was swapped, as after; the next writer clears what is left."""
    where = tmp_path / "ix"
    build_index([seeds], where, embedder=fake_embedder)
    before = _answers(where, fake_embedder)
    (seeds / "lighthouse.txt").write_text("A keeper counts the ships that pass at night.", "utf-8")
    script = (
        "from index.build.builder import build_index\n"
        "from tests.fake_embedder import FakeEmbedder\n"
        f"build_index([], {str(where)!r}, embedder=FakeEmbedder())\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script],
        env={
            **os.environ,
            "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
            "STORYLENS_TEST_KILL_AT": point,
        },
        check=False,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL
    swapped = point == "before-clean-up"
    with Library.open(where, embedder=fake_embedder) as lib:
        titles = {s.title for s in lib.stories()}
        assert ("Lighthouse" in titles) == swapped
        if not swapped:
            assert _answers(where, fake_embedder) == before
    after = build_index([], where, embedder=fake_embedder)
    assert ("Lighthouse" in after.added) != swapped
    leftovers = sorted(p.name for p in where.iterdir() if p.name.startswith("gen-"))
    assert leftovers == [IndexDir(where).current().name]


def test_a_refresh_with_nothing_to_embed_never_loads_the_model(
    seed_index: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "ix"
    shutil.copytree(seed_index, copy)
    fresh = Embedder()  # not loaded: a command line starting cold
    report = build_index([], copy, embedder=fresh)
    assert not report.changed
    assert fresh._model is None


def test_progress_moves_after_every_batch_with_its_pace(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    (seeds / "long.txt").write_text(
        "\n\n".join(f"Paragraph {n} of a long ledger of ships." for n in range(300)), "utf-8"
    )
    seen: list[BuildProgress] = []
    build_index([seeds], tmp_path / "ix", embedder=fake_embedder, progress=seen.append)
    embedding = [p for p in seen if p.phase == "embedding"]
    done = [p.done for p in embedding]
    assert done[-1] == embedding[-1].total > 4 * fake_embedder.batch_size
    assert max(b - a for a, b in itertools.pairwise(done)) <= fake_embedder.batch_size <= 64
    assert all(p.rate > 0 and p.seconds_left is not None for p in embedding[1:])
    assert embedding[-1].seconds_left == 0


@pytest.mark.parametrize(
    ("seconds", "said"), [(3.2, "3 s"), (125, "2 min 05 s"), (3840, "1 h 04 min")]
)
def test_time_left_is_said_as_a_person_would(seconds: float, said: str) -> None:
    assert BuildProgress("embedding", 1, 2, "", 1.0, seconds).time_left() == said


# -- resumable: what was embedded before Cancel, Ctrl+C or a crash is not embedded again ------


def _many_stories(folder: Path, count: int = 12) -> None:
    for n in range(count):
        (folder / f"ledger-{n:02d}.txt").write_text(
            "\n\n".join(
                f"Ledger {n}, entry {e}: the keeper wrote a ship's name." for e in range(40)
            ),
            "utf-8",
        )


def test_a_cancelled_build_resumes_where_it_stopped(seeds: Path, tmp_path: Path) -> None:
    _many_stories(seeds)
    single = FakeEmbedder()
    build_index([seeds], tmp_path / "once", embedder=single)
    where = tmp_path / "ix"
    cancel = threading.Event()
    first = FakeEmbedder()

    def cancel_half_way(progress: BuildProgress) -> None:
        if progress.phase == "embedding" and progress.done >= progress.total // 2:
            cancel.set()

    with pytest.raises(BuildCancelled):
        build_index([seeds], where, embedder=first, progress=cancel_half_way, cancel=cancel)
    assert not IndexDir(where).exists()  # nothing published
    second = FakeEmbedder()
    report = build_index([seeds], where, embedder=second)
    assert first.embedded + second.embedded <= 1.05 * single.embedded
    assert report.passages_embedded == second.embedded < single.embedded
    assert _answers(where, second) == _answers(tmp_path / "once", single)
    assert not (where / "staging").exists()  # emptied once published
    tokens = TokenCodes.open(IndexDir(where).current())  # staged batches kept theirs
    assert tokens is not None and len(tokens) == report.passages_total


def test_a_killed_build_resumes_too(seeds: Path, tmp_path: Path) -> None:
    _many_stories(seeds)
    where = tmp_path / "ix"
    script = (
        "import os, signal\n"
        "from index.build.builder import build_index\n"
        "from tests.fake_embedder import FakeEmbedder\n"
        "def tell(p):\n"
        "    if p.phase == 'embedding' and p.done >= p.total // 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        f"build_index([{str(seeds)!r}], {str(where)!r}, embedder=FakeEmbedder(), progress=tell)\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        check=False,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL
    resumed = FakeEmbedder()
    report = build_index([seeds], where, embedder=resumed)
    assert 0 < report.passages_embedded < report.passages_total * 0.75


def test_the_index_records_every_precision_its_vectors_came_from(
    seeds: Path, tmp_path: Path
) -> None:
    stories = sorted(seeds.glob("*.txt"))
    first, later = tmp_path / "first", tmp_path / "later"
    first.mkdir()
    later.mkdir()
    for story in stories[:2]:
        shutil.move(story, first)
    for story in stories[2:]:
        shutil.move(story, later)
    where = tmp_path / "ix"

    def recorded() -> str:
        with Library.open(where, embedder=FakeEmbedder()) as library:
            return library.info().meta["precision"]

    build_index([first], where, embedder=FakeEmbedder(precision="bf16"))
    assert recorded() == "bf16"
    build_index([later], where, embedder=FakeEmbedder(precision="fp32"))
    assert recorded() == "bf16+fp32"  # the new stories' vectors in float32, the rest not
    build_index([], where, embedder=FakeEmbedder(precision="fp32"), rebuild=True)
    assert recorded() == "fp32"  # every vector made again, in one precision


def _longest_passage(index_dir: Path, embedder: Embedder) -> int:
    with Library.open(index_dir, embedder=embedder) as lib:
        return max(embedder.tokens.count(p.text) for s in lib.stories() for p in lib.passages(s.id))


def test_a_library_keeps_the_passage_length_it_was_built_with_until_a_rebuild(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    where = tmp_path / "ix"
    default = build_index([seeds], tmp_path / "default", embedder=fake_embedder)  # at most 64
    short = build_index([seeds], where, embedder=fake_embedder, passage_tokens=48)
    assert short.passages_total > default.passages_total
    assert _longest_passage(where, fake_embedder) <= 48
    with Library.open(where, embedder=fake_embedder) as lib:
        assert lib.info().meta["passage_tokens"] == "48"
        assert lib.passage_tokens == 48

    (seeds / "later.txt").write_text(
        " ".join(f"Sentence {n} of a story added later, long enough to cut." for n in range(80)),
        encoding="utf-8",
    )
    refreshed = build_index([], where, embedder=fake_embedder)  # cut as the library is
    assert _longest_passage(where, fake_embedder) <= 48

    build_index([], where, embedder=fake_embedder, rebuild=True)  # File > Rebuild keeps it
    assert _longest_passage(where, fake_embedder) <= 48

    with pytest.raises(IndexIncompatible, match="cut at 48 tokens; rebuild it"):
        build_index([], where, embedder=fake_embedder, passage_tokens=0)
    whole = build_index([], where, embedder=fake_embedder, passage_tokens=0, rebuild=True)
    assert whole.passages_total < refreshed.passages_total
    assert _longest_passage(where, fake_embedder) > 48
    with Library.open(where, embedder=fake_embedder) as lib:
        assert lib.info().meta["passage_tokens"] == ""
        assert lib.passage_tokens is None
    with pytest.raises(StorylensError, match=r"48 to 512 tokens .* not 8"):
        build_index([], where, embedder=fake_embedder, passage_tokens=8)


def test_word_indexes_built_in_a_separate_process_are_the_same(
    seeds: Path, tmp_path: Path, fake_embedder: FakeEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    """A large library's keyword and phrase indexes are built by another process (so the
    window's threads are not held up): the same hits, with the same scores. (Not the same
    bytes: bm25s numbers the vocabulary in a set's order, which differs from process to
    process.)"""
    here, apart = tmp_path / "here", tmp_path / "apart"
    build_index([seeds], here, embedder=fake_embedder, separate_process=False)
    build_index([seeds], apart, embedder=fake_embedder, separate_process=True)
    assert "built in this process" not in caplog.text  # the other process did build them
    with (
        Library.open(here, embedder=fake_embedder) as local,
        Library.open(apart, embedder=fake_embedder) as separate,
    ):
        for query in ("ballet teacher", '"the stage"', 'a dancer -"the stage"', QUERY):
            for mode in ("keyword", "hybrid"):
                found = [
                    [(h.passage.id, round(h.score, 6)) for h in lib.search(query, k=10, mode=mode)]
                    for lib in (local, separate)
                ]
                assert found[0] == found[1] and found[0], (query, mode)
