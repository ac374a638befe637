"""The generation half of the inspector: a prompt clip's request, built from what its provider
declares (kinds, voices, ParamSpecs, cost), its takes, its generation state and the buttons.

Design note: every widget edits through ``Document.try_apply`` (one SetFields, merged per field
while typing or turning), so the form holds no state of its own beyond what it shows; ``show``
rebuilds the provider-specific rows only when the provider or kind changed, so typing never
loses the cursor. A provider may offer an optional ``unavailable_reason() -> str | None`` (e.g.
"Add an ElevenLabs API key in Preferences"): the chooser then lists it disabled with that text.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from audiostudio.errors import AudiostudioError
from audiostudio.generation.service import GeneratedAudio
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.edits import SetFields
from audiostudio.model.project import REQUEST_KINDS
from audiostudio.model.schema import to_json
from audiostudio.providers.base import ParamSpec, Provider, VoiceOption
from audiostudio.ui.clip_labels import clip_name
from audiostudio.ui.document import Document
from audiostudio.ui.forms import (
    SPIN_MIN_WIDTH,
    ComboBox,
    DoubleSpinBox,
    FieldSpec,
    SpinBox,
    choice_words,
    spin_box,
    spin_value,
)
from audiostudio.ui.generation import GenerationController

QUICK_TAGS = ("whispering", "excited", "shouting", "sad", "pause")
AUDITION_LINE = "Hello! This is how I sound when I read your lines."
AUDITION_SEED = 1  # a fixed seed: the second audition of a voice is a cache hit
DURATION = FieldSpec("duration", "Length", "optional_float", maximum=600, suffix=" s")
SEED = FieldSpec("seed", "Seed", "optional_int", maximum=2**31 - 1)
TAG_CHIP = ("QToolButton { background: #3a3c42; color: #c9ccd2; border: none; "
            "border-radius: 8px; padding: 2px 4px; font-size: 8pt; }"
            "QToolButton:hover { background: #4a4d55; }")
TRACK_WORDS = {"voice": "a voice", "sfx": "a sound-effects", "music": "a music"}
NOTE = "#9a9ea6"  # grey lines under fields
STATE_COLORS = {"failed": "#ff6b6b", "stale": "#e0b050", "current": "#7fcf8f"}


def unavailable_reason(provider: Provider) -> str | None:
    """Why a registered provider cannot be used now (no key...), if it says so."""
    reason = getattr(provider, "unavailable_reason", None)
    return reason() if callable(reason) else None


def provider_title(provider: Provider) -> str:
    """A provider's name for people ("ElevenLabs"), if it gives one."""
    return getattr(provider, "title", None) or provider.name.capitalize()


def voice_groups(voices: list[VoiceOption]) -> dict[str, list[VoiceOption]]:
    """Voices by "engine · language" (the voice's engine, else its id's prefix), in the given
    order; a group whose engine is not installed says so."""
    groups: dict[str, list[VoiceOption]] = {}
    for voice in voices:
        engine = voice.engine or (voice.id.split(":", 1)[0] if ":" in voice.id else "voices")
        groups.setdefault(f"{engine.capitalize()} · {voice.language}", []).append(voice)
    return {(f"{name} (not installed)" if all(v.unavailable for v in members) else name): members
            for name, members in groups.items()}


def spoken_as(provider: Provider, voice_id: str) -> str | None:
    """The voice a provider speaks an id it does not list with, if it says (an optional
    ``spoken_as(voice_id)``; most providers have none)."""
    method = getattr(provider, "spoken_as", None)
    return method(voice_id) if callable(method) else None


def voice_problem(provider: Provider | None, voices: list[VoiceOption],
                  voice_id: str | None) -> str:
    """Why the voice a line is read with cannot be used as it is, in people's words ("" when
    it can): not among the provider's ``voices`` any more, or its engine is not installed."""
    if provider is None or not voice_id:
        return ""
    listed = {v.id: v for v in voices}
    voice, title = listed.get(voice_id), provider_title(provider)
    if voice is not None:
        return f"Voice '{voice.name}' cannot speak here: {voice.unavailable}" \
            if voice.unavailable else ""
    successor = spoken_as(provider, voice_id)
    if successor == voice_id:  # not listed, but spoken as it is (an eSpeak voice by its id)
        return ""
    if successor:
        now = listed[successor].name if successor in listed else successor
        return (f"Voice '{voice_id}' is no longer offered by {title}: it now reads as {now}. "
                "Pick a voice to choose another")
    return f"Voice '{voice_id}' is no longer offered by {title} — pick another"


def voice_words(voices: list[VoiceOption], voice_id: str | None,
                provider: Provider | None = None) -> str:
    """A voice's name for people; one the provider does not list is quoted, and said to be
    no longer offered unless the provider speaks it as it is."""
    if not voice_id:
        return "none"
    name = next((v.name for v in voices if v.id == voice_id), None)
    if name:
        return name
    spoken = provider is not None and spoken_as(provider, voice_id) == voice_id
    return f"'{voice_id}'" if spoken else f"'{voice_id}' (no longer offered)"


def track_kinds(track: Track | None) -> tuple[str, ...]:
    """The request kinds a prompt clip on ``track`` is offered. The file format lets any clip
    sit on any track, but the mix levels and ducks a clip by its track's kind (a voice line on
    an SFX track would not duck the music): a voice, SFX or music track offers its own kind,
    an audio track (or none) every kind."""
    kind = track.effective_kind if track is not None else "audio"
    return (kind,) if kind in REQUEST_KINDS else REQUEST_KINDS


def kind_refusal(kind: str, track: Track) -> str:
    """Why ``kind`` is not offered on ``track``, in people's words."""
    here, there = TRACK_WORDS[track.effective_kind], TRACK_WORDS[kind]
    return (f"This is {here} track, and the mix levels and ducks every clip by its track's "
            f"kind: put a {choice_words(kind).lower()} on {there} track")


class VoiceSource(NamedTuple):
    voice: str | None
    where: str  # in people's words: "from the cast of NARRATOR"
    short: str  # what fits beside the name in a narrow list: "cast"


def voice_source(project: Project, clip: Clip, provider: Provider | None) -> VoiceSource:
    """The voice a line is read with and where it comes from."""
    request = clip.request
    assert request is not None
    if request.voice:
        return VoiceSource(request.voice, "chosen for this line", "chosen")
    cast = project.cast.get(clip.speaker or "")
    if cast is not None and cast.voice and cast.provider == request.provider:
        return VoiceSource(cast.voice, f"from the cast of {clip.speaker}", "cast")
    default = provider.default_voice() if provider is not None else None
    return VoiceSource(default, "the provider's default", "default")


def param_label(spec: ParamSpec) -> tuple[str, str]:
    """(label, unit suffix) of a provider parameter: "volume_db" -> ("Volume", " dB"); a
    one-word description is its unit ("semitones")."""
    for ending, unit in (("_db", " dB"), ("_ms", " ms"), ("_s", " s")):
        if spec.name.endswith(ending):
            return choice_words(spec.name.removesuffix(ending)), unit
    words = spec.description.split()
    return choice_words(spec.name), f" {words[0]}" if len(words) == 1 else ""


def cost_text(amount: float, unit: str) -> str:
    return "free" if amount == 0 else f"about {amount:g} {unit}"


class _Heard(QObject):
    """Lives on the GUI thread: a worker's emit queues the slot onto it."""

    ready = Signal(object)  # list[GeneratedAudio] or the exception


class PromptForm(QWidget):
    message = Signal(str)  # refusals and hints, shown by the inspector

    def __init__(self, document: Document, generation: GenerationController,
                 play: Callable[[Path], None] | None = None,
                 parent: QWidget | None = None) -> None:
        """``play``: hears a sample file through the preview's output (None: samples are made,
        not played)."""
        super().__init__(parent)
        self.document = document
        self.generation = generation
        self._play = play
        self.clip: Clip | None = None
        self._built_for: tuple[str, str] | None = None  # (provider, kind) of the param rows
        self._heard = _Heard()
        self._heard.ready.connect(self._audition_ready)
        self.last_audition: Path | None = None

        self.rows = QFormLayout(self)
        self.rows.setContentsMargins(4, 4, 4, 4)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(True)
        self.progress.setMaximumHeight(14)
        self.rows.addRow(self.state)
        self.rows.addRow(self.progress)

        self.kind = ComboBox()
        for kind in REQUEST_KINDS:
            self.kind.addItem(choice_words(kind), kind)
        self.kind.activated.connect(lambda _i: self._set_request(
            "kind", self.kind.currentData(), "Kind"))
        self.kind_note = _note()
        self.rows.addRow("Kind", self.kind)
        self.rows.addRow("", self.kind_note)

        self.provider = ComboBox()
        self.provider.activated.connect(lambda _i: self._choose_provider())
        self.provider_note = _note()
        self.rows.addRow("Provider", self.provider)
        self.rows.addRow("", self.provider_note)

        self.speaker = _line_edit(self._set_speaker)
        self.speaker.setPlaceholderText("who says it (picks the voice from the cast)")
        self.rows.addRow("Speaker", self.speaker)

        self.voice = ComboBox()
        self.voice.activated.connect(lambda _i: self._set_request(
            "voice", self.voice.currentData(), "Voice"))
        self.audition = QPushButton()
        self.audition.setText("▶")  # a narrow dock leaves the voice's name the room
        self.audition.setFixedWidth(32)
        self.audition.setToolTip("Hear this voice read a short sample line")
        self.audition.clicked.connect(self.audition_voice)
        self.rows.addRow("Voice", _row(self.voice, self.audition, stretch_first=True))
        self.voice_note = _note()
        self.rows.addRow("", self.voice_note)

        self.text = QPlainTextEdit()
        self.text.setFixedHeight(96)
        self.text.textChanged.connect(self._text_changed)
        self.rows.addRow("Line", self.text)
        # Chips in rows of three: the dock stays narrow (no sideways scrolling).
        self.tags = QWidget()
        tags = QGridLayout(self.tags)
        tags.setContentsMargins(0, 0, 0, 0)
        tags.setSpacing(3)
        for index, tag in enumerate(QUICK_TAGS):
            chip = QToolButton()
            chip.setText(f"[{tag}]")
            chip.setToolTip(f"Insert [{tag}] at the cursor: how the next words are said")
            chip.setStyleSheet(TAG_CHIP)
            chip.clicked.connect(lambda _c=False, t=tag: self.insert_tag(t))
            tags.addWidget(chip, index // 3, index % 3, Qt.AlignmentFlag.AlignLeft)
        tags.setColumnStretch(3, 1)  # chips keep their size, packed to the left
        self.rows.addRow(self.tags)

        self.duration = spin_box(DURATION)
        self.duration.valueChanged.connect(
            lambda _v: self._set_request("duration", spin_value(self.duration, DURATION),
                                         "Duration"))
        self.duration.setToolTip("How long the sound or music should be; auto: the "
                                 "provider chooses")
        self.rows.addRow("Length", self.duration)
        self.seed = spin_box(SEED)
        self.seed.valueChanged.connect(
            lambda _v: self._set_request("seed", spin_value(self.seed, SEED), "Seed"))
        self.dice = QPushButton()
        self.dice.setText("Random")
        self.dice.setToolTip("A new random seed (the same seed makes the same audio)")
        self.dice.clicked.connect(lambda: self.seed.setValue(random.randrange(2**31 - 1)))
        self.rows.addRow("Seed", _row(self.seed, self.dice, stretch_first=True))

        self.param_widgets: dict[str, QWidget] = {}
        self._param_rows: list[QWidget] = []
        self.cost = QLabel()
        self.rows.addRow("Estimate", self.cost)
        self.takes = ComboBox()
        self.takes.activated.connect(self.pick_take)
        self.rows.addRow("Take", self.takes)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Make this clip's audio (when empty or stale)")
        self.generate_button.clicked.connect(lambda: self._generate(new_take=False))
        self.new_take_button = QPushButton("New take")
        self.new_take_button.setToolTip("Another take with a new seed; the others are kept")
        self.new_take_button.clicked.connect(lambda: self._generate(new_take=True))
        self.rows.addRow(_row(self.generate_button, self.new_take_button))
        generation.clip_changed.connect(self._generation_changed)
        # By request key, like FieldForm.widgets (tests and the inspector reach them by name).
        self.widgets: dict[str, QWidget] = {
            "kind": self.kind, "provider": self.provider, "speaker": self.speaker,
            "voice": self.voice, "text": self.text, "duration": self.duration,
            "seed": self.seed, "take": self.takes}

    # --- model -> widgets -----------------------------------------------------------------
    def show_clip(self, clip: Clip) -> None:
        assert clip.request is not None
        self.clip = clip
        request = clip.request
        provider = self._provider(request.provider)
        for widget in (self.kind, self.provider, self.voice, self.duration, self.seed,
                       self.takes, self.text, self.speaker):
            widget.blockSignals(True)
        try:
            self._fill_kinds(clip)
            self._fill_providers(request.provider, request.kind)
            self.speaker.setText(clip.speaker or "")
            self._fill_voices(clip, provider)
            words = request.text if request.kind == "voice" else request.prompt
            if self.text.toPlainText() != (words or ""):
                self.text.setPlainText(words or "")
            self.duration.setValue(self.duration.minimum() if request.duration is None
                                   else request.duration)
            self.seed.setValue(self.seed.minimum() if request.seed is None else request.seed)
            self._fill_takes(clip)
        finally:
            for widget in (self.kind, self.provider, self.voice, self.duration, self.seed,
                           self.takes, self.text, self.speaker):
                widget.blockSignals(False)
        voice = request.kind == "voice"
        self.rows.setRowVisible(self.speaker, voice)
        self.rows.setRowVisible(self.voice.parentWidget(), voice)
        self.rows.setRowVisible(self.voice_note, voice and bool(self.voice_note.text()))
        self.rows.setRowVisible(self.tags, voice)
        self.rows.setRowVisible(self.duration, not voice)  # a line lasts as long as it is said
        self.rows.labelForField(self.text).setText("Line" if voice else "Prompt")
        self.text.setPlaceholderText(
            "What the line says. Tags like [whispering] set how the next words are said."
            if voice else f"Describe the {choice_words(request.kind).lower()}, "
                          "e.g. 'heavy wooden door creaks open'")
        self._build_params(request, provider)
        self._show_cost()
        self._generation_changed(clip.id)

    def _fill_kinds(self, clip: Clip) -> None:
        """Only the kinds that fit the clip's track are enabled, the others say why; a clip of
        another kind (an older file) keeps showing its own, with a note."""
        assert clip.request is not None
        found = self.document.project.find_clip(clip.id)
        track = found[0] if found is not None else None
        offered = track_kinds(track)
        model = self.kind.items
        for index in range(self.kind.count()):
            kind = self.kind.itemData(index)
            fits = kind in offered
            model.item(index).setEnabled(fits or kind == clip.request.kind)
            model.item(index).setToolTip("" if fits or track is None
                                         else kind_refusal(kind, track))
        self.kind.setCurrentIndex(max(0, self.kind.findData(clip.request.kind)))
        misplaced = track is not None and clip.request.kind not in offered
        self.kind_note.setText(kind_refusal(clip.request.kind, track) if misplaced else "")
        self.rows.setRowVisible(self.kind_note, misplaced)

    def _provider(self, name: str) -> Provider | None:
        return self.generation.service.providers.get(name)

    def _fill_providers(self, current: str, kind: str) -> None:
        """Every provider, those that cannot make ``kind`` or are not set up (no key) listed
        disabled, saying why and how to fix it."""
        self.provider.clear()
        notes = []
        for name, provider in self.generation.service.providers.items():
            title = provider_title(provider)
            reason = unavailable_reason(provider)
            if kind not in provider.kinds:
                self.provider.addItem(f"{title} — no {choice_words(kind).lower()}", name)
                reason = f"makes {', '.join(sorted(provider.kinds))}, not {kind}"
            else:
                self.provider.addItem(title + (" — unavailable" if reason else ""), name)
                if reason:
                    notes.append(f"{title}: {reason}")
            if reason:
                item = self.provider.items.item(self.provider.count() - 1)
                item.setEnabled(False)
                item.setToolTip(reason)
        if self.provider.findData(current) < 0:  # from another install: shown, not offered
            self.provider.addItem(f"{current} — not in this Audiostudio", current)
            self.provider.items.item(self.provider.count() - 1).setEnabled(False)
            notes.insert(0, f"'{current}' is not installed here: choose another provider")
        self.provider.setCurrentIndex(self.provider.findData(current))
        self.provider_note.setText("\n".join(notes))
        self.provider_note.setVisible(bool(notes))

    def _fill_voices(self, clip: Clip, provider: Provider | None) -> None:
        """The voices by engine and language; those whose engine is not installed are listed
        disabled with how to install it, and a voice the line uses that cannot speak as it is
        gets a note saying what to do."""
        self.voice.clear()
        voices = provider.voices() if provider is not None else []
        effective, where, short = voice_source(self.document.project, clip, provider)
        assert clip.request is not None
        if clip.request.voice:  # "back to the cast / default" stays one click away
            fallback = voice_source(self.document.project, _without_voice(clip), provider)
            self.voice.addItem(f"(no choice: {fallback.where})", None)
        else:
            self.voice.addItem(f"{voice_words(voices, effective, provider)} ({short})", None)
        model = self.voice.items
        for group, members in voice_groups(voices).items():
            self.voice.addItem(f"— {group} —")
            model.item(self.voice.count() - 1).setEnabled(False)
            for voice in members:
                self.voice.addItem(f"   {voice.name}", voice.id)
                item = model.item(self.voice.count() - 1)
                item.setToolTip(voice.unavailable or voice.description)
                item.setEnabled(not voice.unavailable)
        if clip.request.voice and self.voice.findData(clip.request.voice) < 0:
            self.voice.addItem(voice_words(voices, clip.request.voice, provider),
                               clip.request.voice)
        chosen = self.voice.findData(clip.request.voice) if clip.request.voice else 0
        self.voice.setCurrentIndex(chosen)
        self.voice.setToolTip(self.voice.currentText().strip())  # in full, when cut short
        # Under the list: what is wrong with the voice, else where it comes from (the list is
        # too narrow to say it beside the name).
        problem = voice_problem(provider, voices, effective)
        self.voice_note.setText(problem or ("" if clip.request.voice
                                            else where[0].upper() + where[1:]))
        self.voice_note.setStyleSheet(f"color: {STATE_COLORS['stale'] if problem else NOTE};")
        # its row is shown by show_clip
        engine_missing = next((v.unavailable for v in voices if v.id == effective), "")
        self.audition.setEnabled(effective is not None and not engine_missing)
        self.audition.setToolTip(engine_missing or "Hear this voice read a short sample line")

    def _fill_takes(self, clip: Clip) -> None:
        self.takes.clear()
        for index, take in enumerate(clip.takes):
            details = [f"seed {take.seed}" if take.seed is not None else "",
                       (take.created or "").replace("T", " ").rstrip("Z")[:16]]
            self.takes.addItem(" · ".join([f"Take {index + 1}", *filter(None, details)]), index)
        if not clip.takes:
            self.takes.addItem("none yet")
        self.takes.setEnabled(len(clip.takes) > 1)
        self.takes.setCurrentIndex(clip.take if clip.take is not None else 0)

    def _build_params(self, request: Request, provider: Provider | None) -> None:
        key = (request.provider, request.kind)
        if key != self._built_for:
            for widget in self._param_rows:
                self.rows.removeRow(widget)
            self._param_rows, self.param_widgets = [], {}
            specs = [p for p in (provider.params() if provider else []) if request.kind in p.kinds]
            at = self.rows.getWidgetPosition(self.cost)[0]
            for offset, spec in enumerate(specs):
                widget = self._param_widget(spec)
                self.param_widgets[spec.name] = widget
                self._param_rows.append(widget)
                self.rows.insertRow(at + offset, param_label(spec)[0], widget)
            self._built_for = key
        values = self._param_values(request, provider)
        for name, widget in self.param_widgets.items():
            widget.blockSignals(True)
            try:
                _show_value(widget, values[name])
            finally:
                widget.blockSignals(False)

    def _param_values(self, request: Request, provider: Provider | None) -> dict[str, Any]:
        if provider is None or self.clip is None:
            return {}
        cast = self.document.project.cast.get(self.clip.speaker or "")
        return self.generation.service.resolve(request, cast).params

    def _param_widget(self, spec: ParamSpec) -> QWidget:
        emit: Callable[[Any], None] = lambda v, n=spec.name: self._set_param(n, v)  # noqa: E731
        if spec.kind == "bool":
            check = QCheckBox()
            check.toggled.connect(emit)
            widget: QWidget = check
        elif spec.kind == "text":  # free words (Suno's style, title): sent when typing ends
            line = QLineEdit()
            line.setPlaceholderText(spec.description)
            line.editingFinished.connect(lambda: _typed(line, emit))
            widget = line
        elif spec.kind == "choice":
            combo = ComboBox()
            for choice in spec.choices:
                combo.addItem(choice_words(choice), choice)
            combo.activated.connect(lambda _i: emit(combo.currentData()))
            widget = combo
        else:
            box = SpinBox() if spec.kind == "int" else DoubleSpinBox()
            low = spec.minimum if spec.minimum is not None else -1e6
            high = spec.maximum if spec.maximum is not None else 1e6
            box.setRange(low, high)
            if isinstance(box, DoubleSpinBox):
                box.setDecimals(2)
                box.setSingleStep(max(0.01, (high - low) / 100))
            box.setKeyboardTracking(False)
            box.setMinimumWidth(SPIN_MIN_WIDTH)
            box.setSuffix(param_label(spec)[1])
            box.valueChanged.connect(emit)
            widget = box
        widget.setToolTip(spec.description)
        return widget

    def _show_cost(self) -> None:
        assert self.clip is not None and self.clip.request is not None
        cast = self.document.project.cast.get(self.clip.speaker or "")
        try:
            cost = self.generation.service.estimate(self.clip.request, cast)
        except AudiostudioError as error:
            self.cost.setText(str(error))
            return
        self.cost.setText(cost_text(cost.amount, cost.unit))

    def _generation_changed(self, clip_id: str) -> None:
        clip = self.clip
        if clip is None or clip.id != clip_id:
            return
        row = self.generation.state_of(clip_id)
        progress: float | None = None
        if row is not None and row.state == "queued":
            text, tone = "Queued: waiting for a free slot", ""
        elif row is not None and row.state == "running":
            text, tone, progress = "Generating…", "", row.progress
        elif row is not None and row.state == "failed":
            text, tone = f"Failed: {row.message}", "failed"
        else:
            state = clip_state(clip)
            text, tone = {
                ClipState.EMPTY: ("Not generated yet", ""),
                ClipState.STALE: ("Stale: the request changed since this take. "
                                  "Generate makes a new one", "stale"),
                ClipState.CURRENT: ("Up to date", "current"),
            }.get(state, ("", ""))
        self.state.setText(text)
        self.state.setStyleSheet(f"color: {STATE_COLORS[tone]};" if tone else "")
        self.progress.setVisible(progress is not None)
        self.progress.setValue(round((progress or 0.0) * 100))
        busy = row is not None and row.active
        self.generate_button.setEnabled(not busy)
        self.new_take_button.setEnabled(not busy)

    # --- widgets -> model -----------------------------------------------------------------
    def _apply(self, fields: dict[str, Any], label: str, merge: str) -> None:
        assert self.clip is not None
        named = clip_name(self.clip)
        error = self.document.try_apply(SetFields(self.clip.id, fields), f"{label}: {named}",
                                        f"{self.clip.id}:{merge}")
        if error:
            self.message.emit(error)

    def _set_request(self, key: str, value: Any, label: str, **more: Any) -> None:
        if self.clip is None or self.clip.request is None:
            return
        request = to_json(self.clip.request)
        request[key] = value
        request.update(more)
        self._apply({"request": request}, label, f"request:{key}")

    def _set_param(self, name: str, value: Any) -> None:
        if self.clip is None or self.clip.request is None:
            return
        params = to_json(self.clip.request.params)
        provider = self.clip.request.provider
        params[provider] = {**params.get(provider, {}), name: value}
        self._set_request("params", params, choice_words(name))

    def _set_speaker(self, text: str) -> None:
        if self.clip is not None and text != (self.clip.speaker or ""):
            self._apply({"speaker": text}, "Speaker", "speaker")

    def _choose_provider(self) -> None:
        # Another provider's voice ids mean nothing here: back to the cast / its default.
        self._set_request("provider", self.provider.currentData(), "Provider", voice=None)

    def _text_changed(self) -> None:
        if self.clip is None or self.clip.request is None:
            return
        key = "text" if self.clip.request.kind == "voice" else "prompt"
        self._set_request(key, self.text.toPlainText(), "Line" if key == "text" else "Prompt")

    def insert_tag(self, tag: str) -> None:
        cursor = self.text.textCursor()
        before = self.text.toPlainText()[:cursor.position()]
        space = "" if not before or before.endswith((" ", "\n")) else " "
        cursor.insertText(f"{space}[{tag}] ")
        self.text.setFocus()

    def pick_take(self, index: int) -> None:
        """Hear take ``index``: one undo step, applied once the pool has read its file (and
        copied it back from the cache if it went)."""
        clip = self.clip
        if clip is None or not 0 <= index < len(clip.takes) or index == clip.take:
            return
        self.generation.use_take(clip.id, index, f"Take {index + 1}: {clip_name(clip)}",
                                 failed=self._take_failed)

    def _take_failed(self, text: str) -> None:
        self.message.emit(text)
        if self.clip is not None:
            self._fill_takes(self.clip)  # back to the take in use

    def _generate(self, new_take: bool) -> None:
        if self.clip is not None:
            self.generation.generate([self.clip.id], new_take=new_take)
            self._generation_changed(self.clip.id)

    def focus_text(self) -> None:
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)

    # --- audition -------------------------------------------------------------------------
    def audition_voice(self) -> None:
        """Generate a short sample line in the shown voice (cached), then play it."""
        clip = self.clip
        if clip is None or clip.request is None:
            return
        provider = self._provider(clip.request.provider)
        voice = voice_source(self.document.project, clip, provider).voice
        request = Request(kind="voice", provider=clip.request.provider, text=AUDITION_LINE,
                          voice=voice, params=to_json(clip.request.params))
        try:
            cost = self.generation.service.estimate(request)
            if cost.amount > 0:  # a sample is never a surprise charge
                self.message.emit(f"A sample from {request.provider} would cost "
                                  f"{cost_text(cost.amount, cost.unit)}: generate the line instead")
                return
            job = self.generation.service.submit(request, AUDITION_SEED)
        except AudiostudioError as error:
            self.message.emit(f"Cannot play a sample: {error}")
            return
        self.audition.setEnabled(False)
        self.message.emit("Making a sample of this voice…")
        job.future.add_done_callback(
            lambda f: self._heard.ready.emit(f.exception() or f.result()))

    def _audition_ready(self, result: list[GeneratedAudio] | BaseException) -> None:
        self.audition.setEnabled(True)
        if isinstance(result, BaseException):
            self.message.emit(f"Cannot play a sample: {result}")
            return
        self.last_audition = result[0].path
        if self._play is None:
            self.message.emit("Sample made (this form has no output to play it)")
            return
        self._play(self.last_audition)
        self.message.emit("")


def _without_voice(clip: Clip) -> Clip:
    assert clip.request is not None
    return replace(clip, request=replace(clip.request, voice=None))


def _note() -> QLabel:
    """A grey, wrapping line under a field: why something is disabled, or what to do."""
    note = QLabel()
    note.setWordWrap(True)
    note.setStyleSheet(f"color: {NOTE};")
    return note


def _line_edit(on_done: Callable[[str], None]) -> QLineEdit:
    line = QLineEdit()
    line.editingFinished.connect(lambda: on_done(line.text()))
    return line


def _row(*widgets: QWidget, stretch_first: bool = False) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if stretch_first and index == 0 else 0)
    return row


def _typed(line: QLineEdit, emit: Callable[[Any], None]) -> None:
    """Only words the user changed are a request edit (leaving the field untouched must not
    make the clip stale)."""
    if line.isModified():
        line.setModified(False)
        emit(line.text().strip())


def _show_value(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, ComboBox):
        widget.setCurrentIndex(max(0, widget.findData(value)))
    elif isinstance(widget, QLineEdit):
        widget.setText("" if value is None else str(value))
    elif value is not None:
        widget.setValue(value)  # type: ignore[attr-defined]
