"""The Jobs dock with a provider that fails, then succeeds: cancel, retry, the session's cost."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from audiostudio.errors import QuotaExceededError, ServiceError
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.ui.generation import GenerationController
from audiostudio.ui.jobs_dock import JobsDock
from tests.fakes.providers import FakeProvider
from tests.ui.test_generation import done, scene


@pytest.fixture
def dock_for(qtbot, tmp_path):
    made = []

    def make(texts, fake, limits=None):
        document = scene(tmp_path / f"p{len(made)}", texts=texts)
        gen = GenerationController(document, tmp_path / "cache", {"fake": fake},
                                   limits or {"fake": 2})
        made.append(gen)
        dock = JobsDock(gen)
        qtbot.addWidget(dock)
        return document, gen, dock

    yield make
    for gen in made:
        gen.close()


def cells(dock: JobsDock) -> list[list[str]]:
    return [[dock.table.item(i, c).text() for c in range(dock.table.columnCount())]
            for i in range(dock.table.rowCount())]


def click(qtbot, button) -> None:
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_retry_runs_a_failed_line_again_once_and_counts_what_it_cost(qtbot, dock_for):
    fake = FakeProvider(failures=[QuotaExceededError("out of credits", "fake")], work_s=0.3)
    document, gen, dock = dock_for(("One", "Two"), fake, limits={"fake": 1})
    gen.generate()
    qtbot.waitUntil(lambda: done(gen), timeout=10000)
    assert sorted(r.state for r in gen.rows) == ["done", "failed"]
    assert dock.summary.text() == "1 done · 1 failed — spent this session: 10 credits"
    failed = next(i for i, row in enumerate(cells(dock)) if row[2] == "Failed")
    assert "out of credits" in cells(dock)[failed][3]
    retried = next(r for r in gen.rows if r.state == "failed")
    dock.table.selectRow(failed)
    click(qtbot, dock.retry_button)
    assert not dock.retry_button.isEnabled()  # the row runs again: a second click cannot pay
    assert cells(dock)[0][2] in ("Queued", "Generating")  # on top: the clip's latest job
    assert gen.state_of(retried.clip_id) is retried and retried.active
    qtbot.mouseClick(dock.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: done(gen), timeout=10000)
    assert fake.calls == 3 and len(gen.rows) == 2  # the retried row, not a new one
    assert [row[2:] for row in cells(dock)] == [["Done", "10 credits"]] * 2
    assert dock.summary.text() == "2 done — spent this session: 20 credits"
    for _, clip in document.project.iter_clips():
        assert clip_state(clip) is ClipState.CURRENT and len(clip.takes) == 1


def test_a_retried_service_error_says_so_while_it_waits(qtbot, dock_for):
    fake = FakeProvider(failures=[ServiceError("the service failed (HTTP 500)", "fake")])
    _, gen, dock = dock_for(("One",), fake)
    (row,) = gen.generate()
    qtbot.waitUntil(lambda: "Trying again" in cells(dock)[0][3], timeout=5000)
    assert cells(dock)[0][2] == "Generating" and "HTTP 500" in cells(dock)[0][3]
    qtbot.waitUntil(lambda: done(gen), timeout=10000)
    assert row.state == "done" and row.message == "" and fake.calls == 2
    assert dock.summary.text() == "1 done — spent this session: 10 credits"


def test_cancel_stops_all_and_retry_brings_back_the_cancelled_ones(qtbot, dock_for):
    fake = FakeProvider(work_s=5.0)
    _, gen, dock = dock_for(("One", "Two"), fake, limits={"fake": 1})
    gen.generate()
    qtbot.waitUntil(lambda: any(r.state == "running" for r in gen.rows), timeout=5000)
    click(qtbot, dock.cancel_button)  # nothing selected: every running and queued job
    qtbot.waitUntil(lambda: done(gen), timeout=5000)
    assert [r.state for r in gen.rows] == ["cancelled"] * 2 and fake.calls == 1
    assert not dock.cancel_button.isEnabled()
    assert dock.summary.text() == "2 cancelled — spent this session: nothing"
    fake.work_s = 0.0
    dock.table.selectAll()
    click(qtbot, dock.retry_button)
    qtbot.waitUntil(lambda: done(gen), timeout=10000)
    assert [r.state for r in gen.rows] == ["done"] * 2 and fake.calls == 3
    assert dock.summary.text() == "2 done — spent this session: 20 credits"
