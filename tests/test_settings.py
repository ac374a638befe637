import json

import pytest

from audiostudio.errors import SettingsError
from audiostudio.settings import (
    Settings,
    cache_dir,
    load_settings,
    save_settings,
    settings_path,
)


def test_defaults_round_trip_and_recent_projects(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIOSTUDIO_OUTPUT_DEVICE")  # the suite's null output (conftest)
    path = tmp_path / "settings.json"
    settings = load_settings(path)
    assert settings == Settings()
    settings.remember_project(tmp_path / "a")
    settings.remember_project(tmp_path / "b")
    settings.remember_project(tmp_path / "a")
    save_settings(settings, path)
    again = load_settings(path)
    assert again.recent_projects == [str(tmp_path / "a"), str(tmp_path / "b")]
    assert json.loads(path.read_text())["version"] == 1


def test_env_overrides_file(tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "autosave_interval_s": 30}))
    assert load_settings(path).autosave_interval_s == 30
    monkeypatch.setenv("AUDIOSTUDIO_AUTOSAVE_INTERVAL_S", "5")
    monkeypatch.setenv("AUDIOSTUDIO_CONCURRENCY", '{"elevenlabs": 8}')
    settings = load_settings(path)
    assert settings.autosave_interval_s == 5.0 and settings.concurrency == {"elevenlabs": 8}


def test_bad_values_are_clear_errors(tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="Cannot read settings"):
        load_settings(path)
    path.write_text(json.dumps({"cache_size_mb": "lots"}))
    with pytest.raises(SettingsError, match="cache_size_mb"):
        load_settings(path)


def test_newer_settings_file_keeps_what_it_understands(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 9, "autosave_interval_s": 12, "future": 1}))
    settings = load_settings(path)
    assert settings.autosave_interval_s == 12 and settings.version == 1


def test_lives_in_the_xdg_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert settings_path() == tmp_path / "audiostudio" / "settings.json"


def test_cache_dir_follows_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "audiostudio"


def test_new_projects_take_the_default_settings(tmp_path, monkeypatch):
    from audiostudio.cli import main

    monkeypatch.setenv("AUDIOSTUDIO_DEFAULT_SAMPLE_RATE_HZ", "44100")
    monkeypatch.setenv("AUDIOSTUDIO_DEFAULT_TARGET_LUFS", "-23")
    monkeypatch.setenv("AUDIOSTUDIO_DEFAULT_TRUE_PEAK_DBTP", "-2")
    assert main(["new", str(tmp_path / "Broadcast")]) == 0
    data = json.loads((tmp_path / "Broadcast" / "project.json").read_text())
    assert data["name"] == "Broadcast" and data["sample_rate_hz"] == 44100
    assert data["mix"]["target_lufs"] == -23.0 and data["mix"]["true_peak_ceiling_dbtp"] == -2.0
