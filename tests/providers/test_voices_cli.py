"""`audiostudio voices [--json]` with the real providers: no key and no network here."""

from __future__ import annotations

import json

import pytest

from audiostudio.cli import main
from audiostudio.providers.offline import flite_engine, voices


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch):
    for name in ("ELEVENLABS_API_KEY", "STABILITY_API_KEY", "SUNO_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_json_lists_the_offline_cast_and_one_note(capsys):
    assert main(["voices", "--json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    keys = {"id", "provider", "name", "engine", "language", "gender", "description"}
    assert all(keys <= set(row) for row in rows)
    offline = [row for row in rows if row["provider"] == "offline"]
    assert [row["id"] for row in offline] == [v.id for v in voices.VOICES]
    english = [row for row in offline if row["language"].startswith("en-") and row["available"]]
    assert len(english) >= 8 and sum(row["gender"] == "female" for row in english) >= 3
    assert {row["engine"] for row in offline} == {"piper", "flite", "espeak"}
    assert all(row["gender"] in ("female", "male", "neutral") and row["description"]
               for row in rows)
    notes = [line for line in captured.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "elevenlabs" in notes[0] and "API key" in notes[0]


def test_table_names_each_voice(capsys):
    assert main(["voices"]) == 0
    out = capsys.readouterr().out
    assert "flite:awb+isla" in out and "Isla" in out and "en-GB-scotland" in out
    assert "unavailable" not in out


def test_an_engine_whose_library_is_missing_is_listed_with_how_to_install_it(monkeypatch,
                                                                            capsys):
    def voice(name: str):  # what a machine without Debian's flite package finds
        return flite_engine._open(f"flite_cmu_us_{name}_not_installed")

    monkeypatch.setattr(flite_engine, "_voice", voice)
    assert main(["voices", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    flite = [row for row in rows if row["engine"] == "flite"]
    assert flite and all(not row["available"] for row in flite)
    assert "apt-get install flite" in flite[0]["unavailable"]
    assert all(row["available"] for row in rows if row["engine"] in ("piper", "espeak"))
    assert main(["voices"]) == 0
    assert "offline flite voices are unavailable: " in capsys.readouterr().out
