"""Providers are built from settings + environment + key store; the cache key covers every
field of a resolved request; the service refuses a kind its provider does not make."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from audiostudio.errors import BadRequestError, SettingsError
from audiostudio.generation.batch import generate_clips
from audiostudio.generation.cache import AssetCache
from audiostudio.generation.service import GenerationService
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.request import cache_key
from audiostudio.provider_setup import configured_providers, provider_configs
from audiostudio.providers.base import Resolved
from audiostudio.providers.config import SERVICES, ProviderConfig
from audiostudio.providers.elevenlabs import ElevenLabsProvider
from audiostudio.providers.keys import KeyStore
from audiostudio.providers.registry import available_providers
from audiostudio.providers.stability import StabilityProvider
from audiostudio.providers.suno import SunoProvider
from audiostudio.settings import Settings
from tests.fakes.providers import FakeProvider

ENV_KEY = "sk_from_environment_0000000000000000"
STORED_KEY = "sk_stored_in_the_file_111111111111111"


@pytest.fixture
def keys(tmp_path) -> KeyStore:
    return KeyStore(tmp_path / "config", use_keyring=False)


def test_the_environment_key_wins_over_the_stored_one(keys):
    keys.set("elevenlabs", STORED_KEY)
    keys.set("suno", STORED_KEY)
    configs = provider_configs(Settings(), keys, {"ELEVENLABS_API_KEY": ENV_KEY})
    assert (configs["elevenlabs"].api_key, configs["elevenlabs"].key_source) == (ENV_KEY, "env")
    assert (configs["suno"].api_key, configs["suno"].key_source) == (STORED_KEY, "file")
    assert (configs["stability"].api_key, configs["stability"].key_source) == (None, "none")
    assert ENV_KEY not in repr(configs["elevenlabs"]) and STORED_KEY not in repr(configs)


def test_origins_timeouts_and_limits_come_from_env_then_settings(keys):
    settings = Settings(concurrency={"offline": 2, "suno": 1}, providers={
        "stability": {"base_url": "http://127.0.0.1:9001/", "read_timeout_s": 90},
        "suno": {"base_url": "http://settings.invalid", "task_deadline_s": "120"}})
    configs = provider_configs(settings, keys, {"AUDIOSTUDIO_SUNO_URL": "http://127.0.0.1:9002"})
    assert configs["elevenlabs"].base_url == "https://api.elevenlabs.io"
    assert configs["elevenlabs"].read_timeout_s == 300.0  # long lines: a generous default
    assert configs["stability"].base_url == "http://127.0.0.1:9001"
    assert configs["stability"].read_timeout_s == 90.0
    assert configs["suno"].base_url == "http://127.0.0.1:9002"  # the environment wins
    assert configs["suno"].task_deadline_s == 120.0 and configs["suno"].concurrency == 1
    assert configs["elevenlabs"].concurrency is None  # the account's own limit
    with pytest.raises(SettingsError, match="read_timeout"):
        provider_configs(Settings(providers={"suno": {"read_timeout": 5}}), keys, {})
    with pytest.raises(SettingsError, match="numbers of seconds"):
        provider_configs(Settings(providers={"suno": {"read_timeout_s": "long"}}), keys, {})


def test_the_registry_builds_every_provider_with_its_config(keys, monkeypatch):
    for service in SERVICES:
        monkeypatch.delenv(service.key_env, raising=False)
    monkeypatch.setenv("STABILITY_API_KEY", ENV_KEY)
    providers = configured_providers(Settings(), keys)
    assert list(providers) == ["offline", "elevenlabs", "stability", "suno"]
    assert isinstance(providers["elevenlabs"], ElevenLabsProvider)
    assert isinstance(providers["stability"], StabilityProvider)
    assert isinstance(providers["suno"], SunoProvider)
    assert providers["stability"].config.api_key == ENV_KEY
    assert "ELEVENLABS_API_KEY" in providers["elevenlabs"].unavailable_reason()
    assert providers["suno"] is providers["suno"]  # built once, on first look-up
    assert "sunno" not in providers and providers.get("sunno") is None
    config = ProviderConfig("http://127.0.0.1:1", api_key=ENV_KEY)
    assert available_providers({"suno": config})["suno"].config is config


def resolved(**changes) -> Resolved:
    base = Resolved(kind="voice", model="m", text="t", prompt=None, lyrics=None, voice="v",
                    duration=None, variants=1, params={"a": 1})
    return dataclasses.replace(base, **changes)


def other_value(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, dict):
        return {**value, "changed": True}
    if isinstance(value, tuple):
        return (*value, "changed")
    return f"{value}-changed"


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Resolved)])
def test_every_field_of_a_resolved_request_changes_the_cache_key(name):
    base = resolved()
    changed = dataclasses.replace(base, **{name: other_value(getattr(base, name))})
    assert cache_key(changed.to_json(), 1, 0, "e") != cache_key(base.to_json(), 1, 0, "e")


class VoiceOnly(FakeProvider):
    name = "voiceonly"
    kinds = frozenset({"voice"})


def test_a_kind_the_provider_does_not_make_fails_naming_the_clip(tmp_path: Path):
    provider = VoiceOnly()
    project = Project(tracks=[Track("m", kind="music", clips=[
        Clip("c-bed", name="Night bed", request=Request(kind="music", provider="voiceonly",
                                                        prompt="slow strings"))])])
    with ThreadPoolExecutor(2) as pool:
        service = GenerationService({"voiceonly": provider}, pool, AssetCache(tmp_path))
        with pytest.raises(BadRequestError, match="voiceonly cannot make music"):
            service.resolve(project.tracks[0].clips[0].request)
        result = generate_clips(service, project, tmp_path / "p")
    error = result.failed["c-bed"]
    assert isinstance(error, BadRequestError) and error.field == "provider"
    assert "choose another provider" in str(error) and provider.calls == 0
