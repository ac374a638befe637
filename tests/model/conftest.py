"""Project data for the model tests: the format doc's example with real hashes, plus unknown
keys at every level (the format promises to keep them)."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import wave
from pathlib import Path
from typing import Any

import pytest

RATE = 48000


def wav_bytes(seconds: float, rate: int = RATE, level: int = 0) -> bytes:
    """A small silent-ish 16-bit mono WAV, built without numpy."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(level.to_bytes(2, "little", signed=True) * int(seconds * rate))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def example_dict(asset: str) -> dict[str, Any]:
    """The example of PROJECT_FORMAT.md, with ``asset`` as the real content-addressed path and
    real request hashes instead of "…"."""
    request = {"kind": "voice", "text": "[whispering] Nobody knows what's behind the door."}
    request_hash = sha256(json.dumps(request, sort_keys=True).encode())
    return {
        "format": "audiostudio-project",
        "version": 1,
        "name": "Scene 1",
        "sample_rate_hz": 48000,
        "cast": {
            "NARRATOR": {"provider": "offline", "voice": "piper:en_US-joe-medium", "params": {}}
        },
        "tracks": [
            {
                "id": "t-3a9f01c2d4e5",
                "name": "Narration",
                "kind": "voice",
                "clips": [
                    {
                        "id": "c-77b0e1f2a3c4",
                        "start": 3.0,
                        "duration": 4.2,
                        "speaker": "NARRATOR",
                        "source": asset,
                        "source_duration": 4.2,
                        "request": request,
                        "takes": [
                            {
                                "source": asset,
                                "request_hash": request_hash,
                                "cache_key": sha256(b"offline-1.0|" + request_hash.encode()),
                                "seed": 1234,
                                "provider": "offline",
                                "created": "2026-11-25T10:00:00Z",
                            }
                        ],
                        "take": 0,
                    }
                ],
            },
            {"id": "t-0c1d2e3f4a5b", "name": "Music", "kind": "music", "clips": []},
        ],
        "mix": {"target_lufs": -16.0, "true_peak_ceiling_dbtp": -1.0},
        "markers": [{"id": "m-1a2b3c4d5e6f", "time": 12.5, "label": "Door opens"}],
    }


def rich_dict(asset: str) -> dict[str, Any]:
    """The example plus every optional section and an unknown key at every level."""
    data = copy.deepcopy(example_dict(asset))
    data["x_project"] = {"nested": [1, 2, {"deep": True}]}
    data["frame_rate"] = {"num": 30000, "den": 1001, "drop_frame": False, "x_fr": 1}
    data["cast"]["NARRATOR"]["x_cast"] = "kept"
    data["mix"]["x_mix"] = None
    data["mix"]["duck"] = {"depth_db": -9, "attack_ms": 40, "x_duck": "kept"}
    data["markers"][0]["x_marker"] = 7
    voice = data["tracks"][0]
    voice["x_track"] = {"a": "b"}
    clip = voice["clips"][0]
    clip["x_clip"] = ["kept", 1.5]
    clip["fade_in"] = 0.5
    clip["fade_out"] = 1.0
    clip["request"]["x_request"] = "kept"
    clip["request"]["params"] = {"elevenlabs": {"stability": 0.4}}
    clip["takes"][0]["x_take"] = "kept"
    clip["takes"][0]["request"] = {**clip["request"], "x_take_request": 1}
    clip["takes"][0]["cost"] = {"amount": 0.0, "unit": "credits", "x_cost": 1}
    data["tracks"][1]["clips"].append(
        {
            "id": "c-00000000000b",
            "start": 0,
            "source": asset,
            "source_duration": 4.2,
            "loop": True,
            "duration": 20,
            "gain_db": -6,
        }
    )
    return data


@pytest.fixture
def asset_data() -> bytes:
    return wav_bytes(0.25)


@pytest.fixture
def asset_path(asset_data: bytes) -> str:
    return f"assets/{sha256(asset_data)}.wav"


@pytest.fixture
def project_folder(tmp_path: Path, asset_data: bytes, asset_path: str) -> Path:
    """A folder with the rich project written by hand (not by our writer) and its asset."""
    folder = tmp_path / "Scene 1"
    (folder / "assets").mkdir(parents=True)
    (folder / asset_path).write_bytes(asset_data)
    (folder / "project.json").write_text(json.dumps(rich_dict(asset_path), indent=2), "utf-8")
    return folder
