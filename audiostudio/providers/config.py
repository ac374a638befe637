"""What a provider is built with: its service origin, key, timeouts and concurrency limit.

``provider_setup.py`` (beside settings) fills one in per cloud service from settings, the
environment and the key store; a provider never reads settings or the environment itself, so
tests build one pointed at a local fake server. ``SERVICES`` is the one table of what differs
between the services' set-up: names, variables, default origins and timeouts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ProviderConfig:
    base_url: str  # the service origin, scheme://host[:port]; documented paths are appended
    api_key: str | None = field(default=None, repr=False)  # never in a repr, log or message
    key_source: str = "none"  # "env" / "keyring" / "file" / "none": shown, the key never is
    connect_timeout_s: float = 30.0
    read_timeout_s: float = 30.0  # between two reads of the answer, not for the whole call
    concurrency: int | None = None  # None: the provider's own default (its plan's limit)
    task_deadline_s: float = 600.0  # a long-running task (a Suno song) gives up after this
    # Suno: where a submitted (paid) task id waits to be collected after a crash, cancel or
    # deadline (None: not remembered), and the first poll interval (it grows from this).
    state_dir: Path | None = None
    poll_interval_s: float = 2.0


@dataclass(frozen=True)
class Service:
    """A cloud service's set-up facts."""

    name: str  # as requests name the provider
    title: str  # for people
    key_env: str
    url_env: str
    default_url: str
    keys_page: str  # where its owner makes a key, for "how to add one"
    read_timeout_s: float = 30.0

    def key_hint(self) -> str:
        return f"no API key: add one in Preferences > Providers, or set {self.key_env}"


SERVICES: tuple[Service, ...] = (
    # A long line or a music piece can take minutes before and between chunks: the SDK's
    # own default has cut such calls off for users, so ElevenLabs gets 5 minutes per read.
    Service("elevenlabs", "ElevenLabs", "ELEVENLABS_API_KEY", "AUDIOSTUDIO_ELEVENLABS_URL",
            "https://api.elevenlabs.io", "elevenlabs.io/app/settings/api-keys",
            read_timeout_s=300.0),
    Service("stability", "Stability AI", "STABILITY_API_KEY", "AUDIOSTUDIO_STABILITY_URL",
            "https://api.stability.ai", "platform.stability.ai/account/keys"),
    Service("suno", "Suno", "SUNO_API_KEY", "AUDIOSTUDIO_SUNO_URL",
            "https://api.sunoapi.org", "sunoapi.org/api-key"),
)


def service(name: str) -> Service:
    return next(s for s in SERVICES if s.name == name)
