"""What a provider is built with: its service origin, key, timeouts and concurrency limit.

The registry fills one in per provider from settings and the environment; a provider never reads
settings or the environment itself, so tests build one pointed at a local fake server.
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
    read_timeout_s: float = 30.0
    concurrency: int | None = None  # None: the provider's own default
    # Long-running tasks (Suno): where a submitted task id waits to be picked up after a crash,
    # how often to poll it (growing from this) and how long before giving up.
    state_dir: Path | None = None  # None: submitted tasks are not remembered
    poll_interval_s: float = 2.0
    task_deadline_s: float = 600.0
