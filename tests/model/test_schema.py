"""project.schema.json documents the same contract as the loader; these tests keep them aligned."""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from audiostudio.errors import ProjectFormatError
from audiostudio.model.assets import import_asset
from audiostudio.model.project import (
    CastEntry,
    Clip,
    Duck,
    FrameRate,
    Marker,
    Mix,
    Project,
    Request,
    Take,
    Track,
)
from audiostudio.model.schema import project_from_dict, project_to_dict
from tests.model.conftest import example_dict, rich_dict, sha256, wav_bytes

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "audiostudio" / "model" / "project.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_format_doc_example_with_real_assets_validates_and_loads(
    tmp_path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    audio = tmp_path / "line.wav"
    audio.write_bytes(wav_bytes(4.2))
    rel = import_asset(tmp_path / "Scene 1", audio)
    data = example_dict(rel)
    validator.validate(data)
    project = project_from_dict(data)
    validator.validate(project_to_dict(project))
    clip = project.tracks[0].clips[0]
    assert clip.source == clip.takes[0].source == f"assets/{sha256(audio.read_bytes())}.wav"
    assert (tmp_path / "Scene 1" / rel).read_bytes() == audio.read_bytes()


@pytest.mark.parametrize(
    "data_of",
    [
        lambda asset: {"format": "audiostudio-project", "version": 1},
        example_dict,
        rich_dict,
    ],
    ids=["minimal", "example", "rich"],
)
def test_loader_output_validates(
    validator: jsonschema.Draft202012Validator, asset_path: str, data_of: Any
) -> None:
    data = data_of(asset_path)
    validator.validate(data)
    validator.validate(project_to_dict(project_from_dict(data)))


def test_empty_model_output_validates(validator: jsonschema.Draft202012Validator) -> None:
    validator.validate(project_to_dict(Project()))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("tracks", 0, "pan"), 2),
        (("tracks", 0, "mute"), 1),
        (("tracks", 0, "clips", 0, "start"), -1),
        (("tracks", 0, "clips", 0, "fade_in_curve"), "cubic"),
        (("tracks", 0, "clips", 0, "source"), "/abs/path.wav"),
        (("sample_rate_hz",), 100),
        (("format",), "other"),
    ],
)
def test_schema_refuses_what_the_loader_refuses(
    validator: jsonschema.Draft202012Validator, asset_path: str, path: tuple, value: Any
) -> None:
    data = copy.deepcopy(example_dict(asset_path))
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert not validator.is_valid(data)
    with pytest.raises(ProjectFormatError):
        project_from_dict(data)


@pytest.mark.parametrize(
    ("cls", "pointer"),
    [
        (Project, None),
        (Track, "track"),
        (Clip, "clip"),
        (Request, "request"),
        (Take, "take"),
        (Marker, "marker"),
        (CastEntry, "cast_entry"),
        (FrameRate, "frame_rate"),
        (Mix, "mix"),
        (Duck, "duck"),
    ],
)
def test_schema_lists_every_key_of_the_model_in_order(
    validator: jsonschema.Draft202012Validator, cls: type, pointer: str | None
) -> None:
    schema = validator.schema
    node = schema if pointer is None else schema["$defs"][pointer]
    keys = [f.name for f in fields(cls) if f.name != "extra"]
    assert list(node["properties"]) == keys
    assert node.get("additionalProperties", True) is not False  # unknown keys are allowed
