"""Collections: stories grouped by the folder (or the sample stories, or the single files) they
were added with, from the sources table and the stories' paths alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.errors import StorylensError
from index.store.collections import (
    SAMPLES_NAME,
    SINGLE_FILES_NAME,
    UNSORTED_NAME,
    Collection,
    group_stories,
)
from index.store.named_sets import NAMED_SETS_NAME, NamedSet, edit_named_set, read_named_sets


def test_each_folder_added_is_a_collection_in_the_order_added() -> None:
    stories = [
        (1, "/stories/ana/drafts/one.txt"),
        (2, "/opt/storylens/seeds/bow.md"),
        (3, "/stories/ana/drafts/deeper/two.txt"),
        (4, "/stories/ana/notes/three.txt"),
    ]
    roots = ["/stories/ana/drafts", "/opt/storylens/seeds", "/stories/ana/notes/three.txt"]
    got = group_stories(stories, roots, samples_root="/opt/storylens/seeds")
    assert got == [
        Collection("drafts", ("/stories/ana/drafts",), (1, 3)),
        Collection(SAMPLES_NAME, ("/opt/storylens/seeds",), (2,), samples=True),
        Collection(SINGLE_FILES_NAME, ("/stories/ana/notes/three.txt",), (4,)),
    ]
    assert got[0].folder == "/stories/ana/drafts"
    assert got[2].folder is None


def test_a_story_belongs_to_the_innermost_folder_added() -> None:
    stories = [(1, "/lib/a.txt"), (2, "/lib/inner/b.txt")]
    got = group_stories(stories, ["/lib", "/lib/inner"])
    assert [(c.name, c.story_ids) for c in got] == [("lib", (1,)), ("inner", (2,))]


def test_a_folder_is_not_inside_a_sibling_that_starts_with_its_name() -> None:
    got = group_stories([(1, "/lib-old/a.txt")], ["/lib", "/lib-old"])
    assert [(c.name, c.story_ids) for c in got] == [("lib", ()), ("lib-old", (1,))]


def test_folders_with_one_name_are_told_apart_by_their_parent() -> None:
    got = group_stories([], ["/novel/drafts", "/essays/drafts", "/x/drafts/drafts"])
    assert [c.name for c in got] == ["drafts (novel)", "drafts (essays)", "drafts (drafts)"]


def test_stories_under_no_source_are_kept_together() -> None:
    got = group_stories([(7, "/elsewhere/a.txt")], [])
    assert got == [Collection(UNSORTED_NAME, (), (7,))]


def test_a_collection_is_named_by_its_name_its_folder_or_the_folder_path() -> None:
    drafts = Collection("drafts (novel)", ("/novel/drafts",), (1,))
    assert drafts.matches("Drafts (Novel)")
    assert drafts.matches("drafts")
    assert drafts.matches("/novel/drafts/")
    assert not drafts.matches("novel")
    singles = Collection(SINGLE_FILES_NAME, ("/a.txt",), (1,))
    assert singles.matches("single stories")
    assert not singles.matches("a.txt")


paths = st.lists(
    st.lists(st.sampled_from(["a", "b", "c", "d.txt"]), min_size=1, max_size=4).map(
        lambda parts: "/" + "/".join(parts)
    ),
    unique=True,
    max_size=12,
)


@given(story_paths=paths, roots=paths)
def test_every_story_is_in_exactly_one_collection_and_names_are_unique(
    story_paths: list[str], roots: list[str]
) -> None:
    stories = list(enumerate(story_paths))
    got = group_stories(stories, roots)
    members = [story_id for c in got for story_id in c.story_ids]
    assert sorted(members) == [story_id for story_id, _ in stories]
    names = [c.name for c in got]
    assert len(names) == len(set(names))


def test_named_sets_are_kept_beside_the_index_and_follow_the_folders(tmp_path: Path) -> None:
    edit_named_set(tmp_path, "To revise", add=["/lib/a.txt", "/lib/b.txt"])
    edit_named_set(tmp_path, "To revise", add=["/lib/a.txt", "/gone.txt"], remove=["/lib/b.txt"])
    edit_named_set(tmp_path, "lib", add=["/lib/b.txt"])  # the name of a folder too
    sets = read_named_sets(tmp_path)
    assert sets == [
        NamedSet("To revise", ("/lib/a.txt", "/gone.txt")),
        NamedSet("lib", ("/lib/b.txt",)),
    ]
    got = group_stories([(1, "/lib/a.txt"), (2, "/lib/b.txt")], ["/lib"], named=sets)
    assert got == [
        Collection("lib", ("/lib",), (1, 2)),
        Collection("To revise", (), (1,), named=True),  # a story gone from the library drops out
        Collection("lib (collection)", (), (2,), named=True),
    ]
    assert got[1].folder is None and got[1].matches("to revise")
    assert edit_named_set(tmp_path, "To revise", delete=True) == [NamedSet("lib", ("/lib/b.txt",))]
    with pytest.raises(StorylensError, match="No collection is called 'To revise'"):
        edit_named_set(tmp_path, "To revise", delete=True)
    with pytest.raises(StorylensError, match="needs a name"):
        edit_named_set(tmp_path, "  ", add=["/lib/a.txt"])


def test_a_damaged_collections_file_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / NAMED_SETS_NAME).write_text("{not json", "utf-8")
    with pytest.raises(StorylensError, match=r"cannot be read .* move the file away"):
        read_named_sets(tmp_path)
