"""Collections: a library's stories grouped the way the person brought them in, to choose
where to search. Each folder added is a collection; the bundled sample stories are one of their
own (so they can be left out, or removed, in one step); stories added file by file share one.

Grouping reads only the sources table and the stories' paths, never the disk, so a folder that
is offline (a drive not mounted) keeps its collection. Collections gathered by hand follow the
folders (index/store/named_sets.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from index.store.named_sets import NamedSet

SAMPLES_NAME = "Sample stories"
SINGLE_FILES_NAME = "Single stories"  # files added one at a time, not as a folder
UNSORTED_NAME = "Other stories"  # stories under no recorded source (an index from elsewhere)


@dataclass(frozen=True)
class Collection:
    name: str  # what the window and `--in` call it, unique in a library
    roots: tuple[str, ...]  # the sources it stands for: one folder, or the files added singly
    story_ids: tuple[int, ...]
    samples: bool = False  # the bundled sample stories
    named: bool = False  # gathered by hand (index/store/named_sets.py): removing it forgets
    # the set, never its stories

    @property
    def folder(self) -> str | None:
        """The folder this collection is, or None for files added one by one."""
        return self.roots[0] if len(self.roots) == 1 and self.name != SINGLE_FILES_NAME else None

    def matches(self, wanted: str) -> bool:
        """`--in` names a collection by its name, its folder's path or the folder's name."""
        wanted = wanted.casefold().rstrip("/\\") or wanted.casefold()
        folder = self.folder
        names = {self.name.casefold()}
        if folder is not None:
            names |= {folder.casefold(), PurePath(folder).name.casefold()}
        return wanted in names


def group_stories(
    stories: Iterable[tuple[int, str]],
    roots: Sequence[str],
    samples_root: str | None = None,
    named: Sequence[NamedSet] = (),
) -> list[Collection]:
    """(story id, path) pairs grouped under the included `roots` (in the order they were added).
    A story belongs to the innermost folder that holds it; a root that is itself a story's path
    was a file added on its own. Empty folders are kept: the person added them. The `named`
    sets follow, each with the stories of its paths that are in the library."""
    stories = list(stories)
    paths = {path for _, path in stories}
    file_roots = [root for root in roots if root in paths]
    folders = [root for root in roots if root not in paths]
    members: dict[str, list[int]] = {root: [] for root in folders}
    single: list[int] = []
    unsorted: list[int] = []
    for story_id, path in stories:
        home = _innermost(path, folders)
        if home is not None:
            members[home].append(story_id)
        elif path in file_roots:
            single.append(story_id)
        else:
            unsorted.append(story_id)
    names = _folder_names(folders, samples_root)
    collections = [
        Collection(names[root], (root,), tuple(members[root]), samples=root == samples_root)
        for root in folders
    ]
    if single:
        collections.append(Collection(SINGLE_FILES_NAME, tuple(file_roots), tuple(single)))
    if unsorted:
        collections.append(Collection(UNSORTED_NAME, (), tuple(unsorted)))
    ids = {path: story_id for story_id, path in stories}
    taken = {c.name for c in collections}
    for chosen in named:
        name = chosen.name if chosen.name not in taken else f"{chosen.name} (collection)"
        gathered = tuple(ids[path] for path in chosen.stories if path in ids)
        collections.append(Collection(name, (), gathered, named=True))
        taken.add(name)
    return collections


def _innermost(path: str, folders: Sequence[str]) -> str | None:
    story = PurePath(path)
    holding = [f for f in folders if story != PurePath(f) and story.is_relative_to(f)]
    return max(holding, key=len) if holding else None


def _folder_names(folders: Sequence[str], samples_root: str | None) -> dict[str, str]:
    """A folder's name, with its parent's where two folders share one ("drafts (novel)")."""
    plain = {f: SAMPLES_NAME if f == samples_root else PurePath(f).name or f for f in folders}
    taken = [*plain.values(), SINGLE_FILES_NAME, UNSORTED_NAME]
    names = {}
    for folder, name in plain.items():
        parent = PurePath(folder).parent.name
        shared = taken.count(name) > 1 and folder != samples_root
        names[folder] = (f"{name} ({parent})" if parent else folder) if shared else name
    shown = list(names.values())
    return {f: name if shown.count(name) == 1 else f for f, name in names.items()}
