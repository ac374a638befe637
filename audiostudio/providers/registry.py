"""The providers this Audiostudio has, by the name requests use, built from their configs.

``configs`` comes from ``audiostudio.provider_setup`` (settings, environment, key store); a cloud
provider without one is built unconfigured (no key: listed, unavailable, with how to add one).
Each provider is built, and its module imported, when first looked up: the warnings pass of a
render or a check needs only those its project names (building them all imported scipy,
requests and the SDKs: over a second of a short render).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from audiostudio.providers.base import Provider
from audiostudio.providers.config import SERVICES, ProviderConfig, service

NAMES: tuple[str, ...] = ("offline", *(s.name for s in SERVICES))


def default_config(name: str) -> ProviderConfig:
    """A cloud service's config without settings: its own origin, no key."""
    cloud = service(name)
    return ProviderConfig(cloud.default_url, read_timeout_s=cloud.read_timeout_s)


def _build(name: str, config: ProviderConfig | None) -> Provider:
    if name == "offline":
        from audiostudio.providers.offline import OfflineProvider

        return OfflineProvider()
    if name == "elevenlabs":
        from audiostudio.providers.elevenlabs import ElevenLabsProvider as cloud
    elif name == "stability":
        from audiostudio.providers.stability import StabilityProvider as cloud
    else:
        from audiostudio.providers.suno import SunoProvider as cloud
    return cloud(config or default_config(name))


class Providers(Mapping[str, Provider]):
    """Every provider by name (in ``NAMES`` order); names and membership need no provider."""

    def __init__(self, configs: Mapping[str, ProviderConfig]) -> None:
        self._configs = dict(configs)
        self._built: dict[str, Provider] = {}

    def __getitem__(self, name: str) -> Provider:
        if name not in NAMES:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = _build(name, self._configs.get(name))
        return self._built[name]

    def __contains__(self, name: object) -> bool:
        return name in NAMES

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)


def available_providers(configs: Mapping[str, ProviderConfig] | None = None) -> Providers:
    return Providers(configs or {})
