"""Generation from the window: background jobs with progress, cancel, retry, errors per clip."""

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from audiostudio.errors import ContentRefusedError
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.edits import SetFields
from audiostudio.model.store import save_project
from audiostudio.providers.registry import available_providers
from audiostudio.ui.document import Document
from audiostudio.ui.generation import GenerationController
from tests.fakes.providers import FakeProvider


def scene(folder: Path, texts=("One", "Two", "Three"), provider="fake") -> Document:
    folder.mkdir()
    project = Project(tracks=[Track("t", kind="voice", clips=[
        Clip(f"c{i}", name=f"Line {i}", start=float(i * 2),
             request=Request(kind="voice", provider=provider, text=text))
        for i, text in enumerate(texts)])])
    save_project(project, folder)
    document = Document()
    document.open(folder)
    return document


@pytest.fixture
def controller(tmp_path):
    made = []

    def make(document, providers, limits=None):
        gen = GenerationController(document, tmp_path / "cache", providers,
                                   limits or dict.fromkeys(providers, 2))
        made.append(gen)
        return gen

    yield make
    for gen in made:
        gen.close()


def done(gen: GenerationController) -> bool:
    return bool(gen.rows) and not any(r.active for r in gen.rows)


def test_generates_in_the_background_and_the_ui_keeps_turning(qtbot, tmp_path, controller):
    document = scene(tmp_path / "p")
    fake = FakeProvider(work_s=0.5)
    gen = controller(document, {"fake": fake})
    turns = []
    ticker = QTimer()
    ticker.timeout.connect(lambda: turns.append(1))
    ticker.start(5)
    rows = gen.generate()
    assert [r.state for r in rows] == ["queued"] * 3
    qtbot.waitUntil(lambda: any(r.state == "running" for r in rows), timeout=3000)
    qtbot.waitUntil(lambda: done(gen), timeout=10000)
    ticker.stop()
    assert len(turns) > 60  # ~1 s of work: the event loop ran every few ms throughout
    assert [r.state for r in rows] == ["done"] * 3 and fake.calls == 3
    for _, clip in document.project.iter_clips():
        assert clip_state(clip) is ClipState.CURRENT
        assert (document.folder / clip.source).is_file()
    assert document.undo_stack.count() == 3  # one undoable step per generated clip
    assert document.undo_stack.text(0).startswith("Generate: Line")
    assert gen.spent() == {"credits": 30.0}
    document.undo_stack.undo()
    assert clip_state(document.project.find_clip(rows[-1].clip_id)[1]) is ClipState.EMPTY


def test_offline_provider_generates_a_real_line(qtbot, tmp_path, controller):
    document = scene(tmp_path / "p", texts=("Hello from the window.",), provider="offline")
    gen = controller(document, available_providers())
    gen.generate()
    qtbot.waitUntil(lambda: done(gen), timeout=30000)
    clip = document.project.find_clip("c0")[1]
    assert gen.rows[0].state == "done", gen.rows[0].message
    assert clip.duration > 0.5 and (document.folder / clip.source).is_file()


def test_a_failing_clip_shows_its_error_and_keeps_the_others(qtbot, tmp_path, controller):
    document = scene(tmp_path / "p")
    fake = FakeProvider(fail_prompts={"Two": ContentRefusedError("not allowed here")})
    gen = controller(document, {"fake": fake})
    with qtbot.waitSignal(gen.message, timeout=5000) as note:
        gen.generate()
        qtbot.waitUntil(lambda: done(gen), timeout=5000)
    states = {r.clip_id: r.state for r in gen.rows}
    assert states == {"c0": "done", "c1": "failed", "c2": "done"}
    assert "not allowed here" in gen.state_of("c1").message and "Line 1" in note.args[0]
    fake.fail_prompts.clear()
    again = gen.retry(gen.state_of("c1"))
    qtbot.waitUntil(lambda: again.state == "done", timeout=5000)
    assert clip_state(document.project.find_clip("c1")[1]) is ClipState.CURRENT


def test_cancel_a_queued_and_a_running_job(qtbot, tmp_path, controller):
    document = scene(tmp_path / "p", texts=("One", "Two"))
    fake = FakeProvider(work_s=5.0)
    gen = controller(document, {"fake": fake}, limits={"fake": 1})
    running, queued = gen.generate()
    qtbot.waitUntil(lambda: running.state == "running", timeout=3000)
    gen.cancel(queued)
    assert queued.state == "cancelled"  # at once: it never started
    gen.cancel(running)
    qtbot.waitUntil(lambda: running.state == "cancelled", timeout=2000)
    assert fake.calls == 1 and document.undo_stack.count() == 0


def test_an_empty_line_is_an_error_on_the_clip_not_a_call(qtbot, tmp_path, controller):
    document = scene(tmp_path / "p", texts=("",))
    fake = FakeProvider()
    gen = controller(document, {"fake": fake})
    (row,) = gen.generate()
    assert row.state == "failed" and "no text yet" in row.message and fake.calls == 0


def test_a_clip_edited_meanwhile_keeps_its_new_words(qtbot, tmp_path, controller):
    document = scene(tmp_path / "p", texts=("One",))
    gen = controller(document, {"fake": FakeProvider(work_s=0.3)})
    (row,) = gen.generate()
    document.apply(SetFields("c0", {"request": {"kind": "voice", "provider": "fake",
                                                "text": "Changed"}}), "Edit text")
    qtbot.waitUntil(lambda: done(gen), timeout=5000)
    assert row.state == "done" and "cache" in row.message
    clip = document.project.find_clip("c0")[1]
    assert clip.request.text == "Changed" and clip.source is None


def test_a_request_back_to_an_older_take_gets_that_take_again_without_a_call(
        qtbot, tmp_path, controller):
    document = scene(tmp_path / "p", texts=("One",))
    fake = FakeProvider()
    gen = controller(document, {"fake": fake})
    gen.generate()
    qtbot.waitUntil(lambda: done(gen), timeout=5000)
    first = document.project.find_clip("c0")[1].source
    request = {"kind": "voice", "provider": "fake", "text": "One"}
    document.apply(SetFields("c0", {"request": {**request, "text": "Two"}}), "Edit text")
    gen.generate()
    qtbot.waitUntil(lambda: done(gen), timeout=5000)
    assert fake.calls == 2
    document.apply(SetFields("c0", {"request": request}), "Edit text back")
    (row,) = gen.generate()
    qtbot.waitUntil(lambda: done(gen), timeout=5000)  # the take's file is read on the pool
    assert row.state == "done" and "Reused take 1" in row.message
    clip = document.project.find_clip("c0")[1]
    assert fake.calls == 2 and clip.take == 0 and clip.source == first
    assert clip_state(clip) is ClipState.CURRENT

    # Cancelled while its take's file is read: the row ends at once, the take is not applied.
    document.apply(SetFields("c0", {"request": {**request, "text": "Two"}}), "Edit text")
    steps = document.undo_stack.count()
    (row,) = gen.generate()
    assert row.active and row.job is None  # reusing take 2, on the pool
    gen.cancel(row)
    assert row.state == "cancelled"
    gen.close()  # the pool's work is done
    qtbot.wait(50)  # its answer, on the GUI thread, finds the row ended
    clip = document.project.find_clip("c0")[1]
    assert clip.take == 0 and document.undo_stack.count() == steps and fake.calls == 2
