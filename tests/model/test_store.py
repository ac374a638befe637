from __future__ import annotations

import copy
import errno
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

import audiostudio
from audiostudio.errors import (
    ProjectError,
    ProjectFormatError,
    ProjectNotFoundError,
    UnsupportedVersionError,
)
from audiostudio.model import store
from audiostudio.model.assets import import_asset, resolve_path
from audiostudio.model.project import Clip, Duck, Mix, Project, Track
from audiostudio.model.schema import project_from_dict, project_to_dict
from audiostudio.model.store import (
    load_autosave,
    load_project,
    new_project,
    save_autosave,
    save_project,
)
from tests.model.conftest import rich_dict

MINIMAL = {"format": "audiostudio-project", "version": 1}


def without_save_stamp(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("revision", "app_version")}


# --- round trip and defaults ------------------------------------------------------------------
def test_round_trip_keeps_everything_including_unknown_keys(project_folder: Path) -> None:
    first = load_project(project_folder).project
    save_project(first, project_folder)
    second = load_project(project_folder).project
    assert without_save_stamp(project_to_dict(second)) == without_save_stamp(project_to_dict(first))
    assert second.revision == first.revision == 1

    written = json.loads((project_folder / "project.json").read_text("utf-8"))
    clip = written["tracks"][0]["clips"][0]
    assert written["x_project"] == {"nested": [1, 2, {"deep": True}]}
    assert written["frame_rate"]["x_fr"] == 1
    assert written["cast"]["NARRATOR"]["x_cast"] == "kept"
    assert "x_mix" in written["mix"] and written["mix"]["x_mix"] is None
    assert written["mix"]["duck"]["x_duck"] == "kept"
    assert written["markers"][0]["x_marker"] == 7
    assert written["tracks"][0]["x_track"] == {"a": "b"}
    assert clip["x_clip"] == ["kept", 1.5]
    assert clip["request"]["x_request"] == "kept"
    assert clip["takes"][0]["x_take"] == "kept"
    assert clip["takes"][0]["request"]["x_take_request"] == 1
    assert clip["takes"][0]["cost"]["x_cost"] == 1


def test_every_value_of_the_source_file_survives(project_folder: Path, asset_path: str) -> None:
    """Each key written by hand comes back with the same value (ints may become floats)."""
    original = rich_dict(asset_path)
    project = load_project(project_folder).project
    written = project_to_dict(project)

    def contained(sub: Any, full: Any, where: str) -> None:
        if isinstance(sub, dict):
            for key, value in sub.items():
                contained(value, full[key], f"{where}.{key}")
        elif isinstance(sub, list):
            assert len(sub) == len(full), where
            for i, (a, b) in enumerate(zip(sub, full, strict=True)):
                contained(a, b, f"{where}[{i}]")
        else:
            same_type = type(sub) is type(full) or (type(sub), type(full)) == (int, float)
            assert sub == full and same_type, where

    contained(original, written, "")


def test_defaults_from_a_minimal_file() -> None:
    project = project_from_dict(copy.deepcopy(MINIMAL), folder_name="My Scene")
    assert project.name == "My Scene"
    assert project.sample_rate_hz == 48000
    assert project.min_reader_version == 1
    assert project.revision == 0
    assert project.frame_rate is None and project.length is None
    assert project.tracks == [] and project.markers == [] and project.cast == {}
    assert project.mix == Mix()
    assert project.mix.duck == Duck(
        depth_db=-12.0, threshold_db=-30.0, attack_ms=80, release_ms=500, hold_ms=300
    )
    assert project.mix.target_lufs == -16.0


def test_defaults_of_tracks_and_clips() -> None:
    data = {**MINIMAL, "tracks": [{"id": "t-1", "clips": [{"id": "c-1"}]}]}
    project = project_from_dict(data)
    track = project.tracks[0]
    assert track == Track(id="t-1", clips=[Clip(id="c-1")])
    assert (track.kind, track.pan, track.in_mix, track.duck_role) == ("audio", 0.0, True, "none")
    clip = track.clips[0]
    assert (clip.start, clip.offset, clip.duration, clip.take) == (0.0, 0.0, None, None)
    assert clip.fade_in_curve == clip.fade_out_curve == "equal_power"


def test_ints_are_accepted_for_floats_and_stored_as_floats() -> None:
    project = project_from_dict(
        {**MINIMAL, "tracks": [{"id": "t", "gain_db": 3, "clips": [{"id": "c", "start": 2}]}]}
    )
    assert project.tracks[0].gain_db == 3.0 and isinstance(project.tracks[0].gain_db, float)
    assert isinstance(project.tracks[0].clips[0].start, float)


def test_unknown_enum_values_load_and_are_kept() -> None:
    data = {
        **MINIMAL,
        "cast": {"A": {"provider": "acme-tts"}},
        "tracks": [
            {
                "id": "t",
                "kind": "foley",
                "duck": "sidechain",
                "clips": [{"id": "c", "request": {"kind": "speech", "provider": "acme"}}],
            }
        ],
    }
    project = project_from_dict(data)
    track = project.tracks[0]
    assert track.kind == "foley" and track.effective_kind == "audio"
    assert track.duck == "sidechain" and track.duck_role == "none"
    assert track.clips[0].request is not None and track.clips[0].request.provider == "acme"
    again = project_to_dict(project)
    assert again["tracks"][0]["kind"] == "foley"
    assert again["tracks"][0]["clips"][0]["request"]["kind"] == "speech"
    assert again["cast"]["A"]["provider"] == "acme-tts"


def test_nfd_paths_are_stored_as_nfc() -> None:
    nfd = "assets/Cafe\u0301.wav"
    project = project_from_dict(
        {**MINIMAL, "tracks": [{"id": "t", "clips": [{"id": "c", "source": nfd}]}]}
    )
    assert project.tracks[0].clips[0].source == "assets/Caf\u00e9.wav"


# --- validation -------------------------------------------------------------------------------
def _set(data: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with value=DELETE remove) the key at a path such as tracks[0].clips[0].start."""
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    target = data
    for part in parts[:-1]:
        target = target[part]
    if value is DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value


DELETE = object()
CLIP = "tracks[0].clips[0]"
BAD_VALUES = [
    ("tracks[0].pan", "left", "tracks[0].pan", "between -1 and 1"),
    ("tracks[0].pan", 1.5, "tracks[0].pan", "between -1 and 1"),
    ("tracks[0].mute", 1, "tracks[0].mute", "true or false"),
    ("tracks[0].in_mix", "yes", "tracks[0].in_mix", "true or false"),
    ("tracks[0].gain_db", float("nan"), "tracks[0].gain_db", "number"),
    ("tracks[0].color", "red", "tracks[0].color", "#rrggbb"),
    ("tracks[0].height", 0, "tracks[0].height", "> 0"),
    ("tracks[0].id", DELETE, "tracks[0].id", "required"),
    ("tracks[0].id", "", "tracks[0].id", "non-empty"),
    ("tracks[0].clips", {}, "tracks[0].clips", "list"),
    ("tracks[1]", "music", "tracks[1]", "object"),
    (f"{CLIP}.id", "t-0c1d2e3f4a5b", "tracks[1].id", "duplicate id"),
    (f"{CLIP}.start", -1, f"{CLIP}.start", ">= 0"),
    (f"{CLIP}.duration", 0, f"{CLIP}.duration", "> 0"),
    (f"{CLIP}.offset", -0.5, f"{CLIP}.offset", ">= 0"),
    (f"{CLIP}.fade_in", -1, f"{CLIP}.fade_in", ">= 0"),
    (f"{CLIP}.fade_out", 4.0, f"{CLIP}.fade_out", "longer than the clip"),
    (f"{CLIP}.fade_in_curve", "cubic", f"{CLIP}.fade_in_curve", "'s_curve'"),
    (f"{CLIP}.loop", 0, f"{CLIP}.loop", "true or false"),
    (f"{CLIP}.take", 3, f"{CLIP}.take", "index into takes"),
    (f"{CLIP}.take", -1, f"{CLIP}.take", ">= 0"),
    (f"{CLIP}.take", 0.5, f"{CLIP}.take", "integer"),
    (f"{CLIP}.source", "assets/other.wav", f"{CLIP}.source", "takes[0].source"),
    (f"{CLIP}.takes[0].source", "/etc/passwd", f"{CLIP}.takes[0].source", "relative"),
    (f"{CLIP}.takes[0].source", "../x.wav", f"{CLIP}.takes[0].source", "inside"),
    (f"{CLIP}.takes[0].source", "assets/../../x.wav", f"{CLIP}.takes[0].source", "inside"),
    (f"{CLIP}.takes[0].source", "C:/x.wav", f"{CLIP}.takes[0].source", "relative"),
    (f"{CLIP}.takes[0].source", "assets\\x.wav", f"{CLIP}.takes[0].source", "'/'"),
    (f"{CLIP}.takes[0].source", DELETE, f"{CLIP}.takes[0].source", "required"),
    (f"{CLIP}.takes[0].variant", True, f"{CLIP}.takes[0].variant", "integer"),
    (f"{CLIP}.request.kind", DELETE, f"{CLIP}.request.kind", "required"),
    (f"{CLIP}.request.variants", 0, f"{CLIP}.request.variants", ">= 1"),
    (f"{CLIP}.request.params", [], f"{CLIP}.request.params", "object"),
    (f"{CLIP}.source_duration", 0, f"{CLIP}.source_duration", "> 0"),
    ("sample_rate_hz", 1000, "sample_rate_hz", "8000 and 384000"),
    ("sample_rate_hz", 44100.5, "sample_rate_hz", "whole number"),
    ("sample_rate_hz", "48000", "sample_rate_hz", "whole number"),
    ("markers[0].time", -1, "markers[0].time", ">= 0"),
    ("markers[0].id", DELETE, "markers[0].id", "required"),
    ("mix.duck.attack_ms", "fast", "mix.duck.attack_ms", ">= 0"),
    ("mix.target_lufs", 3, "mix.target_lufs", "-70 and 0"),
    ("cast.NARRATOR.params", [], "cast.NARRATOR.params", "object"),
    ("frame_rate", {"num": 0}, "frame_rate.num", "> 0"),
    ("length", -5, "length", "> 0"),
    ("revision", -1, "revision", ">= 0"),
    ("format", "something-else", "format", "audiostudio-project"),
    ("format", DELETE, "format", "required"),
    ("version", DELETE, "version", "required"),
    ("version", "1", "version", "integer"),
]


@pytest.mark.parametrize(("path", "value", "field", "words"), BAD_VALUES)
def test_each_bad_value_is_refused_naming_its_field(
    asset_path: str, path: str, value: Any, field: str, words: str
) -> None:
    data = rich_dict(asset_path)
    project_from_dict(copy.deepcopy(data))  # the unmodified data is valid
    _set(data, path, value)
    with pytest.raises(ProjectFormatError) as caught:
        project_from_dict(data)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert words in str(caught.value)


def _leaf_paths(value: Any, path: str = "") -> list[str]:
    """Every key and list item below ``value``, as paths such as tracks[0].clips[0].start."""
    out = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _leaf_paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _leaf_paths(item, f"{path}[{i}]")
    return out


@pytest.mark.parametrize("junk", [None, "x", -1, 2.5, True, [], {}, [{}], {"id": 1}])
def test_junk_anywhere_gives_a_format_error_never_a_crash(asset_path: str, junk: Any) -> None:
    data = rich_dict(asset_path)
    for path in _leaf_paths(data):
        if path.startswith("x_") or ".x_" in path:
            continue  # unknown keys hold anything
        broken = copy.deepcopy(data)
        _set(broken, path, junk)
        try:
            project_from_dict(broken)
        except ProjectFormatError as error:
            assert error.field, path  # always says where
        except UnsupportedVersionError:
            assert path == "min_reader_version"


def test_future_min_reader_version_is_refused_with_a_clear_message() -> None:
    with pytest.raises(UnsupportedVersionError) as caught:
        project_from_dict({**MINIMAL, "version": 3, "min_reader_version": 2})
    message = str(caught.value)
    assert "needs a newer Audiostudio (format 2)" in message
    assert "this is format 1" in message


def test_newer_version_readable_by_format_1_loads_and_keeps_its_keys() -> None:
    data = {**MINIMAL, "version": 2, "min_reader_version": 1, "x_v2_feature": {"on": True}}
    data["tracks"] = [{"id": "t", "kind": "dialogue", "x_v2_track": 1, "clips": []}]
    project = project_from_dict(data)
    assert project.version == 2
    out = project_to_dict(project)
    assert out["version"] == 2 and out["x_v2_feature"] == {"on": True}
    assert out["tracks"][0]["x_v2_track"] == 1


def test_future_version_is_also_refused_from_disk(tmp_path: Path) -> None:
    (tmp_path / "project.json").write_text(
        json.dumps({**MINIMAL, "version": 2, "min_reader_version": 2})
    )
    with pytest.raises(UnsupportedVersionError):
        load_project(tmp_path)


def test_not_a_json_object() -> None:
    with pytest.raises(ProjectFormatError):
        project_from_dict([1, 2])  # type: ignore[arg-type]


# --- loading files ----------------------------------------------------------------------------
def test_load_from_folder_or_project_json(project_folder: Path) -> None:
    by_folder = load_project(project_folder)
    by_file = load_project(project_folder / "project.json")
    assert by_folder.folder == by_file.folder == project_folder
    assert project_to_dict(by_folder.project) == project_to_dict(by_file.project)
    assert by_folder.autosave_newer is False


def test_name_defaults_to_the_folder_name(tmp_path: Path) -> None:
    folder = tmp_path / "Forest Walk"
    folder.mkdir()
    (folder / "project.json").write_text(json.dumps(MINIMAL))
    assert load_project(folder).project.name == "Forest Walk"


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "project.json").write_text(
        '{\n  "format": "audiostudio-project",\n  "version": 1,,\n}'
    )
    with pytest.raises(ProjectFormatError) as caught:
        load_project(tmp_path)
    assert "line 3, column 16" in str(caught.value)
    assert "not valid JSON" in str(caught.value)


def test_missing_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFoundError):
        load_project(tmp_path / "nowhere")
    with pytest.raises(ProjectNotFoundError):
        load_project(tmp_path)  # a folder without project.json
    with pytest.raises(ProjectNotFoundError):
        load_autosave(tmp_path)


# --- saving -----------------------------------------------------------------------------------
def test_save_writes_formatted_json_in_the_formats_key_order(tmp_path: Path) -> None:
    project = Project(name="Szene Ü — 1", extra={"x_later": 1})
    save_project(project, tmp_path)
    text = (tmp_path / "project.json").read_text("utf-8")
    assert "Szene Ü — 1" in text  # ensure_ascii=False
    assert text.startswith('{\n  "format": "audiostudio-project",\n  "version": 1,\n')
    keys = list(json.loads(text))
    assert keys == [
        "format", "version", "min_reader_version", "app_version", "revision", "name",
        "sample_rate_hz", "frame_rate", "start_timecode", "length", "tracks", "cast", "mix",
        "markers", "x_later",
    ]  # fmt: skip
    assert (tmp_path / "assets").is_dir()


def test_save_bumps_revision_and_sets_app_version(tmp_path: Path) -> None:
    project = Project()
    save_project(project, tmp_path)
    save_project(project, tmp_path)
    assert project.revision == 2
    data = json.loads((tmp_path / "project.json").read_text("utf-8"))
    assert data["revision"] == 2
    assert data["app_version"] == audiostudio.__version__


def test_save_keeps_exactly_one_backup_of_the_previous_save(tmp_path: Path) -> None:
    project = Project(name="one")
    save_project(project, tmp_path)
    first = (tmp_path / "project.json").read_bytes()
    project.name = "two"
    save_project(project, tmp_path)
    second = (tmp_path / "project.json").read_bytes()
    project.name = "three"
    save_project(project, tmp_path)
    assert (tmp_path / "project.json.bak").read_bytes() == second != first
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "assets",
        "project.json",
        "project.json.bak",
    ]


def test_no_secrets_in_project_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELEVENLABS_API_KEY", "sk_live_0123456789abcdef")
    result = load_project(_folder_with(tmp_path, MINIMAL))
    save_project(result.project, result.folder)
    save_autosave(result.project, result.folder)
    for file in ("project.json", "project.autosave.json"):
        text = (result.folder / file).read_text("utf-8")
        assert "sk_live" not in text
        assert not re.search(r"api.?key|secret|token|password", text, re.IGNORECASE)


def _folder_with(tmp_path: Path, data: dict[str, Any]) -> Path:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.json").write_text(json.dumps(data))
    return folder


def _disk_full(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("failing", ["fsync", "replace", "copyfile"])
def test_failed_save_leaves_the_saved_project_intact(
    project_folder: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    project = load_project(project_folder).project
    save_project(project, project_folder)  # so there is a .bak to protect as well
    before = (project_folder / "project.json").read_bytes()
    backup = (project_folder / "project.json.bak").read_bytes()
    revision = project.revision
    project.tracks[0].name = "changed"
    target = {
        "fsync": (os, "fsync"),
        "replace": (os, "replace"),
        "copyfile": (store.shutil, "copyfile"),
    }
    monkeypatch.setattr(*target[failing], _disk_full)
    with pytest.raises(ProjectError) as caught:
        save_project(project, project_folder)
    monkeypatch.undo()
    assert "Could not save" in str(caught.value) and "disk full" in str(caught.value)
    assert (project_folder / "project.json").read_bytes() == before
    # The format copies to .bak just before the replace: a failure there leaves .bak holding a
    # copy of the intact project.json; earlier failures leave it as it was.
    expected_bak = before if failing == "replace" else backup
    assert (project_folder / "project.json.bak").read_bytes() == expected_bak
    assert not (project_folder / "project.json.tmp").exists()
    assert project.revision == revision  # nothing was saved


def test_invalid_model_is_not_written(tmp_path: Path) -> None:
    project = Project()
    save_project(project, tmp_path)
    before = (tmp_path / "project.json").read_bytes()
    project.tracks.append(Track(id="t", pan=5.0))
    with pytest.raises(ProjectFormatError) as caught:
        save_project(project, tmp_path)
    assert caught.value.field == "tracks[0].pan"
    assert (tmp_path / "project.json").read_bytes() == before


def test_new_project(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "New Scene"
    project = new_project(folder)
    assert project.name == "New Scene"
    assert (folder / "assets").is_dir()
    assert load_project(folder).project.name == "New Scene"
    assert new_project(tmp_path / "named", name="Title").name == "Title"
    with pytest.raises(ProjectError, match="already holds a project"):
        new_project(folder)


# --- autosave ---------------------------------------------------------------------------------
def test_autosave_is_detected_as_newer_until_the_next_save(project_folder: Path) -> None:
    result = load_project(project_folder)
    project = result.project
    save_project(project, project_folder)
    saved = (project_folder / "project.json").read_bytes()

    project.tracks[0].gain_db = -3.0
    save_autosave(project, project_folder)
    save_autosave(project, project_folder)
    autosaved = json.loads((project_folder / "project.autosave.json").read_text("utf-8"))
    assert autosaved["revision"] > json.loads(saved)["revision"]
    assert (project_folder / "project.json").read_bytes() == saved  # untouched
    assert not (project_folder / "project.autosave.json.tmp").exists()

    reopened = load_project(project_folder)
    assert reopened.autosave_newer is True
    assert reopened.project.tracks[0].gain_db == 0.0
    recovered = load_autosave(project_folder)
    assert recovered.tracks[0].gain_db == -3.0

    save_project(recovered, project_folder)
    assert load_project(project_folder).autosave_newer is False


def test_stale_autosave_is_not_newer(project_folder: Path) -> None:
    project = load_project(project_folder).project
    save_autosave(project, project_folder)
    assert load_project(project_folder).autosave_newer is True
    save_project(project, project_folder)
    assert load_project(project_folder).autosave_newer is False


# --- assets and paths -------------------------------------------------------------------------
def test_import_asset_is_content_addressed_and_write_once(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    source = tmp_path / "Take One.WAV"
    source.write_bytes(b"RIFF-not-really-audio")
    rel = import_asset(folder, source)
    digest = hashlib.sha256(b"RIFF-not-really-audio").hexdigest()
    assert rel == f"assets/{digest}.wav"
    stored = folder / rel
    assert stored.read_bytes() == b"RIFF-not-really-audio"
    first_stat = stored.stat()

    copy_of_it = tmp_path / "again.wav"
    copy_of_it.write_bytes(b"RIFF-not-really-audio")
    assert import_asset(folder, copy_of_it) == rel
    again = stored.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first_stat.st_ino, first_stat.st_mtime_ns)

    other = tmp_path / "other.flac"
    other.write_bytes(b"different")
    assert import_asset(folder, other) == f"assets/{hashlib.sha256(b'different').hexdigest()}.flac"
    assert sorted(p.name for p in (folder / "assets").iterdir()) == sorted(
        [Path(rel).name, f"{hashlib.sha256(b'different').hexdigest()}.flac"]
    )  # no temp files left


def test_import_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="Could not import"):
        import_asset(tmp_path, tmp_path / "missing.wav")
    assert list((tmp_path / "assets").iterdir()) == []


def test_resolve_path(tmp_path: Path) -> None:
    assert resolve_path(tmp_path, "assets/a.wav") == (tmp_path / "assets" / "a.wav").resolve()
    for bad in ("../secret.wav", "/etc/passwd", "assets/../../x", ""):
        with pytest.raises(ProjectFormatError):
            resolve_path(tmp_path, bad)


def test_resolve_path_refuses_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "assets").symlink_to(tmp_path)
    with pytest.raises(ProjectFormatError, match="outside"):
        resolve_path(folder, "assets/x.wav")
