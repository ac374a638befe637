"""Re-flow: after generation, lines take their real lengths and what follows them moves."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest

from audiostudio.generation.batch import generate_clips
from audiostudio.generation.cache import AssetCache
from audiostudio.generation.service import GenerationService
from audiostudio.model import Project, Request
from audiostudio.model.edits import Compound, DuplicateClip, SetFields, apply
from audiostudio.model.reflow import overlapping_lines, reflow_edit
from audiostudio.model.request import canonical_json, request_hash
from audiostudio.model.schema import project_to_dict, to_json
from audiostudio.model.store import save_project
from audiostudio.script import ImportOptions, parse_script, plan_import

GAP = 0.5
SCENE = """A: One.
[SFX: click]
[SFX: knock +0.5s ~1s]
B: Two two two.
[SFX: bell] @ 1s ~0.5s
[MUSIC: pads ~8s]
A: Three three.
[MUSIC END]
INT. HALL
B: Four.
"""


def scene(providers, text: str = SCENE, **voices: str) -> tuple[Project, dict]:
    project = Project(name="scene")
    apply(project, plan_import(parse_script(text, "s.txt"), project, providers,
                               ImportOptions(gap=GAP, voices=voices)).edit)
    clips = {(c.request.text or c.request.prompt): c for _, c in project.iter_clips()}
    return project, clips


def set_lengths(project: Project, lengths: list[tuple]) -> None:
    """What generation does to voice lines: their duration becomes the audio's."""
    apply(project, Compound(tuple(SetFields(c.id, {"duration": n}) for c, n in lengths)))


def test_reflow_moves_what_follows_a_line_and_keeps_pinned_cues(providers) -> None:
    project, clips = scene(providers)
    one, two, three, four = (clips[k] for k in ("One.", "Two two two.", "Three three.",
                                                "Four."))
    set_lengths(project, [(one, 3.0), (two, 0.5), (three, 4.0), (four, 1.0)])
    assert overlapping_lines(project)  # one now runs into two
    before = project_to_dict(project)

    undo = apply(project, reflow_edit(project)).undo

    assert one.start == 0.0 and two.start == pytest.approx(3.0 + GAP)
    assert three.start == pytest.approx(two.end + GAP)
    assert four.start == pytest.approx(three.end + GAP)
    assert clips["click"].start == pytest.approx(3.0)  # where its line ends
    assert clips["knock"].start == pytest.approx(3.5)  # +0.5 s after it
    assert clips["bell"].start == 1.0  # @ stays put
    pads = clips["pads"]
    assert (pads.start, pads.end) == (pytest.approx(two.end), pytest.approx(three.end))
    assert pads.fade_in + pads.fade_out <= pads.duration
    assert project.markers[0].time == pytest.approx(three.end)
    assert overlapping_lines(project) == []
    assert reflow_edit(project) is None  # nothing left to move

    apply(project, undo)
    assert project_to_dict(project) == before


def test_locked_clips_and_copies_stay_where_they_are(providers) -> None:
    project, clips = scene(providers, "A: One.\nB: Two.\nA: Three.\n")
    one, two, three = (clips[k] for k in ("One.", "Two.", "Three."))
    apply(project, SetFields(two.id, {"locked": True, "start": 20.0}))
    copy = DuplicateClip(one.id, new_start=40.0)
    apply(project, copy)
    set_lengths(project, [(one, 2.0)])
    apply(project, reflow_edit(project))
    assert two.start == 20.0 and three.start == pytest.approx(two.end + GAP)
    assert project.find_clip(copy.copy_id)[1].start == 40.0


def test_offline_generation_then_reflow_leaves_no_overlaps(providers, tmp_path) -> None:
    text = ("A: Hello there.\n[SFX: door knock ~0.5s]\n"
            "B: Yes, what is it, at this late hour of the night? ~3s\nA: Nothing.\n")
    # Flite voices: Piper's model takes seconds to load on a busy machine.
    project, clips = scene(providers, text, A="flite:slt", B="flite:rms")
    folder = tmp_path / "p"
    save_project(project, folder)
    with ThreadPoolExecutor(max_workers=2) as pool:
        service = GenerationService(providers, pool, AssetCache(tmp_path / "cache"))
        result = generate_clips(service, project, folder)
    assert not result.failed and len(result.succeeded) == 4
    lines = [clips[k] for k in ("Hello there.", "Yes, what is it, at this late hour of the "
                                "night?", "Nothing.")]
    # Lines now last as long as their audio, which is not what the text estimated: the
    # layout made from the estimates is off until re-flowed.
    assert all(c.duration == pytest.approx(c.source_duration) for c in lines)
    assert lines[1].request.fit and lines[1].duration == pytest.approx(3.0, rel=0.02)
    assert any(after.start != pytest.approx(before.end + GAP)
               for before, after in pairwise(lines))
    apply(project, reflow_edit(project))
    assert overlapping_lines(project) == []
    for before, after in pairwise(lines):
        assert after.start == pytest.approx(before.end + GAP)
    assert clips["door knock"].start == pytest.approx(lines[0].end)


def test_a_request_without_fit_hashes_as_before_the_key_existed() -> None:
    request = Request("voice", text="Hello.")
    written_before = {k: v for k, v in to_json(request).items() if k != "fit"}
    digest = hashlib.sha256(canonical_json(written_before).encode("utf-8")).hexdigest()
    assert request_hash(request) == digest  # old takes stay current
    assert request_hash(Request("voice", text="Hello.", fit=True, duration=2.0)) != \
        request_hash(Request("voice", text="Hello.", duration=2.0))
