"""The provider interface: what every service (and the built-in offline engine) offers.

A provider is stateless towards the app: it is given a fully resolved request (``Resolved``:
defaults and the speaker's cast already applied), a concrete seed, a progress callable, a
cancel check and a folder to write into, and returns one result per variant. Caching, retries,
concurrency limits and applying takes to the project are the GenerationService's job, so a
provider only speaks to its service and maps its failures onto ``audiostudio.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from audiostudio.progress import Cancelled, Progress


@dataclass(frozen=True)
class VoiceOption:
    id: str  # as stored in projects, e.g. "piper:en_US-joe-medium"
    name: str  # for people
    language: str = "en"  # BCP 47, e.g. "en-US"
    description: str = ""
    gender: str = "neutral"  # "female" / "male" / "neutral"
    engine: str = ""  # what speaks it, e.g. "piper", "flite"; "" when the provider has one
    unavailable: str = ""  # why it cannot speak here and how to install it; "" = it can


@dataclass(frozen=True)
class ParamSpec:
    """One provider parameter, so the window can build its inspector from data."""

    name: str
    kind: str  # "float" / "int" / "choice" / "bool" / "text" (free words, "" = none)
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    description: str = ""
    kinds: tuple[str, ...] = ("voice", "sfx", "music")  # request kinds it applies to


@dataclass(frozen=True)
class Cost:
    amount: float
    unit: str  # "credits", "USD", ...

    def to_json(self) -> dict[str, Any]:
        return {"amount": self.amount, "unit": self.unit}


@dataclass(frozen=True)
class Resolved:
    """A request as the provider will run it: every default filled in."""

    kind: str
    model: str | None
    text: str | None
    prompt: str | None
    lyrics: str | None
    voice: str | None
    duration: float | None
    variants: int
    params: dict[str, Any] = field(default_factory=dict)  # this provider's params only
    # Request stitching (ElevenLabs): the request ids of the neighbouring lines' current takes,
    # nearest first; they change the audio, so they are part of the cache key.
    previous_request_ids: tuple[str, ...] = ()
    next_request_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Every field, so the cache key can never miss one added later."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = (dict(value) if isinstance(value, dict)
                           else list(value) if isinstance(value, tuple) else value)
        return out


@dataclass(frozen=True)
class ProviderResult:
    audio: Path  # a file in the work folder the provider was given
    seed: int | None
    variant: int = 0
    request_id: str | None = None
    cost: Cost | None = None


class Provider(Protocol):
    name: str
    kinds: frozenset[str]  # the request kinds it makes; the service refuses the others
    default_models: Mapping[str, str]  # kind -> model when the request names none

    def engine_version(self, kind: str) -> str:
        """Changes whenever the audio for the same request and seed could change."""
        ...

    def voices(self) -> list[VoiceOption]: ...

    def default_voice(self) -> str | None: ...

    def params(self) -> list[ParamSpec]: ...

    def estimate_cost(self, request: Resolved) -> Cost: ...

    def generate(
        self,
        request: Resolved,
        seed: int,
        workdir: Path,
        progress: Progress,
        cancelled: Cancelled,
    ) -> list[ProviderResult]: ...


def stitches(provider: Provider, model: str | None) -> bool:
    """Whether ``provider`` uses neighbouring lines' request ids with ``model`` (an optional
    ``stitches(model) -> bool`` method; most providers have none)."""
    method = getattr(provider, "stitches", None)
    return bool(method(model)) if callable(method) else False


def param_defaults(provider: Provider, kind: str) -> dict[str, Any]:
    return {p.name: p.default for p in provider.params() if kind in p.kinds}
