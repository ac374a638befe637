"""The providers this Audiostudio has, by the name requests use, built from their configs.

``configs`` comes from ``audiostudio.provider_setup`` (settings, environment, key store); a cloud
provider without one is built unconfigured (no key: listed, unavailable, with how to add one).
"""

from __future__ import annotations

from collections.abc import Mapping

from audiostudio.providers.base import Provider
from audiostudio.providers.config import SERVICES, ProviderConfig, Service


def default_config(service: Service) -> ProviderConfig:
    return ProviderConfig(service.default_url, read_timeout_s=service.read_timeout_s)


def available_providers(configs: Mapping[str, ProviderConfig] | None = None
                        ) -> dict[str, Provider]:
    from audiostudio.providers.elevenlabs import ElevenLabsProvider
    from audiostudio.providers.offline import OfflineProvider
    from audiostudio.providers.stability import StabilityProvider
    from audiostudio.providers.suno import SunoProvider

    cloud = {"elevenlabs": ElevenLabsProvider, "stability": StabilityProvider,
             "suno": SunoProvider}
    configs = configs or {}
    providers: list[Provider] = [OfflineProvider()]
    providers += [cloud[s.name](configs.get(s.name) or default_config(s)) for s in SERVICES]
    return {p.name: p for p in providers}
