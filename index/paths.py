"""Where Storylens keeps things by default, per platform (platformdirs: XDG, AppData, Library)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP_NAME = "Storylens"
INDEX_ENV = "STORYLENS_INDEX"


def expand_user(path: str | os.PathLike[str]) -> Path:
    """`~` and `~name` expanded as a shell expands them: a `~name` of no user on this machine
    stays as it is, a folder of that name (pathlib's expanduser raises RuntimeError for it,
    which a typed path or a command-line argument must never cause)."""
    return Path(os.path.expanduser(path))  # noqa: PTH111 (pathlib's raises, see above)


def default_index_dir() -> Path:
    """The index the CLI and the window use unless told otherwise ($STORYLENS_INDEX wins)."""
    override = os.environ.get(INDEX_ENV)
    if override:
        return expand_user(override)
    return user_data_path(APP_NAME, appauthor=False) / "index"


def config_dir() -> Path:
    return user_config_path(APP_NAME, appauthor=False)


def bundled_seeds_dir() -> Path:
    """The sample stories: beside the packages in a checkout, or inside a frozen bundle."""
    here = Path(__file__).resolve().parent.parent
    return here / "seeds"


def path_text(path: Path | str) -> str:
    """A path as text that can be stored and shown. A file name that is not valid in the
    file system's encoding (bytes Python keeps as lone surrogates) gets those bytes as
    backslash escapes ("caf\\xe9.txt"), the same every time, so the story is still found
    unchanged on the next refresh."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def path_from_text(text: str) -> Path:
    """The path that path_text() wrote as `text` (its escapes back to the bytes they stand
    for), to find the file again."""
    return Path(_ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m[1], 16)), text))


_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")
