"""`audiostudio generate` and `audiostudio providers --check` with ElevenLabs clips, against the
fake service (pointed at by AUDIOSTUDIO_ELEVENLABS_URL); the key is in no file and no output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import soundfile as sf

from audiostudio.cli import main
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.store import load_project, save_project
from tests.fakes.elevenlabs_server import KEY, FakeElevenLabs, key_of

GEORGE = "JBFqnCBsd6RMkjVDRZzb"


@pytest.fixture
def server(monkeypatch):
    fake = FakeElevenLabs()
    monkeypatch.setenv("AUDIOSTUDIO_ELEVENLABS_URL", fake.url)
    monkeypatch.setenv("ELEVENLABS_API_KEY", KEY)
    yield fake
    fake.close()


def files_holding(text: str, *folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*") if folder.exists() else ():
            if path.is_file() and text.encode() in path.read_bytes():
                found.append(path)
    return found


def user_dirs() -> list[Path]:
    return [Path(os.environ["XDG_CONFIG_HOME"]), Path(os.environ["XDG_CACHE_HOME"])]


def test_generate_with_elevenlabs_clips(server, tmp_path, capsys):
    folder = tmp_path / "scene"
    save_project(Project(tracks=[
        Track("tv", kind="voice", clips=[
            Clip("c-hello", name="Hello line", request=Request(
                kind="voice", provider="elevenlabs", text="[excited] Hello there!",
                voice=GEORGE)),
            Clip("c-ghost", name="Ghost line", start=3.0, request=Request(
                kind="voice", provider="elevenlabs", text="Boo.", voice="nobody"))]),
        Track("ts", kind="sfx", clips=[
            Clip("c-door", name="Door", request=Request(
                kind="sfx", provider="elevenlabs", prompt="door slam", duration=1.0))]),
    ]), folder)
    assert main(["generate", str(folder)]) == 1  # the ghost's voice does not exist
    out, err = capsys.readouterr()
    assert "Ghost line" in err and "'nobody'" in err and "voice" in err
    project = load_project(folder).project
    hello = project.find_clip("c-hello")[1]
    take = hello.takes[hello.take]
    assert take.provider == "elevenlabs" and take.model == "eleven_v3"
    assert take.request_id and take.cost == {"amount": 22.0, "unit": "credits"}
    assert sf.info(str(folder / hello.source)).samplerate == 44100
    assert project.find_clip("c-door")[1].takes  # the other clips are kept
    assert not project.find_clip("c-ghost")[1].takes
    assert {key_of(r) for r in server.received} == {KEY}
    assert KEY not in out + err
    assert files_holding(KEY, folder, *user_dirs()) == []


def test_providers_lists_keys_by_source_and_checks_the_account(server, capsys, monkeypatch):
    monkeypatch.delenv("STABILITY_API_KEY", raising=False)
    assert main(["providers", "--check"]) == 0
    out = capsys.readouterr().out
    assert "elevenlabs (ElevenLabs): key set (from ELEVENLABS_API_KEY)" in out
    assert "check: ok: plan pro, 98,800 credits left, 10 requests at once" in out
    assert "stability (Stability AI): no key" in out and "STABILITY_API_KEY" in out
    assert KEY not in out and KEY[-8:] not in out
    monkeypatch.setenv("ELEVENLABS_API_KEY", "sk_revoked_key_000000000000000000")
    assert main(["providers", "--check"]) == 1
    out = capsys.readouterr().out
    assert "check: FAILED" in out and "API key was refused" in out
    assert [r.path for r in server.received] == ["/v1/user/subscription"] * 2
