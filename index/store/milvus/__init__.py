"""A library kept in Milvus, for libraries larger than one machine holds or shared by a team.

Two kinds of address, as `--index` takes them:

    milvus:PATH.db                       Milvus Lite, embedded: a file on this machine
    milvus://HOST:PORT[/NAME]            a Milvus server or cluster (NAME: the collections'
                                         prefix, "storylens" unless given)

One library is five collections named NAME_passages, NAME_sentences, NAME_tokens,
NAME_stories and NAME_meta (layout.py). The local generation stays the build's working copy:
`storylens index --index milvus:...` builds it as usual, then publishes what changed
(publish.py); anyone with the address searches Milvus alone (reader.py), with no local files.

pymilvus is an optional dependency (`pip install storylens[scale]`); nothing here imports it
until a Milvus address is opened.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from index.errors import StorylensError
from index.paths import default_index_dir, expand_user

PREFIX = "milvus:"
DEFAULT_NAME = "storylens"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")


def is_milvus_address(text: str) -> bool:
    return text.startswith(PREFIX)


def library_place(text: str) -> Path | str:
    """Where a library is, as a person wrote it: a directory, or a Milvus address kept as
    written (a Path would fold its //)."""
    return text if is_milvus_address(text) else Path(text)


@dataclass(frozen=True)
class MilvusAddress:
    """Where a library is kept in Milvus: the URI pymilvus connects to, and the prefix of its
    collections' names."""

    uri: str
    name: str
    text: str  # as the person wrote it

    @classmethod
    def parse(cls, text: str) -> MilvusAddress:
        """`milvus:PATH.db` or `milvus://HOST:PORT[/NAME]`; anything else is a one-line error."""
        if not is_milvus_address(text):
            raise StorylensError(
                f"{text!r} is not a Milvus address (milvus:PATH.db or milvus://HOST:PORT)."
            )
        rest = text[len(PREFIX) :]
        if rest.startswith("//"):
            server, _, name = rest[2:].partition("/")
            name = name or DEFAULT_NAME
            if not server or not _NAME.fullmatch(name):
                raise StorylensError(
                    f"{text!r} is not a Milvus server address: write milvus://HOST:PORT/NAME, "
                    "NAME of letters, digits and underscores."
                )
            return cls(f"http://{server}", name, text)
        if not rest.endswith(".db"):
            raise StorylensError(
                f"{text!r}: a Milvus Lite library is a file ending in .db (milvus:PATH.db)."
            )
        return cls(str(expand_user(rest).resolve()), DEFAULT_NAME, text)

    @property
    def is_local_file(self) -> bool:
        return not self.uri.startswith("http://")

    def working_copy(self) -> Path:
        """Where this machine builds the library before publishing it: beside a Milvus Lite
        file (PATH.db.work), or in the user data folder for a server."""
        if self.is_local_file:
            return Path(f"{self.uri}.work")
        key = hashlib.sha256(f"{self.uri}\n{self.name}".encode()).hexdigest()[:16]
        return default_index_dir().parent / "milvus" / key
