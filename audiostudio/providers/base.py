"""The provider interface: what every service (and the built-in offline engine) offers.

A provider is stateless towards the app: it is given a fully resolved request (``Resolved``:
defaults and the speaker's cast already applied), a concrete seed, a progress callable, a
cancel check and a folder to write into, and returns one result per variant. Caching, retries,
concurrency limits and applying takes to the project are the GenerationService's job, so a
provider only speaks to its service and maps its failures onto ``audiostudio.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from audiostudio.progress import Cancelled, Progress


@dataclass(frozen=True)
class VoiceOption:
    id: str  # as stored in projects, e.g. "piper:en_US-joe-medium"
    name: str  # for people
    language: str = "en"
    description: str = ""


@dataclass(frozen=True)
class ParamSpec:
    """One provider parameter, so the window can build its inspector from data."""

    name: str
    kind: str  # "float" / "int" / "choice" / "bool"
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

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "model": self.model, "text": self.text, "prompt": self.prompt,
            "lyrics": self.lyrics, "voice": self.voice, "duration": self.duration,
            "variants": self.variants, "params": dict(self.params),
        }


@dataclass(frozen=True)
class ProviderResult:
    audio: Path  # a file in the work folder the provider was given
    seed: int | None
    variant: int = 0
    request_id: str | None = None
    cost: Cost | None = None


class Provider(Protocol):
    name: str
    kinds: frozenset[str]
    default_model: str | None

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


def param_defaults(provider: Provider, kind: str) -> dict[str, Any]:
    return {p.name: p.default for p in provider.params() if kind in p.kinds}
