"""The inspector driven like a user: typing, clicking and choosing change the model (undoably)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QToolButton

from audiostudio.audio import autolevel
from audiostudio.audio.autolevel import measure_source
from audiostudio.errors import ContentRefusedError
from audiostudio.generation import takes
from audiostudio.generation.takes import audio_duration
from audiostudio.model import CastEntry, Clip, Project, Request, Track
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.edits import AddClip, RemoveTrack, Scope, SetFields
from audiostudio.model.store import save_project
from audiostudio.providers.base import VoiceOption
from audiostudio.providers.offline.tags import PAUSE_TAGS, STYLE_TAGS
from audiostudio.providers.registry import available_providers
from audiostudio.settings import cache_dir
from audiostudio.ui.document import Document
from audiostudio.ui.generation import GenerationController
from audiostudio.ui.inspector import Inspector
from audiostudio.ui.preview import Preview
from audiostudio.ui.prompt_form import QUICK_TAGS
from audiostudio.ui.theme import apply_dark_theme
from audiostudio.ui.timeline.view import TimelineView
from tests.conftest import SAMPLE_PROJECT
from tests.fakes.providers import FakeProvider

ARTIFACTS = Path(__file__).resolve().parent.parent / "_artifacts" / "ui"


class KeylessProvider(FakeProvider):
    name = "cloud"

    def unavailable_reason(self) -> str:
        return "Needs an API key: add it in Preferences > Providers"


def open_scene(folder: Path, tracks: list[Track], cast: dict | None = None) -> Document:
    folder.mkdir()
    save_project(Project(tracks=tracks, cast=cast or {}), folder)
    document = Document()
    document.open(folder)
    return document


def voice_track(*clips: Clip) -> Track:
    return Track("t", name="Voice", kind="voice", clips=list(clips))


def line_clip(text="[whispering] Nobody knows.", provider="offline", **more) -> Clip:
    return Clip("c1", name="Line 3", request=Request(kind="voice", provider=provider, text=text),
                **more)


@pytest.fixture
def make(qtbot, tmp_path):
    """An inspector on a saved scene, with the offline provider plus the given ones."""
    made: list[GenerationController] = []

    def build(tracks, extra=None, cast=None):
        document = open_scene(tmp_path / f"p{len(made)}", tracks, cast)
        providers = {**available_providers(), **(extra or {})}
        gen = GenerationController(document, tmp_path / "cache", providers,
                                   dict.fromkeys(providers, 2))
        made.append(gen)
        inspector = Inspector(document, gen)
        qtbot.addWidget(inspector)
        inspector.resize(420, 900)
        document.select({tracks[0].clips[0].id} if tracks[0].clips else set())
        return document, gen, inspector

    yield build
    for gen in made:
        gen.close()


def clip_of(document: Document, clip_id: str = "c1") -> Clip:
    return document.project.find_clip(clip_id)[1]


def idle(gen: GenerationController) -> bool:
    return bool(gen.rows) and not any(r.active for r in gen.rows)


def test_clearing_the_name_stores_an_empty_name(make):
    document, _, inspector = make([voice_track(line_clip())])
    name = inspector.clip_form.widgets["name"]
    name.setText("")
    name.editingFinished.emit()
    assert clip_of(document).name == ""
    assert inspector.error.text() == ""


def test_typing_the_line_edits_the_request_undoably(make, qtbot):
    document, _, inspector = make([voice_track(line_clip(text=""))])
    text = inspector.request_form.widgets["text"]
    text.setFocus()
    qtbot.keyClicks(text, "Open it!")
    assert clip_of(document).request.text == "Open it!"
    assert document.undo_stack.count() == 1  # typing merges into one step
    assert document.undo_stack.text(0) == "Line: Line 3"
    document.undo_stack.undo()
    assert clip_of(document).request.text == ""
    assert text.toPlainText() == ""


def test_tag_chips_insert_tags_the_engine_knows(make, qtbot):
    document, _, inspector = make([voice_track(line_clip(text="Hush"))])
    form = inspector.request_form
    assert set(QUICK_TAGS) <= set(STYLE_TAGS) | set(PAUSE_TAGS)
    form.text.moveCursor(form.text.textCursor().MoveOperation.End)
    chip = next(b for b in form.tags.findChildren(QToolButton) if b.text() == "[pause]")
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert clip_of(document).request.text == "Hush [pause] "


def test_choices_show_words_and_undo_says_what_changed(make):
    document, _, inspector = make([voice_track(line_clip())])
    curve: QComboBox = inspector.clip_form.widgets["fade_out_curve"]
    assert [curve.itemText(i) for i in range(curve.count())] == [
        "Linear", "Equal power", "S-curve"]
    assert curve.currentText() == "Equal power"
    curve.setCurrentIndex(0)
    assert clip_of(document).fade_out_curve == "linear"
    assert document.undo_stack.text(0) == "Fade-out curve: Line 3"


def test_wheel_changes_a_spin_box_only_when_it_has_the_focus(make, qtbot):
    document, _, inspector = make([voice_track(line_clip())])
    inspector.show()
    gain = inspector.clip_form.widgets["gain_db"]
    assert gain.focusPolicy() == Qt.FocusPolicy.StrongFocus

    def wheel() -> None:
        centre = QPointF(gain.rect().center())
        event = QWheelEvent(centre, QPointF(gain.mapToGlobal(centre.toPoint())), QPoint(),
                            QPoint(0, 120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(gain, event)

    wheel()
    assert clip_of(document).gain_db == 0.0 and document.undo_stack.count() == 0
    gain.setFocus()
    qtbot.waitUntil(gain.hasFocus)
    wheel()
    assert clip_of(document).gain_db == 0.5  # focused, the same wheel does turn it


def test_the_voice_shows_where_it_comes_from(make):
    cast = {"NARRATOR": CastEntry(voice="flite:rms")}
    document, _, inspector = make([voice_track(line_clip(speaker="NARRATOR"))], cast=cast)
    form = inspector.request_form
    assert form.voice.currentText() == "Ross (cast)"
    assert form.voice_note.text() == "From the cast of NARRATOR" and not form.voice_note.isHidden()
    assert form.speaker.text() == "NARRATOR"
    assert inspector.title.text() == "Voice line: Line 3"
    joe = form.voice.findData("piper:en_US-joe-medium")
    form.voice.setCurrentIndex(joe)
    form.voice.activated.emit(joe)
    assert clip_of(document).request.voice == "piper:en_US-joe-medium"
    assert form.voice.itemText(0) == "(no choice: from the cast of NARRATOR)"
    assert form.voice_note.isHidden()  # chosen here: the list says it all
    assert document.undo_stack.text(0) == "Voice: Line 3"


def test_a_provider_without_a_key_is_listed_disabled_with_how_to_add_it(make):
    _, _, inspector = make([voice_track(line_clip())], extra={"cloud": KeylessProvider()})
    chooser = inspector.request_form.provider
    index = chooser.findData("cloud")
    item = chooser.model().item(index)
    assert not item.isEnabled() and "API key" in item.toolTip()
    assert "Preferences" in inspector.request_form.provider_note.text()
    assert chooser.model().item(chooser.findData("offline")).isEnabled()


def test_seed_dice_and_provider_parameters(make, qtbot):
    document, _, inspector = make([voice_track(line_clip())])
    form = inspector.request_form
    qtbot.mouseClick(form.dice, Qt.MouseButton.LeftButton)
    seed = clip_of(document).request.seed
    assert isinstance(seed, int) and form.seed.value() == seed
    speed = form.param_widgets["speed"]
    assert speed.value() == 1.0  # the provider's declared default
    speed.setValue(1.25)
    assert clip_of(document).request.params == {"offline": {"speed": 1.25}}
    assert form.cost.text() == "free"


def test_generate_button_makes_an_offline_line_ready(make, qtbot):
    document, gen, inspector = make([voice_track(line_clip(text="Hello from the inspector."))])
    form = inspector.request_form
    assert form.state.text() == "Not generated yet"
    qtbot.mouseClick(form.generate_button, Qt.MouseButton.LeftButton)
    assert form.state.text().startswith(("Queued", "Generating"))
    qtbot.waitUntil(lambda: idle(gen), timeout=30000)
    clip = clip_of(document)
    assert clip_state(clip) is ClipState.CURRENT
    audio, _ = sf.read(str(document.folder / clip.source))
    assert np.abs(audio).max() > 0.05
    assert form.state.text() == "Up to date"


def test_a_failing_provider_shows_its_message(make, qtbot):
    fake = FakeProvider(failures=[ContentRefusedError("not allowed here", "fake")])
    document, gen, inspector = make([voice_track(line_clip(provider="fake"))],
                                    extra={"fake": fake})
    form = inspector.request_form
    qtbot.mouseClick(form.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(gen), timeout=10000)
    assert form.state.text().startswith("Failed:") and "not allowed here" in form.state.text()
    assert clip_state(clip_of(document)) is ClipState.EMPTY


def test_picking_a_take_swaps_the_source_and_undo_swaps_back(make, qtbot, monkeypatch):
    document, gen, inspector = make([voice_track(line_clip(provider="fake"))],
                                    extra={"fake": FakeProvider()})
    form = inspector.request_form
    qtbot.mouseClick(form.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(gen), timeout=10000)
    qtbot.mouseClick(form.new_take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(gen) and len(clip_of(document).takes) == 2, timeout=10000)
    first, second = clip_of(document).takes
    assert clip_of(document).source == second.source and form.takes.count() == 2
    # The take's file went: picking it copies it back from the cache, off the GUI thread.
    (document.folder / first.source).unlink()
    probed = []

    def probe(path):
        probed.append(threading.current_thread())
        return audio_duration(path)

    monkeypatch.setattr(takes, "audio_duration", probe)
    steps = document.undo_stack.count()
    form.takes.setCurrentIndex(0)
    form.takes.activated.emit(0)
    assert clip_of(document).take == 1  # not yet: the pool reads the file first
    qtbot.waitUntil(lambda: clip_of(document).take == 0, timeout=5000)
    assert probed and threading.main_thread() not in probed
    clip = clip_of(document)
    assert clip.source == clip.takes[0].source and (document.folder / clip.source).is_file()
    assert clip.source_duration == pytest.approx(0.5)
    assert document.undo_stack.count() == steps + 1
    document.undo_stack.undo()
    clip = clip_of(document)
    assert (clip.take, clip.source) == (1, second.source)
    assert form.takes.currentIndex() == 1


def test_audition_makes_a_sample_of_the_voice(make, qtbot):
    _, _, inspector = make([voice_track(line_clip())])
    form = inspector.request_form
    qtbot.mouseClick(form.audition, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.last_audition is not None, timeout=30000)
    audio, _ = sf.read(str(form.last_audition))
    assert len(audio) > 0 and np.abs(audio).max() > 0.05
    assert "Sample made" in inspector.error.text()


@pytest.fixture
def timeline(qtbot, tmp_path):
    tracks = [Track(f"t-{kind}", name=kind.upper(), kind=kind)
              for kind in ("voice", "sfx", "music", "audio")]
    document = open_scene(tmp_path / "scene", tracks)
    view = TimelineView(document)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    return view


def row_point(view: TimelineView, row: int, x: int = 300) -> QPoint:
    return QPoint(x, round(view.row_top(row) + view.row_height(row) / 2))


@pytest.mark.parametrize(("row", "kind"), [(0, "voice"), (1, "sfx"), (2, "music")])
def test_double_click_on_an_empty_track_spot_adds_a_prompt_of_its_kind(timeline, qtbot, row,
                                                                       kind):
    document = timeline.document
    opened = []
    timeline.clip_activated.connect(opened.append)
    qtbot.mouseDClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=row_point(timeline, row))
    [clip] = document.project.tracks[row].clips
    assert clip.request == Request(kind=kind, provider="offline")
    assert clip.name == "" and clip.start == pytest.approx(timeline.time_at(300))
    assert document.selection == {clip.id} and opened == [clip.id]
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.project.tracks[row].clips == []


def test_double_click_on_an_audio_track_says_why_nothing_was_added(timeline, qtbot):
    messages = []
    timeline.message.connect(messages.append)
    qtbot.mouseDClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=row_point(timeline, 3))
    assert timeline.document.project.tracks[3].clips == [] and "audio track" in messages[0]


def test_generate_track_asks_for_its_empty_and_stale_prompts(timeline):
    first = timeline.add_prompt_clip("t-sfx", 1.0)
    second = timeline.add_prompt_clip("t-sfx", 4.0)
    timeline.add_prompt_clip("t-voice", 1.0)
    asked = []
    timeline.generate_requested.connect(asked.append)
    timeline.generate_track("t-sfx")
    assert asked == [[first, second]]
    timeline.generate_track("t-audio")
    assert len(asked) == 1  # nothing to do there: a message, never "generate everything"


def test_double_clicked_new_clip_focuses_the_line(make, qtbot):
    document, _, inspector = make([voice_track()])
    inspector.show()
    view = TimelineView(document)
    qtbot.addWidget(view)
    view.clip_activated.connect(inspector.focus_text)
    clip_id = view.add_prompt_clip("t", 2.0)
    form = inspector.request_form
    qtbot.waitUntil(form.text.hasFocus)
    assert document.selection == {clip_id}
    qtbot.keyClicks(form.text, "Who is there?")
    assert clip_of(document, clip_id).request.text == "Who is there?"


def test_screenshot_of_a_prompt_clip(make, qtbot):
    cast = {"NARRATOR": CastEntry(voice="piper:en_US-joe-medium")}
    clip = line_clip(text="[whispering] Nobody knows... [pause] [excited] Open it!",
                     speaker="NARRATOR")
    _, _, inspector = make([voice_track(clip)], cast=cast)
    apply_dark_theme(QApplication.instance())  # as the window shows it
    inspector.resize(300, 900)  # the dock's narrowest
    inspector.show()
    qtbot.waitExposed(inspector)
    # everything fits the dock's width: nothing is cut off on the right
    assert inspector.widget().minimumSizeHint().width() <= inspector.viewport().width()
    # the Generation and Clip fields start at one x
    form, clip_form = inspector.request_form, inspector.clip_form
    starts = {w.mapTo(inspector, QPoint(0, 0)).x()
              for w in (form.kind, form.seed, clip_form.widgets["name"],
                        clip_form.widgets["fade_out_curve"], inspector.auto_gain.spin)}
    assert len(starts) == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image = inspector.grab().toImage()
    assert image.save(str(ARTIFACTS / "inspector.png"))
    assert inspector.request_form.voice.currentText() == "Joe (cast)"


def test_a_sample_that_would_cost_is_not_made(make, qtbot):
    fake = FakeProvider()
    _, _, inspector = make([voice_track(line_clip(provider="fake"))], extra={"fake": fake})
    qtbot.mouseClick(inspector.request_form.audition, Qt.MouseButton.LeftButton)
    assert "would cost about 10 credits" in inspector.error.text()
    assert fake.calls == 0 and inspector.request_form.last_audition is None


@pytest.fixture
def sample(qtbot, tmp_path):
    """An inspector on the sample project with nothing selected; its prompt clips' provider is
    a slow fake standing in for "offline", so jobs stay queued or running until cancelled."""
    document = Document()
    document.open(Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene")))
    slow = FakeProvider(work_s=30.0)
    slow.name = "offline"
    gen = GenerationController(document, tmp_path / "cache", {"offline": slow}, {"offline": 1})
    inspector = Inspector(document, gen)
    qtbot.addWidget(inspector)
    yield document, gen, inspector
    gen.close()


def shown_counts(overview) -> dict[str, str]:
    return {state: button.text() for state, button in overview.counts.items()
            if not button.isHidden()}


def test_no_selection_shows_the_project_overview_with_its_clips_by_state(sample, qtbot):
    document, gen, inspector = sample
    overview = inspector.overview
    assert inspector.title.text() == "Project — Sample scene"
    assert not inspector.groups["Overview"].isHidden() and inspector.groups["Clip"].isHidden()
    assert overview.summary.text() == "0:24 long · 3 tracks · 7 clips"
    assert shown_counts(overview) == {"stale": "6 stale  ›", "imported": "1 imported audio  ›"}
    assert "-16 LUFS" in overview.master.text() and "Mixer" in overview.master.text()
    # A count selects its clips.
    qtbot.mouseClick(overview.counts["imported"], Qt.MouseButton.LeftButton)
    assert document.selection == {"c-wind0000001"}
    assert inspector.groups["Overview"].isHidden() and not inspector.groups["Clip"].isHidden()
    document.select(set())
    stale = {c.id for _t, c in document.project.iter_clips() if c.request is not None}
    qtbot.mouseClick(overview.counts["stale"], Qt.MouseButton.LeftButton)
    assert document.selection == stale
    document.select(set())
    # "Generate all stale" queues a job per stale clip, as the window's command does.
    assert overview.generate_button.text() == "Generate all stale (6)"
    qtbot.mouseClick(overview.generate_button, Qt.MouseButton.LeftButton)
    assert {row.clip_id for row in gen.rows} == stale and all(r.active for r in gen.rows)
    assert shown_counts(overview) == {"busy": "6 queued or generating  ›",
                                      "imported": "1 imported audio  ›"}
    assert not overview.generate_button.isEnabled()
    gen.cancel_all()
    qtbot.waitUntil(lambda: not any(r.active for r in gen.rows), timeout=10000)
    assert shown_counts(overview)["stale"] == "6 stale  ›"


def test_an_empty_project_overview_says_how_to_start(make):
    document, _gen, inspector = make([Track("t", kind="voice")])
    overview = inspector.overview
    assert shown_counts(overview) == {} and overview.generate_button.isHidden()
    assert "Add Voice Track" not in overview.hints.text()
    document.apply(RemoveTrack("t"), "Remove")
    assert overview.summary.text() == "0:00 long · 0 tracks · 0 clips"
    assert overview.hints.text().startswith("• Start with a track: Track > Add Voice Track")


def test_the_overview_counts_failed_empty_and_ready_clips(make, qtbot):
    fake = FakeProvider(fail_prompts={"broken": ContentRefusedError("not allowed", "fake")})
    clips = [Clip(f"c{i}", start=2.0 * i, request=Request(kind="sfx", provider="fake",
                                                          prompt=prompt))
             for i, prompt in enumerate(["door", "broken", "rain"])]
    document, gen, inspector = make([Track("t", kind="sfx", clips=clips)], extra={"fake": fake})
    document.select(set())
    overview = inspector.overview
    assert shown_counts(overview) == {"empty": "3 empty  ›"}
    gen.generate(["c0", "c1"])
    qtbot.waitUntil(lambda: idle(gen), timeout=10000)
    assert shown_counts(overview) == {"failed": "1 failed  ›", "empty": "1 empty  ›",
                                      "ready": "1 ready  ›"}
    qtbot.mouseClick(overview.counts["failed"], Qt.MouseButton.LeftButton)
    assert document.selection == {"c1"}
    assert "not allowed" in inspector.request_form.state.text()


def kind_items(form) -> dict[str, tuple[bool, str]]:
    """Request kind: (offered, tooltip) in the Kind list."""
    model = form.kind.model()
    return {form.kind.itemData(i): (model.item(i).isEnabled(), model.item(i).toolTip())
            for i in range(form.kind.count())}


def test_a_clip_on_an_sfx_track_offers_no_voice_kind(make):
    clip = Clip("c1", request=Request(kind="sfx", provider="offline", prompt="door"))
    _document, _gen, inspector = make([Track("t", kind="sfx", clips=[clip])])
    form = inspector.request_form
    items = kind_items(form)
    assert items["sfx"] == (True, "")
    for kind in ("voice", "music"):
        offered, why = items[kind]
        assert not offered and why.startswith("This is a sound-effects track")
    assert form.kind_note.isHidden()


def test_a_voice_line_on_an_sfx_track_says_why_and_moves_to_its_kind(make):
    clip = Clip("c1", request=Request(kind="voice", provider="offline", text="Hi"))
    document, _gen, inspector = make([Track("t", kind="sfx", clips=[clip])])
    form = inspector.request_form
    assert kind_items(form)["voice"][0] and not kind_items(form)["music"][0]
    assert not form.kind_note.isHidden()
    assert "put a voice line on a voice track" in form.kind_note.text()
    form.kind.setCurrentIndex(form.kind.findData("sfx"))
    form.kind.activated.emit(form.kind.currentIndex())
    assert clip_of(document).request.kind == "sfx" and form.kind_note.isHidden()
    assert not kind_items(form)["voice"][0]  # once moved, not offered again here


def test_an_audio_track_offers_every_kind(make):
    clip = Clip("c1", request=Request(kind="music", provider="offline", prompt="bed"))
    _document, _gen, inspector = make([Track("t", kind="audio", clips=[clip])])
    assert all(offered for offered, _ in kind_items(inspector.request_form).values())


def test_a_dropped_voice_is_named_in_words_with_what_to_do(make):
    dropped = Clip("c1", request=Request(kind="voice", provider="offline", text="Hi",
                                         voice="espeak:en-us+m3"))
    unknown = Clip("c2", start=5.0, speaker="MAYA",
                   request=Request(kind="voice", provider="offline", text="Hello"))
    cast = {"MAYA": CastEntry(voice="gone:voice")}
    document, _gen, inspector = make([voice_track(dropped, unknown)], cast=cast)
    form = inspector.request_form
    assert form.voice.currentText() == "'espeak:en-us+m3' (no longer offered)"
    assert form.voice_note.text() == ("Voice 'espeak:en-us+m3' is no longer offered by Offline: "
                                      "it now reads as Ross. Pick a voice to choose another")
    assert not form.voice_note.isHidden()
    document.select({"c2"})  # the cast's voice is the one gone
    assert form.voice.currentText() == "'gone:voice' (no longer offered) (cast)"
    assert form.voice_note.text() == "Voice 'gone:voice' is no longer offered by Offline — pick " \
                                     "another"
    # Picking a listed voice clears the warning.
    form.voice.setCurrentIndex(form.voice.findData("flite:slt"))
    form.voice.activated.emit(form.voice.currentIndex())
    assert clip_of(document, "c2").request.voice == "flite:slt" and form.voice_note.isHidden()
    # An eSpeak voice given by its id (not listed, spoken as it is) is no problem.
    document.apply(SetFields("c2", {"request": Request(kind="voice", provider="offline",
                                                       text="Hello", voice="espeak:en-us+f5")}),
                   "Voice")
    document.select({"c2"})
    assert form.voice.currentText() == "'espeak:en-us+f5'" and form.voice_note.isHidden()
    form.voice.setCurrentIndex(0)  # back to the cast, whose voice went
    form.voice.activated.emit(0)
    assert "no longer offered" in form.voice_note.text()


class HalfInstalled(FakeProvider):
    """Two engines, one of them not installed here."""

    name = "half"
    MISSING = "Eng is not installed (pip install eng)"

    def voices(self):
        return [VoiceOption("eng:ann", "Ann", "en-US", engine="eng", unavailable=self.MISSING),
                VoiceOption("other:bob", "Bob", "en-US", engine="other")]

    def default_voice(self):
        return "eng:ann"


def test_voices_of_an_engine_not_installed_are_disabled_with_the_reason(make):
    _document, _gen, inspector = make([voice_track(line_clip(provider="half"))],
                                      extra={"half": HalfInstalled()})
    form = inspector.request_form
    model = form.voice.model()
    rows = {form.voice.itemText(i).strip(): model.item(i) for i in range(form.voice.count())}
    assert not rows["Ann"].isEnabled() and rows["Ann"].toolTip() == HalfInstalled.MISSING
    assert rows["Bob"].isEnabled()
    assert "— Eng · en-US (not installed) —" in rows and "— Other · en-US —" in rows
    assert form.voice_note.text() == f"Voice 'Ann' cannot speak here: {HalfInstalled.MISSING}"
    assert not form.audition.isEnabled() and form.audition.toolTip() == HalfInstalled.MISSING


def test_the_overview_shows_the_delivered_loudness_and_a_screenshot(sample, qtbot):
    document, _gen, inspector = sample
    preview = Preview(document, cache_dir(), device="none")
    try:
        inspector.overview.follow_loudness(preview)
        qtbot.waitUntil(lambda: not preview.measuring, timeout=20000)
    finally:
        preview.close()
    assert "delivered at -16.0 LUFS (target -16" in inspector.overview.loudness.text()
    apply_dark_theme(QApplication.instance())
    inspector.resize(300, 700)
    inspector.show()
    qtbot.waitExposed(inspector)
    assert inspector.widget().minimumSizeHint().width() <= inspector.viewport().width()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert inspector.grab().toImage().save(str(ARTIFACTS / "inspector-overview.png"))


def test_a_clips_loudness_is_measured_off_the_gui_thread(make, qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIOSTUDIO_CACHE_DIR", str(tmp_path / "fresh-cache"))  # none measured
    document, _gen, inspector = make([Track("t", kind="sfx", clips=[])])
    rate = document.project.sample_rate_hz
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(2 * rate) / rate)
    sf.write(str(document.folder / "tone.wav"), tone, rate)
    document.apply(SetFields(Scope.MIX, {"auto_level": {"enabled": True}}), "Auto-level")
    document.apply(AddClip("t", Clip("a1", source="tone.wav", source_duration=2.0)), "Add")
    measured = []

    def measure(source, at_rate):
        measured.append(threading.current_thread())
        return measure_source(source, at_rate)

    monkeypatch.setattr(autolevel, "measure_source", measure)
    document.select({"a1"})
    row = inspector.auto_gain
    assert row.note.text() == "Measuring its loudness…"
    qtbot.waitUntil(lambda: "integrated" in row.note.text(), timeout=10000)
    assert measured and threading.main_thread() not in measured
    # -23 dBFS RMS sine: about -20 LUFS (K-weighting lifts 440 Hz a little)
    assert "Measured -2" in row.note.text()
    inspector.refresh()  # from the cache now: not measured again
    assert len(measured) == 1
