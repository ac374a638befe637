"""ElevenLabs through the real SDK against the local fake service (tests/fakes)."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import soundfile as sf

from audiostudio.errors import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ProviderTimeoutError,
    QuotaExceededError,
    RateLimitedError,
    ServiceError,
    SlotsBusyError,
)
from audiostudio.generation.batch import generate_clips
from audiostudio.generation.cache import AssetCache
from audiostudio.generation.service import GenerationService, RetryPolicy
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.edits import SetFields, apply
from audiostudio.providers.base import Resolved, param_defaults
from audiostudio.providers.config import ProviderConfig
from audiostudio.providers.elevenlabs import ElevenLabsProvider
from tests.fakes.elevenlabs_server import KEY, FakeElevenLabs, key_of

GEORGE, SARAH = "JBFqnCBsd6RMkjVDRZzb", "EXAVITQu4vr4xnYDxfjV"


@pytest.fixture
def server():
    fake = FakeElevenLabs()
    yield fake
    fake.close()


def provider_for(server: FakeElevenLabs, **config) -> ElevenLabsProvider:
    return ElevenLabsProvider(ProviderConfig(server.url, api_key=KEY, key_source="env",
                                             **config))


@pytest.fixture
def provider(server):
    return provider_for(server)


def voice(text="[whispers] The door is open.", model="eleven_v3", **more) -> Resolved:
    provider = ElevenLabsProvider(ProviderConfig("http://unused"))
    return Resolved(kind="voice", model=model, text=text, prompt=None, lyrics=None,
                    voice=more.pop("voice", GEORGE), duration=None, variants=1,
                    params={**param_defaults(provider, "voice"), **more})


def run(provider, request, tmp_path, seed=7):
    work = Path(tempfile.mkdtemp(dir=tmp_path))  # as the service gives: one per call
    return provider.generate(request, seed, work, lambda f, label="": None, lambda: False)


def test_a_line_is_streamed_as_documented_and_kept_as_wav(server, provider, tmp_path):
    [result] = run(provider, voice(), tmp_path)
    [sent] = server.audio_requests()
    assert sent.path == f"/v1/text-to-speech/{GEORGE}/stream"
    assert sent.query == {"output_format": "pcm_44100"} and key_of(sent) == KEY
    assert sent.json == {
        "text": "[whispers] The door is open.", "model_id": "eleven_v3", "seed": 7,
        "voice_settings": {"stability": 0.5, "similarity_boost": 0.75, "style": 0.0,
                           "use_speaker_boost": True, "speed": 1.0}}  # v3: no stitching ids
    data, rate = sf.read(str(result.audio))
    assert result.audio.suffix == ".wav" and rate == 44100
    assert len(data) == int(len("[whispers] The door is open.") * 0.05 * 44100)
    assert abs(data).max() == pytest.approx(0.3, abs=0.01)  # the fake's tone, as sent
    assert result.request_id == "req-1" and result.seed == 7
    assert result.cost.amount == len("[whispers] The door is open.")
    assert provider.max_concurrency() == server.max_concurrent  # from the response header


def test_a_refused_format_falls_back_and_is_remembered(server, provider, tmp_path):
    server.tier = "creator"
    [first] = run(provider, voice(), tmp_path)
    run(provider, voice("Again."), tmp_path)
    formats = [r.query["output_format"] for r in server.audio_requests()]
    assert formats == ["pcm_44100", "mp3_44100_192", "mp3_44100_192"]
    data, rate = sf.read(str(first.audio))
    assert first.audio.suffix == ".mp3" and rate == 44100
    assert len(data) == int(len("[whispers] The door is open.") * 0.05 * 44100)


def test_text_limits_are_checked_before_sending(server, provider, tmp_path):
    with pytest.raises(BadRequestError, match=r"5,000.*split") as refused:
        run(provider, voice("x" * 5001), tmp_path)
    assert refused.value.field == "text"
    run(provider, voice("x" * 5001, model="eleven_multilingual_v2"), tmp_path)
    assert len(server.audio_requests()) == 1  # only the one the model takes


def test_sound_effects_and_music_requests(server, provider, tmp_path):
    defaults = param_defaults(provider, "sfx")
    sfx = Resolved("sfx", "eleven_text_to_sound_v2", None, "door creak", None, None, 1.5, 1,
                   {**defaults, "loop": True})
    music = Resolved("music", "music_v1", None, "calm piano", None, None, 4.0, 1, {})
    [effect] = run(provider, sfx, tmp_path)
    [song] = run(provider, music, tmp_path, seed=99)
    sent_sfx, sent_music = server.audio_requests()
    assert sent_sfx.path == "/v1/sound-generation" and sent_sfx.json == {
        "text": "door creak", "model_id": "eleven_text_to_sound_v2", "duration_seconds": 1.5,
        "prompt_influence": 0.3, "loop": True}
    # The service refuses a seed with a prompt: sent without, and the take says so.
    assert sent_music.path == "/v1/music" and sent_music.json == {
        "prompt": "calm piano", "model_id": "music_v1", "music_length_ms": 4000}
    assert effect.seed is None and song.seed is None
    assert sf.info(str(effect.audio)).duration == pytest.approx(1.5, abs=0.01)
    assert sf.info(str(song.audio)).duration == pytest.approx(4.0, abs=0.01)
    with pytest.raises(BadRequestError, match=r"0\.5 to 30") as refused:
        run(provider, Resolved("sfx", None, None, "boom", None, None, 31.0, 1, {}), tmp_path)
    assert refused.value.field == "duration" and len(server.audio_requests()) == 2


@pytest.mark.parametrize(("cue", "error", "words", "field"), [
    ("bad_key", AuthenticationError, "API key was refused", None),
    ("quota", QuotaExceededError, "out of credits", None),
    ("bad_field", BadRequestError, "less than or equal to 1", "voice_settings.stability"),
    ("bad_param", BadRequestError, "Unsupported model", "model_id"),
    ("slots_busy", SlotsBusyError, "concurrent", None),
    ("system_busy", RateLimitedError, "busy", None),
    ("server_error", ServiceError, "failed", None),
])
def test_each_error_answer_is_a_clear_error(server, provider, tmp_path, cue, error, words,
                                            field):
    server.cue(cue)
    with pytest.raises(error, match=words) as raised:
        run(provider, voice(), tmp_path)
    assert type(raised.value) is error
    assert getattr(raised.value, "field", None) == field
    assert raised.value.retryable == (cue in ("slots_busy", "system_busy", "server_error"))
    assert KEY not in str(raised.value) and KEY not in repr(raised.value)


def test_an_unknown_voice_names_the_voice_field(server, provider, tmp_path):
    with pytest.raises(BadRequestError, match="no voice 'nobody'") as raised:
        run(provider, voice(voice="nobody"), tmp_path)
    assert raised.value.field == "voice"


def test_a_slow_answer_times_out_in_words(server, tmp_path):
    provider = provider_for(server, read_timeout_s=0.3)
    server.cue("slow")
    with pytest.raises(ProviderTimeoutError, match="read_timeout_s"):
        run(provider, voice(), tmp_path)


def service_for(provider, tmp_path, pool, **retry) -> GenerationService:
    return GenerationService({provider.name: provider}, pool, AssetCache(tmp_path / "cache"),
                             retry=RetryPolicy(base_delay_s=0.01, **retry))


@pytest.fixture
def pool():
    with ThreadPoolExecutor(4) as executor:
        yield executor


def cached_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "cache"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("cue", ["cut", "short"])
def test_a_stream_that_ends_early_leaves_nothing(server, provider, tmp_path, pool, cue):
    service = service_for(provider, tmp_path, pool, max_attempts=1)
    request = Request(kind="voice", provider="elevenlabs", text="A line long enough to stream "
                      "in several chunks of audio, so it can break off midway.")
    server.cue(cue)
    with pytest.raises(ServiceError, match=r"broke off|connection broke"):
        service.submit(request, seed=1).future.result(10)
    assert cached_files(tmp_path) == []
    [again] = service.submit(request, seed=1).future.result(10)  # fetched again, in full
    assert not again.cached and len(server.audio_requests()) == 2
    assert sf.info(str(again.path)).frames == int(len(request.text) * 0.05 * 44100)


def test_slots_busy_waits_for_a_slot_of_our_own(server, provider, tmp_path, pool):
    server.max_concurrent, server.work_s = 1, 0.2
    service = GenerationService({"elevenlabs": provider}, pool, AssetCache(tmp_path / "cache"),
                                limits={"elevenlabs": 3},
                                retry=RetryPolicy(max_attempts=3, base_delay_s=0.05))
    jobs = [service.submit(Request(kind="voice", provider="elevenlabs", text=f"Line {i}."),
                           seed=i) for i in range(3)]
    results = [job.future.result(20) for job in jobs]
    assert all(len(r) == 1 and r[0].path.exists() for r in results)
    assert server.most_in_flight == 1 and service.limit("elevenlabs") <= 2  # probing up
    busy = len(server.audio_requests()) - 3
    assert busy >= 1  # some were answered "busy" and then waited, none failed


def test_the_lowered_limit_climbs_back_after_jobs_succeed(server, provider, tmp_path, pool):
    """One "too many concurrent requests" answer (another app on the account, say) lowers the
    limit; the jobs that then finish bring it back, so later lines run three at a time again."""
    server.work_s = 0.5  # so requests that run together overlap at the server
    service = GenerationService({"elevenlabs": provider}, pool, AssetCache(tmp_path / "cache"),
                                limits={"elevenlabs": 3},
                                retry=RetryPolicy(max_attempts=2, base_delay_s=0.05))

    def lines(start: int, count: int) -> list[list]:
        jobs = [service.submit(Request(kind="voice", provider="elevenlabs", text=f"Line {i}."),
                               seed=i) for i in range(start, start + count)]
        return [job.future.result(30) for job in jobs]

    server.cue("slots_busy")
    assert all(len(r) == 1 for r in lines(0, 3))
    assert len(server.audio_requests()) == 4  # one answered 429, put back in line, then made
    server.most_in_flight = 0
    assert all(len(r) == 1 for r in lines(3, 6))
    assert service.limit("elevenlabs") == 3
    assert server.most_in_flight == 3  # stuck at the lowered cap, it would be 2


def test_neighbouring_lines_are_stitched(server, provider, tmp_path, pool):
    service = service_for(provider, tmp_path, pool)

    def line(cid, start, text, voice=GEORGE, model="eleven_multilingual_v2"):
        return Clip(cid, name=cid, start=start, request=Request(
            kind="voice", provider="elevenlabs", model=model, text=text, voice=voice))

    # Nine lines of George on two tracks, by start time; Sarah's line and a v3 line between.
    lines = [line(f"l{i}", float(i), f"Line {i}.") for i in range(9)]
    project = Project(tracks=[
        Track("a", kind="voice", clips=[*lines[0::2], line("sarah", 4.5, "Hi.", SARAH)]),
        Track("b", kind="voice", clips=[*lines[1::2],
                                        line("v3", 3.5, "Hey.", model="eleven_v3")]),
    ])
    folder = tmp_path / "p"
    folder.mkdir()
    assert not generate_clips(service, project, folder).failed
    assert all("previous_request_ids" not in r.json for r in server.audio_requests())  # no takes
    ids = {c.id: c.takes[c.take].request_id for _, c in project.iter_clips()}
    assert len(set(ids.values())) == 11 and None not in ids.values()
    apply(project, SetFields("l4", {"request": Request(
        kind="voice", provider="elevenlabs", model="eleven_multilingual_v2",
        text="Line four, again.", voice=GEORGE)}))
    assert not generate_clips(service, project, folder).failed
    sent = server.audio_requests()[-1]
    assert sent.json["text"] == "Line four, again."
    assert sent.json["previous_request_ids"] == [ids["l3"], ids["l2"], ids["l1"]]  # nearest first
    assert sent.json["next_request_ids"] == [ids["l5"], ids["l6"], ids["l7"]]
    take = project.find_clip("l4")[1].takes[-1]
    assert take.request_id == f"req-{len(server.audio_requests())}"
    assert take.cost == {"amount": len("Line four, again."), "unit": "credits"}
    v3 = project.find_clip("v3")[1]
    assert service.neighbour_request_ids(project, v3) == ((), ())  # v3 does not stitch


def test_voices_are_listed_once(server, provider):
    names = [v.name for v in provider.voices()]
    assert names == ["George", "Sarah"] and provider.voices()[1].id == SARAH
    assert [r.path for r in server.received] == ["/v1/voices"]


def test_account_shows_plan_credits_and_concurrency(server, provider):
    account = provider_for(server).account()
    assert account.plan == "pro" and account.credits_left == 100_000 - 1200
    assert account.concurrency == 10  # the Pro plan's limit
    with pytest.raises(AuthenticationError):
        ElevenLabsProvider(ProviderConfig(server.url, api_key="sk_wrong")).account()


def test_without_a_key_it_says_how_to_add_one(server, tmp_path):
    keyless = ElevenLabsProvider(ProviderConfig(server.url))
    assert "ELEVENLABS_API_KEY" in keyless.unavailable_reason()
    with pytest.raises(ProviderError, match="Preferences"):
        run(keyless, voice(), tmp_path)
    assert server.received == [] and keyless.voices() == []


def test_a_take_from_the_cache_keeps_its_request_id_for_stitching(server, provider, tmp_path,
                                                                  pool):
    """A second project (same cache) gets the first line from the cache, not the service; the
    line after it is still stitched to the id the service gave that audio."""
    service = service_for(provider, tmp_path, pool)

    def project_with(*texts: str) -> Project:
        return Project(tracks=[Track("a", kind="voice", clips=[
            Clip(f"l{i}", start=float(i), request=Request(
                kind="voice", provider="elevenlabs", model="eleven_multilingual_v2",
                text=text, voice=GEORGE, seed=5)) for i, text in enumerate(texts)])])

    first = project_with("The first line.")
    (tmp_path / "one").mkdir()
    assert not generate_clips(service, first, tmp_path / "one").failed
    made = first.find_clip("l0")[1].takes[0]
    assert made.request_id == "req-1"

    second = project_with("The first line.", "The second line.")
    (tmp_path / "two").mkdir()
    opening = [second.find_clip("l0")[1]]
    assert generate_clips(service, second, tmp_path / "two", clips=opening).succeeded == ["l0"]
    hit = second.find_clip("l0")[1].takes[0]
    assert len(server.audio_requests()) == 1  # a hit: no call
    assert hit.request_id == "req-1" and hit.seed == 5 and hit.cost is None
    assert not generate_clips(service, second, tmp_path / "two").failed
    sent = server.audio_requests()[-1]
    assert sent.json["text"] == "The second line."
    assert sent.json["previous_request_ids"] == ["req-1"]
    assert all(KEY.encode() not in p.read_bytes() for p in cached_files(tmp_path))


def test_a_cache_hit_says_the_seed_the_service_used_and_survives_damaged_extras(
        server, provider, tmp_path, pool):
    service = service_for(provider, tmp_path, pool)
    music = Request(kind="music", provider="elevenlabs", prompt="calm piano", duration=3.0)
    [made] = service.submit(music, seed=99).future.result(20)
    [hit] = service.submit(music, seed=99).future.result(20)
    assert hit.cached and len(server.audio_requests()) == 1
    assert made.seed is None and hit.seed is None  # sent without it, as when it was made
    assert hit.request_id == made.request_id == "req-1"
    [meta] = [p for p in cached_files(tmp_path) if p.name.endswith(".meta.json")]
    meta.write_text("{not json")
    [again] = service.submit(music, seed=99).future.result(20)
    assert again.cached and again.path == made.path and again.request_id is None
