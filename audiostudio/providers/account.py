"""What ``audiostudio providers --check`` shows of a cloud account, from its cheap call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    plan: str | None  # None: the service does not say
    credits_left: float | None
    concurrency: int | None  # requests it may run at once
