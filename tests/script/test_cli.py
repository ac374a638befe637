"""`audiostudio new PROJECT --from-script FILE`: end to end, and refusals that leave nothing."""

from __future__ import annotations

import soundfile as sf

from audiostudio.cli import main
from audiostudio.model.edits import MoveClip, apply
from audiostudio.model.hand_edits import ByHand
from audiostudio.model.reflow import overlapping_lines
from audiostudio.model.store import load_project, save_project

SCRIPT = """INT. KITCHEN - DAY
A (cheerfully): Morning!
[SFX: cup set down on a table ~0.4s]
B: Is it?
"""
VOICES = ["--voice", "A=flite:slt", "--voice", "b=flite:rms"]


def test_new_from_script_generates_reflows_and_renders(tmp_path, capsys) -> None:
    script = tmp_path / "kitchen.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    folder, out = tmp_path / "kitchen", tmp_path / "out"
    status = main(["new", str(folder), "--from-script", str(script), *VOICES, "--gap", "0.3",
                   "--render", str(out)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "2 voice line(s) by 2 speaker(s)" in printed and "Re-flowed" in printed

    project = load_project(folder).project
    assert [t.name for t in project.tracks] == ["A", "B", "SFX"]
    assert {k: e.voice for k, e in project.cast.items()} == {"A": "flite:slt",
                                                             "B": "flite:rms"}
    first, second = project.tracks[0].clips[0], project.tracks[1].clips[0]
    assert first.request.text == "[cheerfully] Morning!"
    assert all(c.source and c.take == 0 for _, c in project.iter_clips())
    assert first.duration == first.source_duration  # real lengths, then laid out again
    assert abs(second.start - (first.end + 0.3)) < 1e-6 and overlapping_lines(project) == []
    assert project.markers[0].label == "INT. KITCHEN - DAY"
    info = sf.info(str(out / "mix.wav"))
    assert abs(info.duration - project.timeline_length()) < 0.01
    assert (out / "stems" / "03-sfx.wav").exists()


def test_a_refused_script_creates_nothing(tmp_path, capsys) -> None:
    script = tmp_path / "bad.txt"
    script.write_bytes(b"A: Hi.\r\n[MUSIC END]\r\n")
    folder = tmp_path / "bad"
    assert main(["new", str(folder), "--from-script", str(script)]) == 1
    assert "error: bad.txt:2: [MUSIC END] but no music cue is playing" in capsys.readouterr().err
    assert not folder.exists()


def test_unknown_voice_is_a_clear_error(tmp_path, capsys) -> None:
    script = tmp_path / "s.txt"
    script.write_text("A: Hi.\n", encoding="utf-8")
    assert main(["new", str(tmp_path / "p"), "--from-script", str(script), "--voice",
                 "A=nobody"]) == 1
    assert "unknown voice “nobody”" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_script_options_need_a_script(tmp_path, capsys) -> None:
    assert main(["new", str(tmp_path / "p"), "--narration-track"]) == 1
    assert "need --from-script" in capsys.readouterr().err


def test_reflow_command_on_a_fresh_import(tmp_path, capsys) -> None:
    script = tmp_path / "s.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    assert main(["new", str(tmp_path / "p"), "--from-script", str(script)]) == 0
    assert main(["reflow", str(tmp_path / "p")]) == 0
    assert capsys.readouterr().out.rstrip().endswith("Nothing to re-flow")


def test_reflow_keeps_a_line_moved_by_hand_unless_told_to_forget_moves(tmp_path, capsys) -> None:
    script = tmp_path / "s.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    folder = tmp_path / "p"
    assert main(["new", str(folder), "--from-script", str(script)]) == 0
    project = load_project(folder).project
    line = project.tracks[1].clips[0]  # B: Is it?
    placed = line.start
    apply(project, ByHand(MoveClip(line.id, placed + 5.0)))  # as the window's drag does
    save_project(project, folder)

    assert main(["reflow", str(folder)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("Nothing to re-flow")
    assert load_project(folder).project.tracks[1].clips[0].start == placed + 5.0
    assert main(["reflow", str(folder), "--forget-moves"]) == 0
    back = load_project(folder).project.tracks[1].clips[0]
    assert back.start == placed and "moved" not in back.script
