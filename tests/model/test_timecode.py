"""Timecode labels on the frame grid, and the project's start_timecode in the loader."""

from __future__ import annotations

import pytest

from audiostudio.errors import ProjectFormatError
from audiostudio.model import FrameRate
from audiostudio.model.schema import project_from_dict, project_to_dict
from audiostudio.model.timecode import format_frames, label_at, parse, seconds_of

DF_2997 = FrameRate(30000, 1001, drop_frame=True)
NDF_2997 = FrameRate(30000, 1001)


def test_drop_frame_skips_two_labels_each_minute_but_each_tenth() -> None:
    assert format_frames(1799, DF_2997) == "00:00:59;29"
    assert format_frames(1800, DF_2997) == "00:01:00;02"  # ;00 and ;01 do not exist
    assert format_frames(17982, DF_2997) == "00:10:00;00"  # every tenth minute keeps them
    assert parse("01:00:00;00", DF_2997) == 107892  # an hour of labels is an hour of clock
    assert abs(seconds_of(107892, DF_2997) - 3600.0) < 0.004
    assert parse("01:00:00:00", NDF_2997) == 108000  # non-drop: 3.6 s longer than the clock
    assert format_frames(3600, FrameRate(60000, 1001, True)) == "00:01:00;04"


@pytest.mark.parametrize("rate", [DF_2997, FrameRate(60000, 1001, True), NDF_2997,
                                  FrameRate(25), FrameRate(24000, 1001)])
def test_every_label_of_a_day_reads_back_as_its_frame(rate: FrameRate) -> None:
    day = parse("23:59:59:00", rate) + 10
    for frames in range(0, day, 997):
        assert parse(format_frames(frames, rate), rate) == frames


def test_label_at_counts_from_the_start_timecode() -> None:
    assert label_at(0.0, FrameRate(25), "01:00:00:00") == "01:00:00:00"
    assert label_at(1.0 + 3 / 25, FrameRate(25), "01:00:00:00") == "01:00:01:03"
    assert label_at(60.06, DF_2997, None) == "00:01:00;02"  # 1800 frames in


@pytest.mark.parametrize(("text", "rate", "says"), [
    ("01:00:00:25", FrameRate(25), "frame 25"),
    ("00:01:00;01", DF_2997, "skips"),
    ("1:00:00:00", FrameRate(25), "HH:MM:SS:FF"),
])
def test_bad_timecodes_are_refused_with_the_reason(text: str, rate: FrameRate, says: str) -> None:
    with pytest.raises(ProjectFormatError, match=says):
        parse(text, rate)


def test_project_start_timecode_loads_saves_and_is_checked_against_the_grid() -> None:
    base = {"format": "audiostudio-project", "version": 1,
            "frame_rate": {"num": 30000, "den": 1001, "drop_frame": True}}
    project = project_from_dict({**base, "start_timecode": "00:59:58;10"})
    assert project.start_timecode == "00:59:58;10"
    assert project_to_dict(project)["start_timecode"] == "00:59:58;10"
    assert project_from_dict({"format": "audiostudio-project", "version": 1}).start_timecode is None
    with pytest.raises(ProjectFormatError, match=r"^start_timecode: .*skips"):
        project_from_dict({**base, "start_timecode": "00:01:00;00"})
    with pytest.raises(ProjectFormatError, match=r"^frame_rate.drop_frame: .*29.97 and 59.94"):
        project_from_dict({"format": "audiostudio-project", "version": 1,
                           "frame_rate": {"num": 25, "drop_frame": True}})
