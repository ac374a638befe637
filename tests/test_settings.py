import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from audiostudio.errors import SettingsError
from audiostudio.settings import (
    SETTINGS_VERSION,
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
    assert json.loads(path.read_text())["version"] == SETTINGS_VERSION


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
    assert settings.autosave_interval_s == 12
    # Saved back, it still says the newer app wrote it (which must not migrate it again).
    save_settings(settings, path)
    saved = json.loads(path.read_text())
    assert saved["version"] == 9 and saved["future"] == 1 and saved["autosave_interval_s"] == 12


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


@pytest.fixture
def pool():
    with ThreadPoolExecutor(2) as executor:
        yield executor


V1_FILE = Path(__file__).parent / "data" / "settings-v1.json"  # saved by the version-1 app


def test_a_version_1_file_lets_the_account_set_cloud_concurrency(tmp_path, pool):
    """Version 1 wrote a concurrency of 2 for every cloud provider; after migration an
    ElevenLabs Pro account runs what its plan allows (the service's header says 10), and what
    the user did choose (Suno: 1) stays."""
    from audiostudio.generation.cache import AssetCache
    from audiostudio.generation.service import GenerationService
    from audiostudio.model import Request
    from audiostudio.provider_setup import provider_configs
    from audiostudio.providers.elevenlabs import ElevenLabsProvider
    from audiostudio.providers.keys import KeyStore
    from tests.fakes.elevenlabs_server import KEY, FakeElevenLabs

    path = tmp_path / "settings.json"
    shutil.copy(V1_FILE, path)
    settings = load_settings(path)
    assert settings.version == SETTINGS_VERSION == 2
    assert settings.concurrency == {"offline": 2, "suno": 1}
    assert settings.recent_projects == ["/home/ana/Podcasts/Episode 12"]
    with FakeElevenLabs(tier="pro") as server:
        configs = provider_configs(settings, KeyStore(tmp_path / "keys", use_keyring=False),
                                   {"ELEVENLABS_API_KEY": KEY,
                                    "AUDIOSTUDIO_ELEVENLABS_URL": server.url})
        service = GenerationService({"elevenlabs": ElevenLabsProvider(configs["elevenlabs"])},
                                    pool, AssetCache(tmp_path / "cache"),
                                    limits=settings.concurrency)
        service.submit(Request(kind="voice", provider="elevenlabs", text="Hello."),
                       seed=1).future.result(20)
        assert service.limit("elevenlabs") == server.max_concurrent == 10
    save_settings(settings, path)
    assert json.loads(path.read_text())["version"] == 2
    assert load_settings(path).concurrency == {"offline": 2, "suno": 1}  # migrated once


def test_keys_this_version_does_not_know_are_kept(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 9, "autosave_interval_s": 12,
                                "theme": {"name": "light"}}))
    settings = load_settings(path)
    settings.remember_project(tmp_path / "a")
    save_settings(settings, path)
    saved = json.loads(path.read_text())
    assert saved["theme"] == {"name": "light"} and saved["autosave_interval_s"] == 12
    assert saved["recent_projects"] == [str(tmp_path / "a")] and "unknown" not in saved
