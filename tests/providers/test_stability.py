"""StabilityProvider against a local fake of the Stable Audio API, through real ``requests``."""

from __future__ import annotations

import pytest
import soundfile as sf

from audiostudio.errors import (
    AuthenticationError,
    BadRequestError,
    ContentRefusedError,
    ProviderError,
    ProviderTimeoutError,
    QuotaExceededError,
    RateLimitedError,
    ServiceError,
)
from audiostudio.generation.batch import generate_clips
from audiostudio.generation.cache import AssetCache
from audiostudio.generation.service import GenerationService, RetryPolicy
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.assets import resolve_path
from audiostudio.providers.base import Resolved
from audiostudio.providers.config import ProviderConfig
from audiostudio.providers.stability import StabilityProvider
from tests.fakes.audio_http import mp3_bytes, wav_bytes
from tests.fakes.stability_server import StabilityServer

KEY = "sk-stab-test-0123456789"
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)


@pytest.fixture
def server():
    with StabilityServer(KEY) as fake:
        yield fake


def provider_for(server, key=KEY, **kw) -> StabilityProvider:
    return StabilityProvider(ProviderConfig(server.url, key, "env", connect_timeout_s=2,
                                            read_timeout_s=kw.pop("read_timeout_s", 5), **kw))


def resolved(kind="sfx", prompt="a door slams", duration=1.0, model="stable-audio-2.5",
             variants=1, **params) -> Resolved:
    return Resolved(kind, model, None, prompt, None, None, duration, variants,
                    {"output_format": "wav", "steps": None, "cfg_scale": None, **params})


def run(provider, request, tmp_path, seed=7):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return provider.generate(request, seed, work, lambda f, label="": None, lambda: False)


def service_for(provider, pool, tmp_path):
    return GenerationService({"stability": provider}, pool, AssetCache(tmp_path / "cache"),
                             retry=FAST)


def stability_request(**kw) -> Request:
    return Request(kind=kw.pop("kind", "sfx"), provider="stability",
                   prompt=kw.pop("prompt", "rain on a tin roof"), **kw)


def test_request_is_the_documented_multipart_call(server, tmp_path):
    [result] = run(provider_for(server), resolved(duration=1.5), tmp_path, seed=42)
    [sent] = server.generations()
    assert sent.method == "POST" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["accept"] == "audio/*"
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert sent.form == {"prompt": "a door slams", "duration": "1.5", "seed": "42",
                         "model": "stable-audio-2.5", "output_format": "wav"}  # no steps/cfg
    assert result.audio.suffix == ".wav" and result.seed == 42 and result.variant == 0
    assert result.audio.read_bytes() == wav_bytes(1.5, 200 + 42)  # as sent, untouched
    info = sf.info(str(result.audio))
    assert info.samplerate == 44100 and info.channels == 2
    assert info.frames == round(1.5 * 44100)
    assert result.cost is not None and result.cost.amount == 20.0


@pytest.mark.parametrize(("kind", "seconds", "fmt"), [("sfx", "6", "mp3"),
                                                      ("music", "30", "wav")])
def test_no_duration_asks_for_the_kind_default_never_190(server, tmp_path, kind, seconds, fmt):
    [result] = run(provider_for(server), resolved(kind=kind, duration=None, output_format=fmt),
                   tmp_path)
    assert server.generations()[0].form["duration"] == seconds
    assert server.generations()[0].form["output_format"] == fmt
    assert result.audio.suffix == f".{fmt}"
    sent = (mp3_bytes if fmt == "mp3" else wav_bytes)(float(seconds), 200 + 7)
    assert result.audio.read_bytes() == sent
    assert abs(sf.info(str(result.audio)).duration - float(seconds)) < 0.2  # MP3 padding


def test_steps_and_cfg_scale_are_sent_when_set(server, tmp_path):
    run(provider_for(server), resolved(model="stable-audio-2", steps=40, cfg_scale=7.5),
        tmp_path)
    form = server.generations()[0].form
    assert form["steps"] == "40" and form["cfg_scale"] == "7.5"
    assert form["model"] == "stable-audio-2"


@pytest.mark.parametrize(("request_", "field"), [
    (resolved(steps=40), "steps"),  # 2.5 takes 4-8
    (resolved(model="stable-audio-2", steps=8), "steps"),  # 2 takes 30-100
    (resolved(duration=191), "duration"),
    (resolved(duration=0.5), "duration"),
    (resolved(cfg_scale=30), "cfg_scale"),
    (resolved(model="stable-audio-3"), "model"),
    (resolved(output_format="flac"), "output_format"),
    (resolved(kind="voice"), "kind"),
])
def test_values_the_service_refuses_are_refused_before_sending(server, tmp_path, request_,
                                                               field):
    with pytest.raises(BadRequestError) as caught:
        run(provider_for(server), request_, tmp_path)
    assert caught.value.field == field and field in str(caught.value)
    assert server.generations() == []  # nothing was sent, nothing was paid


def test_variants_are_separate_calls_with_their_own_seeds(server, pool, tmp_path):
    service = service_for(provider_for(server), pool, tmp_path)
    results = service.submit(stability_request(duration=1.0, variants=2), seed=100
                             ).future.result(10)
    assert [s.form["seed"] for s in server.generations()] == ["100", "101"]
    assert [r.seed for r in results] == [100, 101] and [r.variant for r in results] == [0, 1]
    assert results[0].path != results[1].path
    assert results[0].path.read_bytes() != results[1].path.read_bytes()
    assert service.estimate(stability_request(variants=2)).amount == 40.0


@pytest.mark.parametrize(("cue", "error", "words"), [
    ("401", AuthenticationError, "key was refused"),
    ("402", QuotaExceededError, "out of credits"),
    ("403", ContentRefusedError, "content moderation"),
    ("filtered", ContentRefusedError, "reword"),
])
def test_permanent_errors_are_clear_and_not_retried(server, pool, tmp_path, cue, error, words):
    server.cue(cue, cue, cue)
    service = service_for(provider_for(server), pool, tmp_path)
    with pytest.raises(error) as caught:
        service.submit(stability_request(duration=1.0), seed=1).future.result(10)
    assert words in str(caught.value) and str(caught.value).startswith("stability: ")
    assert len(server.generations()) == 1
    assert not list((tmp_path / "cache").rglob("*.wav"))


def test_a_422_names_the_field_the_service_named(server, tmp_path):
    server.cue("422")
    with pytest.raises(BadRequestError) as caught:
        run(provider_for(server), resolved(), tmp_path)
    assert caught.value.field == "prompt" and "prompt: contains words" in str(caught.value)


@pytest.mark.parametrize(("cue", "error"), [("429", RateLimitedError), ("500", ServiceError)])
def test_rate_limits_and_server_errors_are_retried(server, pool, tmp_path, cue, error):
    server.cue(cue)
    with pytest.raises(error):
        run(provider_for(server), resolved(), tmp_path)
    server.received.clear()
    server.cue(cue)
    service = service_for(provider_for(server), pool, tmp_path)
    [result] = service.submit(stability_request(duration=1.0), seed=3).future.result(10)
    assert len(server.generations()) == 2 and sf.info(str(result.path)).frames == 44100


def test_a_slow_answer_is_a_timeout(server, tmp_path):
    server.cue("slow")
    with pytest.raises(ProviderTimeoutError) as caught:
        run(provider_for(server, read_timeout_s=0.5), resolved(), tmp_path)
    assert caught.value.retryable


@pytest.mark.parametrize("cue", ["cut", "cut_chunked"])
def test_a_cut_stream_leaves_nothing_behind_and_is_fetched_again_in_full(server, pool,
                                                                         tmp_path, cue):
    service = GenerationService({"stability": provider_for(server)}, pool,
                                AssetCache(tmp_path / "cache"),
                                retry=RetryPolicy(max_attempts=1))
    clip = Clip("boom", name="Boom", start=0.0, request=stability_request(duration=1.0,
                                                                          seed=9))
    project = Project(tracks=[Track("fx", kind="sfx", clips=[clip])])
    folder = tmp_path / "project"
    folder.mkdir()
    server.cue(cue)
    result = generate_clips(service, project, folder)
    assert isinstance(result.failed["boom"], ServiceError)
    assert "nothing was kept" in str(result.failed["boom"])
    assert clip.takes == [] and clip.source is None  # no take
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no asset, no cache entry
    assert service.cache.get(service.cache_keys(clip.request, 9)[0]) is None
    assert generate_clips(service, project, folder).succeeded == ["boom"]
    assert len(server.generations()) == 2  # fetched again, in full
    assert resolve_path(folder, clip.takes[0].source).read_bytes() == wav_bytes(1.0, 200 + 9)


def test_the_key_stays_out_of_messages_reprs_and_files(server, pool, tmp_path):
    provider = provider_for(server)
    assert KEY not in repr(provider) and KEY not in repr(provider.config)
    messages = []
    for cue in ("401", "402", "422", "500"):
        server.cue(cue)
        with pytest.raises(ProviderError) as caught:
            run(provider, resolved(), tmp_path)
        messages.append(f"{caught.value} {caught.value!r}")
    assert all(KEY not in m for m in messages)
    service = service_for(provider, pool, tmp_path)
    service.submit(stability_request(duration=1.0), seed=4).future.result(10)
    assert all(KEY.encode() not in p.read_bytes()
               for p in tmp_path.rglob("*") if p.is_file())


def test_no_key_is_a_clear_error_and_no_call(server, tmp_path):
    keyless = provider_for(server, key=None)
    assert "STABILITY_API_KEY" in keyless.unavailable_reason()  # listed, disabled, how to fix
    assert provider_for(server).unavailable_reason() is None
    with pytest.raises(AuthenticationError, match="STABILITY_API_KEY"):
        run(keyless, resolved(), tmp_path)
    assert server.received == []


def test_the_service_refuses_voice_for_stable_audio(server, pool, tmp_path):
    service = service_for(provider_for(server), pool, tmp_path)
    with pytest.raises(BadRequestError, match="cannot make voice"):
        service.submit(Request(kind="voice", provider="stability", text="Hi"), seed=1)


def test_the_account_check_shows_the_credit_balance(server):
    account = provider_for(server).account()
    assert account.credits_left == 118.5 and account.concurrency == 4
    [asked] = server.received
    assert (asked.method, asked.path) == ("GET", "/v1/user/balance")
    assert asked.headers["authorization"] == f"Bearer {KEY}"
    with pytest.raises(AuthenticationError, match="key was refused"):
        provider_for(server, key="sk-wrong").account()
