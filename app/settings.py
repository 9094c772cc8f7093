"""The window's settings: one typed object saved as JSON in the config dir.

Window geometry and splitter/toolbar state are Qt's own byte blobs, so they go through a QSettings
INI file beside settings.json (never the platform registry: tests point the config dir elsewhere).
$STORYLENS_CONFIG_DIR overrides the config dir, as $STORYLENS_INDEX overrides the index dir.

The config dir is found with platformdirs directly, like index.paths.config_dir() (a test keeps
them equal): importing `index` before the window shows would cost a few hundred milliseconds.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from platformdirs import user_config_path
from PySide6.QtCore import QSettings

MILVUS_PREFIX = "milvus:"  # a library kept in Milvus (index/store/milvus/)

Theme = Literal["system", "light", "dark"]
THEMES: tuple[Theme, ...] = get_args(Theme)
# The model's arithmetic (index/embed/model.py PRECISIONS; app/ spells them out rather than
# import the engine before the window shows; a test keeps the two equal).
Precision = Literal["auto", "fp32", "bf16"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
BUILT_IN_MODEL_REF = "default"  # how an index names the bundled model (index.embed.model)
RESULTS_PER_SEARCH = (1, 200)  # the fewest and most results a search may ask for
# The passage lengths a library may be cut at: index/text/passages.py's, written here so the
# window does not import the engine to show a dialog (tests/app/test_preferences.py holds them
# equal).
PASSAGE_TOKENS_RANGE = (48, 512)
APP_NAME = "Storylens"
CONFIG_ENV = "STORYLENS_CONFIG_DIR"
SETTINGS_NAME = "settings.json"
WINDOW_STATE_NAME = "window.ini"

log = logging.getLogger(__name__)


def resolve_config_dir(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return Path(explicit)
    override = os.environ.get(CONFIG_ENV)
    if override:
        # As index.paths.expand_user (not imported here: the window starts without `index`).
        return Path(os.path.expanduser(override))  # noqa: PTH111 (pathlib's raises on ~nobody)
    return user_config_path(APP_NAME, appauthor=False)


@dataclass
class Settings:
    """Everything the window remembers between runs, except window geometry."""

    last_index_dir: str | None = None  # None until the first library was opened
    theme: Theme = "system"
    results_per_search: int = 20
    unchecked_stories: list[str] = field(default_factory=list)  # story paths left out of search
    collapsed_collections: list[str] = field(default_factory=list)  # folded in the library tree
    watch_folders: bool = True  # refresh when story files change in the library's folders
    last_added_from: str | None = None  # where the file dialogs open next
    precision: Precision = "auto"  # bf16 where the CPU has it natively, else fp32
    model: str | None = None  # a local sentence-transformers folder; None: the bundled model
    config_dir: Path = field(default_factory=resolve_config_dir, compare=False)

    @classmethod
    def load(cls, config_dir: Path | None = None) -> Settings:
        """The saved settings; defaults for anything missing, unreadable or of the wrong type."""
        where = resolve_config_dir(config_dir)
        settings = cls(config_dir=where)
        try:
            raw = json.loads((where / SETTINGS_NAME).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return settings
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable settings %s: %s", where / SETTINGS_NAME, exc)
            return settings
        if isinstance(raw, dict):
            for name, value in raw.items():
                if name in _SAVED and _valid(name, value):
                    setattr(settings, name, value)
        return settings

    def save(self) -> None:
        """Write atomically (temp file + rename), so a crash never leaves half a file."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in asdict(self).items() if k in _SAVED}
        target = self.config_dir / SETTINGS_NAME
        temporary = target.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        temporary.replace(target)

    def index_dir(self, explicit: Path | str | None = None) -> Path | str | None:
        """The library to open: the one asked for, else the last one; None means the default
        (index.paths.default_index_dir(), resolved by the service's first worker). A str is a
        library kept in Milvus."""
        if explicit is not None:
            return explicit
        if self.last_index_dir:
            # index.store.milvus.is_milvus_address, which would import the engine before the
            # window shows (tests/app/test_dialogs.py)
            last = self.last_index_dir
            return last if last.startswith(MILVUS_PREFIX) else Path(last)
        return None

    @property
    def first_run(self) -> bool:
        return self.last_index_dir is None

    def window_state(self) -> QSettings:
        """Where window geometry and layout live (an INI file in the config dir)."""
        return QSettings(str(self.config_dir / WINDOW_STATE_NAME), QSettings.Format.IniFormat)


_SAVED = {f.name for f in fields(Settings)} - {"config_dir"}


def _valid(name: str, value: Any) -> bool:
    if name == "last_index_dir":
        return value is None or isinstance(value, str)
    if name == "theme":
        return value in THEMES
    if name == "precision":
        return value in PRECISIONS
    if name == "results_per_search":
        fewest, most = RESULTS_PER_SEARCH
        return isinstance(value, int) and not isinstance(value, bool) and fewest <= value <= most
    if name in ("last_added_from", "model"):
        return value is None or isinstance(value, str)
    if name == "watch_folders":
        return isinstance(value, bool)
    if name in ("unchecked_stories", "collapsed_collections"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return False
