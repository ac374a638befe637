"""How long operations report progress (``Progress``, ``Cancelled``), and the CLI's renderings
of it on stderr: a redrawn bar on a terminal, plain lines in logs and CI.

Every layer imports these two types, so this module stays cheap and Qt-free.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO


class Progress(Protocol):
    """Told how far an operation is: ``fraction`` in 0..1 and, when the operation has phases,
    a ``label`` naming the current one. Reporters may pass the fraction alone, so every
    implementation accepts both."""

    def __call__(self, fraction: float, label: str = "", /) -> None: ...


Cancelled = Callable[[], bool]  # polled by long operations; True = stop soon


class ProgressBar:
    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width
        self.last_step = -1
        self.last_draw = 0.0
        self.label = ""

    def __call__(self, fraction: float, label: str = "") -> None:
        fraction = min(1.0, max(0.0, fraction))
        if self.tty:
            now = time.monotonic()
            if now - self.last_draw < 0.05 and fraction < 1.0 and label == self.label:
                return
            self.last_draw = now
            filled = round(self.width * fraction)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {fraction * 100:5.1f}% {label:<30}")
        else:
            step = int(fraction * 10)  # a line per 10 % or per new phase
            if step == self.last_step and label == self.label:
                return
            self.last_step = step
            self.stream.write(f"{fraction * 100:5.1f}% {label}\n")
        self.label = label
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


class JobProgress:
    """Progress of several concurrent jobs: one status line on a terminal, else a line per job
    when it passes 50 % and one when it ends (done or failed). Called from worker threads,
    hence the lock. Only "done" says a job is finished: the provider and then the service both
    report 1.0 before it, and each used to print a 100 % line."""

    def __init__(self, stream: TextIO | None = None) -> None:
        import threading

        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.state: dict[str, float] = {}  # by clip id: two clips may share a name
        self.halfway: set[str] = set()  # clips whose 50 % line is printed
        self.lock = threading.Lock()

    def __call__(self, clip, event: str, value: object) -> None:
        label = clip.name or clip.id
        with self.lock:
            if event == "progress":
                self.state[clip.id] = float(value)  # type: ignore[arg-type]
            elif event == "done":
                self.state[clip.id] = 1.0
            else:
                self.state.setdefault(clip.id, 0.0)
            if self.tty:
                done = sum(1 for v in self.state.values() if v >= 1.0)
                line = f"\rgenerating: {done}/{len(self.state)} done, {label} {event}"
                self.stream.write(f"{line:<70}")
            elif event == "failed":
                self.stream.write(f"{label}: failed: {value}\n")
            elif event == "done":
                self.stream.write(f"{label}: done\n")
            elif 0.5 <= self.state[clip.id] < 1.0 and clip.id not in self.halfway:
                self.halfway.add(clip.id)
                self.stream.write(f"{label}: 50%\n")
            self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
