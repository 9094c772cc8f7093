"""Settings: saved as JSON in the config dir, read back typed, bad values ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.settings import (
    BUILT_IN_MODEL_REF,
    CONFIG_ENV,
    PRECISIONS,
    SETTINGS_NAME,
    Settings,
    resolve_config_dir,
)


def test_settings_round_trip_through_json(tmp_path: Path) -> None:
    saved = Settings(
        last_index_dir="/data/lib",
        theme="dark",
        unchecked_stories=["/a.txt"],
        precision="fp32",
        config_dir=tmp_path,
    )
    saved.save()
    loaded = Settings.load(tmp_path)
    assert loaded == saved
    assert not loaded.first_run
    assert loaded.index_dir() == Path("/data/lib")
    assert loaded.index_dir(Path("/other")) == Path("/other")
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_damaged_or_wrongly_typed_settings_fall_back_to_defaults(tmp_path: Path) -> None:
    assert Settings.load(tmp_path).first_run
    assert Settings.load(tmp_path).index_dir() is None  # the engine's default, found later
    (tmp_path / SETTINGS_NAME).write_text("{not json", encoding="utf-8")
    assert Settings.load(tmp_path) == Settings(config_dir=tmp_path)
    (tmp_path / SETTINGS_NAME).write_text(
        json.dumps(
            {
                "theme": "purple",
                "results_per_search": True,
                "last_index_dir": 3,
                "precision": "int8",
                "x": 1,
            }
        ),
        encoding="utf-8",
    )
    assert Settings.load(tmp_path) == Settings(config_dir=tmp_path)


def test_the_config_dir_is_the_engines_unless_moved_by_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import paths

    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert resolve_config_dir() == paths.config_dir()
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "elsewhere"))
    assert resolve_config_dir() == tmp_path / "elsewhere"
    assert resolve_config_dir(tmp_path) == tmp_path


def test_the_precisions_and_model_name_are_the_engines() -> None:
    from index.embed.model import DEFAULT_MODEL
    from index.embed.model import PRECISIONS as ENGINE_PRECISIONS

    assert PRECISIONS == ENGINE_PRECISIONS
    assert BUILT_IN_MODEL_REF == DEFAULT_MODEL
