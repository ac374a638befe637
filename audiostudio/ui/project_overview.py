"""What the inspector shows when nothing is selected: the project at a glance (length, tracks,
prompt clips by state, the delivered loudness) and what to do next.

It edits nothing itself: a count selects its clips, "Generate all stale" is the window's own
command (``GenerationController.generate()``), and the master settings live in the Mixer's
Master strip only (one way to do each thing), so this just reads them back.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QWidget

from audiostudio.generation.takes import clips_to_generate
from audiostudio.model import Project
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.ui.generation import GenerationController
from audiostudio.ui.loudness_panel import loudness_words
from audiostudio.ui.preview import Preview

# (state, words for a count of them, colour); the order they are listed in.
STATES = (
    ("failed", "failed", "#ff6b6b"),
    ("stale", "stale", "#e0b050"),
    ("empty", "empty", "#9aa0a6"),
    ("busy", "queued or generating", "#8ab4f8"),
    ("ready", "ready", "#7fcf8f"),
    ("imported", "imported audio", "#c9ccd2"),
)
NO_TRACKS_HINT = "Start with a track: Track > Add Voice Track (or SFX, Music)"
HINTS = (
    "Double-click an empty spot of a track to add a prompt clip",
    "Double-click a clip to write its line or prompt",
    "Space plays and pauses; L loops the selection",
)
NOTE = "color: #9aa0a6;"
LINK = "#8ab4f8"


def clips_by_state(project: Project,
                   job_state: Callable[[str], str | None]) -> dict[str, list[str]]:
    """Clip ids per state in ``STATES``; ``job_state(clip_id)`` is the clip's newest job's
    state (queued / running / failed / ...), which outranks what the model says."""
    found: dict[str, list[str]] = {state: [] for state, _, _ in STATES}
    for _track, clip in project.iter_clips():
        job = job_state(clip.id)
        state = clip_state(clip)
        if state is ClipState.NO_REQUEST:
            found["imported"].append(clip.id)
        elif job in ("queued", "running"):
            found["busy"].append(clip.id)
        elif job == "failed":
            found["failed"].append(clip.id)
        else:
            found[{ClipState.EMPTY: "empty", ClipState.STALE: "stale",
                   ClipState.CURRENT: "ready"}[state]].append(clip.id)
    return found


def duration_words(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


class ProjectOverview(QWidget):
    clips_chosen = Signal(set)  # a count was clicked: select these clips
    mixer_requested = Signal()  # "change them in the Mixer" was clicked: show the Mixer dock

    def __init__(self, generation: GenerationController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.generation = generation
        self.document = generation.document
        self.preview: Preview | None = None
        # A form of full-width rows: it gives wrapped lines the height they need.
        self.rows = layout = QFormLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addRow(self.summary)
        self.counts: dict[str, QPushButton] = {}
        self._ids: dict[str, list[str]] = {}
        for state, words, colour in STATES:
            button = QPushButton()
            button.setFlat(True)
            button.setStyleSheet(f"QPushButton {{ color: {colour}; text-align: left; "
                                 "padding: 2px 4px; border: none; }"
                                 "QPushButton:hover { background: #3a3c42; }")
            button.setToolTip(f"Select the {words} clips")
            button.clicked.connect(lambda _c=False, s=state: self.clips_chosen.emit(
                set(self._ids.get(s, []))))
            self.counts[state] = button
            layout.addRow(button)
        self.generate_button = QPushButton()
        self.generate_button.setToolTip("Generate every empty or stale prompt clip in the "
                                        "background (Generate > Generate All Stale)")
        self.generate_button.clicked.connect(lambda: self.generation.generate())
        layout.addRow(self.generate_button)
        self.loudness = QLabel()
        self.loudness.setWordWrap(True)
        layout.addRow(self.loudness)
        self.master = QLabel()
        self.master.setWordWrap(True)
        self.master.setStyleSheet(NOTE)
        self.master.linkActivated.connect(lambda _link: self.mixer_requested.emit())
        layout.addRow(self.master)
        self.hints = QLabel()
        self.hints.setWordWrap(True)
        self.hints.setStyleSheet(NOTE)
        layout.addRow(self.hints)

    def follow_loudness(self, preview: Preview) -> None:
        """Show the delivered loudness of ``preview``'s background measurement."""
        self.preview = preview
        preview.loudness_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        project = self.document.project
        clips = sum(len(t.clips) for t in project.tracks)
        self.summary.setText(f"{duration_words(project.timeline_length())} long · "
                             f"{_plural(len(project.tracks), 'track')} · "
                             f"{_plural(clips, 'clip')}")
        self._ids = clips_by_state(project, self._job_state)
        for state, words, _ in STATES:
            button, ids = self.counts[state], self._ids[state]
            button.setText(f"{len(ids)} {words}  ›")
            self.rows.setRowVisible(button, bool(ids))
        busy = set(self._ids["busy"])
        todo = [c for c in clips_to_generate(project) if c.id not in busy]
        self.generate_button.setText(f"Generate all stale ({len(todo)})" if todo
                                     else "Nothing to generate")
        self.generate_button.setEnabled(bool(todo))
        prompts = any(c.request is not None for _t, c in project.iter_clips())
        self.rows.setRowVisible(self.generate_button, prompts)
        hints = HINTS if project.tracks else (NO_TRACKS_HINT, *HINTS)
        self.hints.setText("\n".join(f"• {hint}" for hint in hints))
        self.loudness.setText(loudness_words(self.preview) if self.preview else "")
        self.rows.setRowVisible(self.loudness, self.preview is not None)
        mix = project.mix
        target = ("not normalised" if mix.target_lufs is None
                  else f"target {mix.target_lufs:g} LUFS")
        self.master.setText(f"Master: {target}, ceiling {mix.true_peak_ceiling_dbtp:g} dBTP, "
                            f"gain {mix.master_gain_db:+g} dB — "
                            f"<a href='mixer' style='color: {LINK}'>change them in the Mixer</a>")

    def _job_state(self, clip_id: str) -> str | None:
        row = self.generation.state_of(clip_id)
        return None if row is None else row.state


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
