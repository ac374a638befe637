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


def test_generate_with_all_four_providers_in_one_project(server, tmp_path, capsys,
                                                         monkeypatch):
    from tests.fakes.stability_server import StabilityServer
    from tests.fakes.suno_server import SunoServer

    stability_key, suno_key = "sk-stab-cli-000000000000", "suno-cli-key-1111111111"
    with StabilityServer(stability_key) as stability, SunoServer(suno_key) as suno:
        for name, fake, key in (("STABILITY", stability, stability_key),
                                ("SUNO", suno, suno_key)):
            monkeypatch.setenv(f"{name}_API_KEY", key)
            monkeypatch.setenv(f"AUDIOSTUDIO_{name}_URL", fake.url)
        monkeypatch.setenv("AUDIOSTUDIO_PROVIDERS", '{"suno": {"poll_interval_s": 0.01}}')
        folder = tmp_path / "scene"
        save_project(Project(tracks=[
            Track("tv", kind="voice", clips=[Clip("c-line", name="Line", request=Request(
                kind="voice", provider="elevenlabs", text="Welcome back.", voice=GEORGE))]),
            Track("ts", kind="sfx", clips=[
                Clip("c-rain", name="Rain", request=Request(
                    kind="sfx", provider="stability", prompt="soft rain", duration=2.0)),
                Clip("c-knock", name="Knock", start=2.0, request=Request(
                    kind="sfx", provider="offline", prompt="knock on wood"))]),
            Track("tm", kind="music", clips=[Clip("c-song", name="Song", request=Request(
                kind="music", provider="suno", prompt="a warm folk song about rain"))]),
        ]), folder)
        assert main(["generate", str(folder)]) == 0, capsys.readouterr().err
        project = load_project(folder).project
        out, err = capsys.readouterr()
    takes = {c.id: c.takes for _, c in project.iter_clips()}
    assert [t.provider for t in takes["c-line"]] == ["elevenlabs"]
    assert [t.provider for t in takes["c-rain"]] == ["stability"]
    assert [t.provider for t in takes["c-knock"]] == ["offline"]
    assert [(t.provider, t.variant) for t in takes["c-song"]] == [("suno", 0), ("suno", 1)]
    for clip_takes in takes.values():
        assert all(sf.info(str(folder / t.source)).frames > 0 for t in clip_takes)
    for key in (KEY, stability_key, suno_key):
        assert key not in out + err
        assert files_holding(key, folder, *user_dirs()) == []
