"""Validation of project data and its conversion to and from JSON (format version 1, see
docs/project-format.md).

Design note: validation is one table of small per-key validators (``_SPECS``) plus a cross-key
check per class (``_CHECKS``). The loader, ``validate_fields`` (used by ``model/edits.py``) and
the save path all go through that table, so a value the editor accepts is always one the loader
accepts, and every error names its field path (``tracks[0].clips[2].fade_in``). We chose this
over jsonschema at load time because the messages must speak to creators and some rules
(fades vs clip length, take index, unique ids) span keys; ``project.schema.json`` documents the
same contract for other tools and is checked against this code by the tests.
"""

from __future__ import annotations

import copy
import json
import math
import posixpath
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, fields, is_dataclass, replace
from typing import Any, TypeVar

from audiostudio.errors import ProjectFormatError, UnsupportedVersionError
from audiostudio.model import timecode
from audiostudio.model.project import (
    FADE_CURVES,
    FORMAT_NAME,
    FORMAT_VERSION,
    AutoLevel,
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

T = TypeVar("T")
Validator = Callable[[Any, str], Any]

# Float slack when comparing sums of seconds (fade_in + fade_out vs clip length).
_EPS = 1e-9


# --- validators -------------------------------------------------------------------------------
def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _fail(message: str, path: str) -> ProjectFormatError:
    return ProjectFormatError(message, field=path or None)


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _nullable(check: Validator) -> Validator:
    def validate(value: Any, path: str) -> Any:
        return None if value is None else check(value, path)

    return validate


def _number(desc: str, ok: Callable[[float], bool] = lambda v: True) -> Validator:
    def validate(value: Any, path: str) -> float:
        # bool is an int subclass in Python but a different type in JSON.
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not ok(value)
        ):
            raise _fail(f"must be {desc}, got {_got(value)}", path)
        return float(value)

    return validate


def _integer(desc: str, ok: Callable[[int], bool] = lambda v: True) -> Validator:
    def validate(value: Any, path: str) -> int:
        # JSON has one number type: 48000.0 is the integer 48000 (as in JSON Schema).
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not ok(value):
            raise _fail(f"must be {desc}, got {_got(value)}", path)
        return value

    return validate


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(f"must be true or false, got {_got(value)}", path)
    return value


def _string(desc: str = "a string", ok: Callable[[str], bool] = lambda v: True) -> Validator:
    def validate(value: Any, path: str) -> str:
        if not isinstance(value, str) or not ok(value):
            raise _fail(f"must be {desc}, got {_got(value)}", path)
        return value

    return validate


def _const(expected: str) -> Validator:
    def validate(value: Any, path: str) -> str:
        if value != expected:
            raise _fail(
                f"must be {expected!r} (this is not an Audiostudio project?), got {_got(value)}",
                path,
            )
        return value

    return validate


def relative_path(value: Any, path: str) -> str:
    """A path inside the project folder: relative, '/'-separated, NFC (the format's rule)."""
    if not isinstance(value, str) or not value:
        raise _fail(f"must be a relative path such as 'assets/<hash>.wav', got {_got(value)}", path)
    text = unicodedata.normalize("NFC", value)
    if "\\" in text or "\0" in text:
        raise _fail(f"must use '/' between folder names, got {_got(value)}", path)
    if text.startswith("/") or re.match(r"[A-Za-z]:", text):
        raise _fail(f"must be relative to the project folder, got {_got(value)}", path)
    normal = posixpath.normpath(text)
    if normal in (".", "..") or normal.startswith("../"):
        raise _fail(f"must stay inside the project folder, got {_got(value)}", path)
    return text


def _json_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(f"must be an object, got {_got(value)}", path)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise _fail(f"must hold plain JSON data only ({error})", path) from error
    return copy.deepcopy(value)


def _model(cls: type) -> Validator:
    def validate(value: Any, path: str) -> Any:
        return from_json(cls, value, path)

    return validate


def _list_of(cls: type) -> Validator:
    def validate(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _fail(f"must be a list, got {_got(value)}", path)
        return [from_json(cls, item, f"{path}[{i}]") for i, item in enumerate(value)]

    return validate


def _map_of(cls: type) -> Validator:
    def validate(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _fail(f"must be an object, got {_got(value)}", path)
        return {key: from_json(cls, item, _join(path, key)) for key, item in value.items()}

    return validate


_NON_EMPTY = _string("a non-empty string", bool)
_TEXT = _string()
_OPT_TEXT = _nullable(_TEXT)
_NUMBER = _number("a number")
_NON_NEG = _number("a number >= 0", lambda v: v >= 0)
_POSITIVE = _number("a number > 0", lambda v: v > 0)
_OPT_POSITIVE = _nullable(_POSITIVE)
_AT_MOST_0 = _number("a number <= 0", lambda v: v <= 0)
_OPT_INT = _nullable(_integer("an integer"))
_COUNT = _integer("an integer >= 0", lambda v: v >= 0)
_COLOR = _nullable(
    _string('a colour "#rrggbb" or null', lambda v: re.fullmatch(r"#[0-9a-fA-F]{6}", v) is not None)
)
_CURVE = _string("one of " + ", ".join(repr(c) for c in FADE_CURVES), lambda v: v in FADE_CURVES)

# Per class: key -> validator, in the format's key order. Open enums (track kind, duck role,
# request kind, provider) are plain strings: unknown values load, as the format requires.
_SPECS: dict[type, dict[str, Validator]] = {
    FrameRate: {
        "num": _integer("an integer > 0", lambda v: v > 0),
        "den": _integer("an integer > 0", lambda v: v > 0),
        "drop_frame": _boolean,
    },
    Marker: {"id": _NON_EMPTY, "time": _NON_NEG, "label": _TEXT,
             "script": _nullable(_json_object)},
    CastEntry: {"provider": _NON_EMPTY, "voice": _OPT_TEXT, "params": _json_object},
    Request: {
        "kind": _NON_EMPTY,
        "provider": _NON_EMPTY,
        "model": _OPT_TEXT,
        "text": _OPT_TEXT,
        "prompt": _OPT_TEXT,
        "lyrics": _OPT_TEXT,
        "voice": _OPT_TEXT,
        "duration": _OPT_POSITIVE,
        "seed": _OPT_INT,
        "variants": _integer("an integer >= 1", lambda v: v >= 1),
        "fit": _boolean,
        "params": _json_object,
    },
    Take: {
        "source": relative_path,
        "request_hash": _OPT_TEXT,
        "cache_key": _OPT_TEXT,
        "request": _nullable(_model(Request)),
        "seed": _OPT_INT,
        "provider": _OPT_TEXT,
        "model": _OPT_TEXT,
        "engine_version": _OPT_TEXT,
        "created": _OPT_TEXT,
        "request_id": _OPT_TEXT,
        "cost": _nullable(_json_object),
        "variant": _COUNT,
    },
    Clip: {
        "id": _NON_EMPTY,
        "name": _TEXT,
        "start": _NON_NEG,
        "duration": _OPT_POSITIVE,
        "offset": _NON_NEG,
        "loop": _boolean,
        "gain_db": _NUMBER,
        "fade_in": _NON_NEG,
        "fade_out": _NON_NEG,
        "fade_in_curve": _CURVE,
        "fade_out_curve": _CURVE,
        "mute": _boolean,
        "locked": _boolean,
        "color": _COLOR,
        "speaker": _OPT_TEXT,
        "source": _nullable(relative_path),
        "source_duration": _OPT_POSITIVE,
        "request": _nullable(_model(Request)),
        "takes": _list_of(Take),
        "take": _nullable(_COUNT),
        "auto_gain_db": _nullable(_number("a number between -60 and 60 or null",
                                          lambda v: -60 <= v <= 60)),
        "script": _nullable(_json_object),
    },
    Track: {
        "id": _NON_EMPTY,
        "name": _TEXT,
        "kind": _TEXT,
        "gain_db": _NUMBER,
        "pan": _number("a number between -1 and 1", lambda v: -1 <= v <= 1),
        "mute": _boolean,
        "solo": _boolean,
        "in_mix": _boolean,
        "duck": _OPT_TEXT,
        "color": _COLOR,
        "height": _nullable(_integer("an integer > 0", lambda v: v > 0)),
        "locked": _boolean,
        "clips": _list_of(Clip),
        "auto_level": _boolean,
    },
    Duck: {
        "depth_db": _AT_MOST_0,
        "threshold_db": _AT_MOST_0,
        "attack_ms": _NON_NEG,
        "release_ms": _NON_NEG,
        "hold_ms": _NON_NEG,
        "lookahead_ms": _NON_NEG,
    },
    AutoLevel: {
        "enabled": _boolean,
        "dialogue_lufs": _number("a number between -70 and 0", lambda v: -70 <= v <= 0),
        "music_under_lu": _NON_NEG,
        "sfx_under_lu": _NON_NEG,
    },
    Mix: {
        "target_lufs": _nullable(
            _number("a number between -70 and 0 or null", lambda v: -70 <= v <= 0)
        ),
        "true_peak_ceiling_dbtp": _AT_MOST_0,
        "master_gain_db": _NUMBER,
        "duck": _model(Duck),
        "auto_level": _nullable(_model(AutoLevel)),
    },
    Project: {
        "format": _const(FORMAT_NAME),
        "version": _integer("an integer >= 1", lambda v: v >= 1),
        "min_reader_version": _integer("an integer >= 1", lambda v: v >= 1),
        "app_version": _OPT_TEXT,
        "revision": _COUNT,
        "name": _OPT_TEXT,
        "sample_rate_hz": _integer(
            "a whole number of Hz between 8000 and 384000", lambda v: 8000 <= v <= 384000
        ),
        "frame_rate": _nullable(_model(FrameRate)),
        "start_timecode": _nullable(
            _string("a timecode HH:MM:SS:FF", lambda v: bool(timecode.TIMECODE_RE.fullmatch(v)))
        ),
        "length": _OPT_POSITIVE,
        "tracks": _list_of(Track),
        "cast": _map_of(CastEntry),
        "mix": _model(Mix),
        "markers": _list_of(Marker),
    },
}


# --- rules that span keys ---------------------------------------------------------------------
def iter_ids(project: Project) -> Iterator[tuple[str, str]]:
    """(id, field path) of every track, clip and marker: they share one namespace."""
    for ti, track in enumerate(project.tracks):
        yield track.id, f"tracks[{ti}].id"
        for ci, clip in enumerate(track.clips):
            yield clip.id, f"tracks[{ti}].clips[{ci}].id"
    for mi, marker in enumerate(project.markers):
        yield marker.id, f"markers[{mi}].id"


def _check_project(project: Project, path: str) -> None:
    seen: dict[str, str] = {}
    for item_id, where in iter_ids(project):
        if item_id in seen:
            raise _fail(f"duplicate id {item_id!r} (also used by {seen[item_id]})", where)
        seen[item_id] = where
    if project.start_timecode is not None:
        # Frames past the rate, or a label drop-frame skips.
        try:
            timecode.parse(project.start_timecode, timecode.project_rate(project))
        except ProjectFormatError as error:
            raise _fail(str(error), _join(path, "start_timecode")) from error


def _check_frame_rate(rate: FrameRate, path: str) -> None:
    if rate.drop_frame and not timecode.drop_frame_allowed(rate):
        raise _fail(f"drop-frame exists for 29.97 and 59.94 fps only, not {rate.fps:g}",
                    _join(path, "drop_frame"))


def _check_clip(clip: Clip, path: str) -> None:
    sd = clip.source_duration
    if clip.duration is None and sd is not None and clip.offset >= sd:
        raise _fail(
            f"must be below source_duration ({sd:g} s) when duration is not set, "
            f"got {clip.offset:g}",
            _join(path, "offset"),
        )
    length = clip.length
    if length is not None and clip.fade_in + clip.fade_out > length + _EPS:
        raise _fail(
            f"fade_in + fade_out ({clip.fade_in + clip.fade_out:g} s) must not be longer than "
            f"the clip ({length:g} s)",
            _join(path, "fade_out"),
        )
    if clip.take is not None:
        if clip.take >= len(clip.takes):
            allowed = f"0..{len(clip.takes) - 1}" if clip.takes else "null: there are no takes"
            raise _fail(
                f"must be an index into takes ({allowed}), got {clip.take}", _join(path, "take")
            )
        expected = clip.takes[clip.take].source
        if clip.source != expected:
            raise _fail(
                f"must equal takes[{clip.take}].source ({expected!r}), got {_got(clip.source)}",
                _join(path, "source"),
            )


_CHECKS: dict[type, Callable[[Any, str], None]] = {
    Project: _check_project, Clip: _check_clip, FrameRate: _check_frame_rate}


# --- generic conversion -----------------------------------------------------------------------
def _required(cls: type) -> set[str]:
    return {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}


def from_json(cls: type[T], data: Any, path: str = "") -> T:
    """Parse and validate JSON data into ``cls``; missing keys take the format's defaults and
    unknown keys go to ``extra``."""
    if not isinstance(data, dict):
        raise _fail(f"must be an object, got {_got(data)}", path)
    spec = _SPECS[cls]
    values: dict[str, Any] = {}
    for key, validate in spec.items():
        if key in data:
            values[key] = validate(data[key], _join(path, key))
    missing = sorted(_required(cls) - values.keys())
    if missing:
        raise _fail("is required", _join(path, missing[0]))
    values["extra"] = {k: copy.deepcopy(v) for k, v in data.items() if k not in spec}
    obj = cls(**values)
    if check := _CHECKS.get(cls):
        check(obj, path)
    return obj


def to_json(value: Any) -> Any:
    """Model objects (and containers of them) as JSON data, keys in the format's order, unknown
    keys last. Always a deep copy."""
    if is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_json(getattr(value, f.name)) for f in fields(value) if f.name != "extra"}
        for key, item in getattr(value, "extra", {}).items():
            out.setdefault(key, copy.deepcopy(item))
        return out
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def checked_copy(obj: T, path: str = "") -> T:
    """A validated deep copy of a model object (what edits insert into a project)."""
    return from_json(type(obj), to_json(obj), path)


def validate_fields(obj: Any, values: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    """Validate new values for some keys of ``obj`` (JSON data or model objects) with the same
    rules as the loader, including the rules that span keys. Returns the parsed values;
    ``obj`` is not changed."""
    spec = _SPECS[type(obj)]
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        if key not in spec:
            raise _fail(f"is not a key of a {type(obj).__name__.lower()}", _join(path, key))
        parsed[key] = spec[key](to_json(value), _join(path, key))
    if check := _CHECKS.get(type(obj)):
        check(replace(obj, **parsed), path)
    return parsed


def project_from_dict(data: Any, folder_name: str | None = None) -> Project:
    """A Project from parsed project.json data. ``name`` defaults to ``folder_name``."""
    if not isinstance(data, dict):
        raise ProjectFormatError("must hold a JSON object (this is not an Audiostudio project)")
    spec = _SPECS[Project]
    for key in ("format", "version"):
        if key not in data:
            raise _fail("is required (this is not an Audiostudio project?)", key)
        spec[key](data[key], key)
    needs = spec["min_reader_version"](data.get("min_reader_version", 1), "min_reader_version")
    if needs > FORMAT_VERSION:
        raise UnsupportedVersionError(
            f"This project needs a newer Audiostudio (format {needs}); this is format "
            f"{FORMAT_VERSION}. Update Audiostudio to open it."
        )
    project = from_json(Project, data)
    if project.name is None:
        project.name = folder_name
    return project


def project_to_dict(project: Project) -> dict[str, Any]:
    return to_json(project)
