"""Provider configs from settings, the environment and the key store (the registry's input).

Precedence, per cloud service: the key from its environment variable (``ELEVENLABS_API_KEY``...)
over the stored one (keyring, else the 0600 file); the origin from ``AUDIOSTUDIO_<NAME>_URL``
over ``settings.providers[name]["base_url"]`` over the service's own; timeouts from
``settings.providers[name]``; the concurrency limit from ``settings.concurrency`` (none: the
account's). It lives beside settings because providers may not read settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from audiostudio.errors import SettingsError
from audiostudio.providers import registry
from audiostudio.providers.config import SERVICES, ProviderConfig
from audiostudio.providers.keys import KeyStore
from audiostudio.settings import Settings, cache_dir, config_dir, load_settings

OPTIONS = ("base_url", "connect_timeout_s", "read_timeout_s", "task_deadline_s",
           "poll_interval_s")
STATE = "provider-state"  # in the cache dir: paid task ids waiting to be collected (Suno)


def key_store() -> KeyStore:
    return KeyStore(config_dir())


def provider_configs(settings: Settings, keys: KeyStore,
                     environ: Mapping[str, str] = os.environ) -> dict[str, ProviderConfig]:
    configs = {}
    for service in SERVICES:
        options = dict(settings.providers.get(service.name, {}))
        unknown = set(options) - set(OPTIONS)
        if unknown:
            raise SettingsError(f"Setting providers.{service.name} has unknown option(s) "
                                f"{', '.join(sorted(unknown))} (known: {', '.join(OPTIONS)})")
        key, source = environ.get(service.key_env, "").strip() or None, "env"
        if key is None:
            key, source = keys.get(service.name)
        url = (environ.get(service.url_env) or options.pop("base_url", None)
               or service.default_url)
        options.pop("base_url", None)
        try:
            timing = {name: float(value) for name, value in options.items()}
        except (TypeError, ValueError):
            raise SettingsError(f"Setting providers.{service.name} needs numbers of seconds, "
                                f"not {options}") from None
        configs[service.name] = ProviderConfig(
            base_url=url.rstrip("/"), api_key=key, key_source=source,
            **{"read_timeout_s": service.read_timeout_s, **timing},
            concurrency=settings.concurrency.get(service.name),
            state_dir=cache_dir() / STATE / service.name)
    return configs


def configured_providers(settings: Settings | None = None,
                         keys: KeyStore | None = None) -> registry.Providers:
    settings = settings or load_settings()
    return registry.available_providers(provider_configs(settings, keys or key_store()))
