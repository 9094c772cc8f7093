"""Named collections: sets of stories a person gathers by hand ("Drafts to revise", "Retellings
of the bow scene"), beside the folders they added. A story may be in several; removing a set
forgets the set, never its stories.

They live in the index folder, outside the generations, so a rebuild keeps them and changing
one rewrites no index:

    INDEX_DIR/collections.json   {"version": 1, "sets": [{"name": ..., "stories": [path, ...]}]}

Stories are named by path, as the sources are: a story re-indexed after an edit stays in its
sets; one removed from the library drops out of them when it is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.errors import StorylensError

NAMED_SETS_NAME = "collections.json"
_VERSION = 1


@dataclass(frozen=True)
class NamedSet:
    name: str
    stories: tuple[str, ...]  # story paths, in the order they were added


def read_named_sets(index_dir: Path) -> list[NamedSet]:
    """The index folder's named sets; none when there is no file. A damaged file is said in
    one line (the sets can be made again; the index itself is untouched)."""
    path = index_dir / NAMED_SETS_NAME
    if not path.is_file():
        return []
    try:
        saved = json.loads(path.read_text("utf-8"))
        return [NamedSet(str(s["name"]), tuple(map(str, s["stories"]))) for s in saved["sets"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StorylensError(
            f"The named collections in {path} cannot be read ({exc}); move the file away to "
            "start them again."
        ) from exc


def edit_named_set(
    index_dir: Path,
    name: str,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    delete: bool = False,
) -> list[NamedSet]:
    """Add stories to the set `name` (made if new), take some out of it, or delete it; the
    sets after the change. Written whole and replaced atomically."""
    name = name.strip()
    if not name:
        raise StorylensError("A collection needs a name.")
    sets = {s.name: list(s.stories) for s in read_named_sets(index_dir)}
    if delete:
        if sets.pop(name, None) is None:
            raise StorylensError(f"No collection is called {name!r}.")
    else:
        stories = sets.setdefault(name, [])
        stories += [path for path in add if path not in stories]
        gone = set(remove)
        sets[name] = [path for path in stories if path not in gone]
    saved = [{"name": n, "stories": stories} for n, stories in sets.items()]
    path = index_dir / NAMED_SETS_NAME
    temporary = path.with_suffix(".tmp")
    try:
        temporary.write_text(json.dumps({"version": _VERSION, "sets": saved}, indent=1), "utf-8")
        temporary.replace(path)
    except OSError as exc:
        raise StorylensError(f"Cannot save the collections in {path}: {exc}") from exc
    return [NamedSet(n, tuple(stories)) for n, stories in sets.items()]
