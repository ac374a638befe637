"""Suno songs through a partner API (no official public one): sunoapi.org by default, kie.ai
speaks the same; what a partner calls things is in ``suno_flavours``.

A request becomes one paid task that makes two songs. The task id is remembered
(``PendingTasks``, in the config's state folder) before polling starts, so a crash, a cancel or
the deadline never makes the next run pay again: it polls the same task. Polling backs off from
``poll_interval_s`` up to eight times that, until ``task_deadline_s``. The songs' audio URLs are
fetched without the key (they are public file links) and kept as sent (MP3).

Mapping (Suno's "custom mode" is the one where we say the style and title):
- lyrics: custom mode, the lyrics sung in the ``style`` param, else in the style the clip's
  prompt describes, titled ``title``, else by their first sung line;
- no lyrics, ``instrumental`` with a ``style``, ``title`` or ``negative_tags`` of its own: a
  custom-mode instrumental (style: the param, else the prompt; title: the param, else the
  prompt's words);
- else Suno writes a song to the prompt (non-custom mode: the service takes nothing more, so
  those params for a sung song without lyrics are refused before paying, saying why).
``negative_tags`` (what to keep out) goes with either custom-mode song.
Suno takes no seed and no length: a take's seed is null, its length what Suno made.
Both songs come back as variants 0 and 1, also when one was asked for.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from audiostudio.errors import (
    AuthenticationError,
    BadRequestError,
    CancelledError,
    ContentRefusedError,
    ProviderError,
    ServiceError,
    TaskDeadlineError,
)
from audiostudio.model.request import cache_key
from audiostudio.progress import Cancelled, Progress
from audiostudio.providers.account import Account
from audiostudio.providers.base import Cost, ParamSpec, ProviderResult, Resolved, VoiceOption
from audiostudio.providers.config import ProviderConfig, service
from audiostudio.providers.http_audio import json_body, masked, save_audio, send
from audiostudio.providers.pending_tasks import PendingTasks
from audiostudio.providers.suno_flavours import Made, Song, SunoFlavour, flavour_for

NAME = "suno"
DEFAULT_CONCURRENCY = 4  # a job holds its slot while it polls, minutes at a time
SONGS_PER_TASK = 2
POLL_GROWTH = 1.5
POLL_CAP = 8.0  # the interval grows to at most this many times the configured one
# only custom mode takes them; as said in a message
CUSTOM_PARAMS = {"style": "a style", "title": "a title", "negative_tags": "tags to keep out"}


class SunoProvider:
    name = NAME
    title = service(NAME).title
    kinds = frozenset({"music"})

    def __init__(self, config: ProviderConfig, flavour: SunoFlavour | None = None) -> None:
        """``flavour``: the partner's API; by default the one ``config.base_url``'s host speaks."""
        self.config = config
        self.flavour = flavour or flavour_for(config.base_url)
        self.default_models = {"music": self.flavour.default_model}
        self.pending = PendingTasks(config.state_dir, f"suno-{_slug(self.flavour.name)}")

    def __repr__(self) -> str:
        return (f"SunoProvider({self.config.base_url!r}, {self.flavour.name}, "
                f"key from {self.config.key_source})")

    def unavailable_reason(self) -> str | None:
        return None if self.config.api_key else service(NAME).key_hint()

    def max_concurrency(self) -> int:
        return self.config.concurrency or DEFAULT_CONCURRENCY

    def engine_version(self, kind: str) -> str:
        return f"suno-{_slug(self.flavour.name)}-1"  # the model is part of the request

    def voices(self) -> list[VoiceOption]:
        return []

    def default_voice(self) -> str | None:
        return None

    def params(self) -> list[ParamSpec]:
        return [
            ParamSpec("instrumental", "bool", False, description=(
                "no vocals (only without lyrics)"), kinds=("music",)),
            ParamSpec("style", "text", "", description=(
                "genre, instruments, mood, as Suno's style tags; with lyrics or an "
                "instrumental, this instead of the prompt"), kinds=("music",)),
            ParamSpec("title", "text", "", description=(
                "the song's title, with lyrics or an instrumental (default: its first "
                "words)"), kinds=("music",)),
            ParamSpec("negative_tags", "text", "", description=(
                "styles and sounds to keep out (\"drums, heavy metal\"), with lyrics or an "
                "instrumental"), kinds=("music",)),
        ]

    def account(self) -> Account:
        """The credits left (the flavour's credit call): the cheap authenticated call."""
        credits = self._ok(*self._call("GET", self.flavour.credit_path)).get("data")
        return Account(None, float(credits) if isinstance(credits, int | float) else None,
                       self.max_concurrency())

    def estimate_cost(self, request: Resolved) -> Cost:
        return Cost(self.flavour.credits_per_task, "credits")  # one task makes both songs

    def generate(self, request: Resolved, seed: int, workdir: Path, progress: Progress,
                 cancelled: Cancelled) -> list[ProviderResult]:
        body = self.flavour.generate_body(self.song(request))
        # Keyed without the seed (Suno takes none): a rerun that draws a new seed for an
        # unseeded clip must still find the task it paid for.
        key = cache_key({"request": request.to_json(), "origin": self.config.base_url}, None,
                        0, self.engine_version(request.kind))
        task = self.pending.claim(key)
        if task is None:
            task = self._submit(body)
            self.pending.add(key, task)
        finished = False
        try:
            made = self._wait_for(task, progress, cancelled)
            if not made:
                raise _TaskFailed("the task finished without songs; generate again to try "
                                  "anew", self.name)
            results = self._download(made, workdir, progress, cancelled)
            finished = True
            return results
        except (ContentRefusedError, _TaskFailed, BadRequestError):
            finished = True  # refused, failed, or an id the service does not know: for good
            raise
        finally:
            self.pending.release(key, task, finished)

    def song(self, request: Resolved) -> Song:
        """The song for ``request``, refusing what the service would refuse."""
        if request.kind != "music":
            raise BadRequestError(f"Suno makes music, not {request.kind}", self.name,
                                  field="kind")
        if request.variants > SONGS_PER_TASK:
            raise BadRequestError(f"Suno makes {SONGS_PER_TASK} songs per request: ask for 1 "
                                  "or 2", self.name, field="variants")
        model = request.model or self.flavour.default_model
        if model not in self.flavour.models:
            raise BadRequestError(f"'{model}' is not a Suno model (use one of: "
                                  f"{', '.join(self.flavour.models)})", self.name,
                                  field="model")
        instrumental = bool(request.params.get("instrumental", False))
        prompt = (request.prompt or "").strip()
        lyrics = (request.lyrics or "").strip()
        own = {name: _text(request.params.get(name)) for name in CUSTOM_PARAMS}
        style, title = own["style"], own["title"]
        max_description, max_lyrics, max_style, max_title = self.flavour.max_lengths(model)
        if not lyrics and not any(own.values()):
            _check_length("prompt", prompt, max_description, "a song description")
            return Song(model, instrumental, description=prompt)
        if lyrics and instrumental:
            raise BadRequestError("an instrumental has no lyrics: clear the lyrics or turn "
                                  "instrumental off", self.name, field="instrumental")
        if not lyrics and not instrumental:
            field = next(name for name, value in own.items() if value)
            raise BadRequestError(f"Suno takes {CUSTOM_PARAMS[field]} of your own only with "
                                  "lyrics or for an instrumental: write lyrics, turn "
                                  "instrumental on, or clear it", self.name, field=field)
        if lyrics:
            _check_length("lyrics", lyrics, max_lyrics, f"lyrics for {model}")
        if style:
            _check_length("style", style, max_style, f"the style for {model}")
        else:
            _check_length("prompt", prompt, max_style, f"the style (the prompt) for {model}")
        if title:
            _check_length("title", title, max_title, f"a title for {model}")
        return Song(model, instrumental, lyrics=lyrics or None, style=style or prompt,
                    title=title or _title_from(lyrics, max_title)
                    or _title_from(prompt, max_title) or _title_from(style, max_title),
                    negative_tags=own["negative_tags"] or None)

    # --- talking to the service ---------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        key = self.config.api_key
        if not key:
            raise AuthenticationError(f"no API key. {service(NAME).key_hint()}", self.name)
        return {"Authorization": f"Bearer {key}", "Accept": "application/json"}

    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """One API call: (its code, 200 when all is well; the JSON body)."""
        response = send(method, self.config.base_url.rstrip("/") + path, provider=self.name,
                        timeout=(self.config.connect_timeout_s, self.config.read_timeout_s),
                        headers=self._headers(), **kwargs)
        with response:
            body = json_body(response)
        code = body.get("code")
        if response.status_code != 200 or not isinstance(code, int):
            code = response.status_code  # an HTTP error, or a body without a code
        return code, body

    def _ok(self, code: int, body: dict[str, Any]) -> dict[str, Any]:
        if code != 200:
            message = masked(str(body.get("msg") or ""), self.config.api_key)
            raise self.flavour.error(code, message, self.name)
        return body

    def _submit(self, body: dict[str, Any]) -> str:
        answer = self._ok(*self._call("POST", self.flavour.generate_path, json=body))
        task = self.flavour.task_id(answer)
        if task is None:
            raise ServiceError("the service accepted the song but sent no task id", self.name)
        return task

    def _wait_for(self, task: str, progress: Progress, cancelled: Cancelled) -> list[Made]:
        """Poll ``task`` until its songs are made; back off, give up at the deadline."""
        interval = self.config.poll_interval_s
        deadline = time.monotonic() + self.config.task_deadline_s
        while True:
            code, body = self._call("GET", self.flavour.status_path,
                                    params={self.flavour.task_param: task})
            if code in self.flavour.busy_codes:  # asked to poll less often: not an error
                state, message, interval = "", "", interval * 2
            else:
                state, message = self.flavour.status(self._ok(code, body))
            message = masked(message, self.config.api_key)
            if state in self.flavour.done:
                return self.flavour.songs(body)
            if state in self.flavour.callback_failed:
                made = self.flavour.songs(body)
                if len(made) >= SONGS_PER_TASK:
                    return made  # else the songs are still coming: keep polling
            if state in self.flavour.refused:
                raise ContentRefusedError(f"Suno refused the words ({message or state}): "
                                          "reword the prompt or lyrics", self.name)
            if state in self.flavour.failed:
                raise _TaskFailed(f"Suno could not make this song ({state}"
                                  f"{': ' + message if message else ''}); generate again to "
                                  "try anew", self.name)
            if state:
                progress(self.flavour.progress.get(state, 0.05))
            if time.monotonic() + interval > deadline:
                later = ("it is remembered: generate again later to collect it without "
                         "paying twice" if self.pending.folder else "it may still finish at "
                         f"{self.flavour.name}")
                raise TaskDeadlineError(f"task {task} is not done after "
                                        f"{self.config.task_deadline_s:g} s; {later}", self.name)
            if _sleep(interval, cancelled):
                raise CancelledError("Generation cancelled")
            interval = min(interval * POLL_GROWTH, self.config.poll_interval_s * POLL_CAP)

    def _download(self, made: list[Made], workdir: Path, progress: Progress,
                  cancelled: Cancelled) -> list[ProviderResult]:
        made = made[:SONGS_PER_TASK]
        cost = Cost(self.flavour.credits_per_task / len(made), "credits")
        results = []
        for variant, song in enumerate(made):
            # Public file links: the key is for the API only and is never sent here.
            response = send("GET", song.audio_url, provider=self.name,
                            timeout=(self.config.connect_timeout_s, self.config.read_timeout_s),
                            headers={"Accept": "audio/*"})
            if response.status_code != 200:
                response.close()
                raise ServiceError(f"the song's audio could not be fetched (HTTP "
                                   f"{response.status_code})", self.name)
            path = save_audio(response, workdir, f"suno-{variant}", provider=self.name,
                              cancelled=cancelled,
                              progress=lambda f, v=variant: progress(
                                  0.6 + 0.4 * (v + f) / len(made)))
            results.append(ProviderResult(path, None, variant, song.id, cost))
        return results


class _TaskFailed(ProviderError):
    """The task itself failed at the service (not our call): forget it, do not retry."""


def _sleep(seconds: float, cancelled: Cancelled) -> bool:
    """Sleep ``seconds`` in short slices; True if cancelled meanwhile."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if cancelled():
            return True
        time.sleep(min(0.05, left))
    return cancelled()


def _check_length(field: str, text: str, limit: int, what: str) -> None:
    if not text:
        raise BadRequestError(f"{what} is empty: write one", SunoProvider.name, field=field)
    if len(text) > limit:
        raise BadRequestError(f"{len(text)} characters; Suno takes at most {limit} for {what}: "
                              "shorten it", SunoProvider.name, field=field)


def _text(value: object) -> str:
    """A free-text param as sent: a string, trimmed ("" for none)."""
    return value.strip() if isinstance(value, str) else ""


def _title_from(text: str, limit: int) -> str:
    """The first words of the first line that is not a section tag ("[Chorus]")."""
    lines = [line for line in text.splitlines() if line.strip() and
             not line.strip().startswith("[")]
    words = " ".join(lines[0].split()[:8]) if lines else ""
    return words[:limit].strip()


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())
