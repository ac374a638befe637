"""The providers this Audiostudio has, by the name requests use."""

from __future__ import annotations

from audiostudio.providers.base import Provider


def available_providers() -> dict[str, Provider]:
    from audiostudio.providers.offline import OfflineProvider

    providers: list[Provider] = [OfflineProvider()]
    return {p.name: p for p in providers}
