"""GenerationService with a fake provider: cache, retries, cancellation, limits, takes."""

import errno
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import soundfile as sf

from audiostudio.errors import (
    AuthenticationError,
    BadRequestError,
    CancelledError,
    ContentRefusedError,
    GenerationError,
    RateLimitedError,
    ServiceError,
    UnknownProviderError,
)
from audiostudio.generation.batch import estimate, generate_clips
from audiostudio.generation.cache import AssetCache
from audiostudio.generation.service import GenerationService, RetryPolicy
from audiostudio.generation.takes import clips_to_generate, reuse_edit
from audiostudio.model import CastEntry, Clip, Project, Request, Take, Track
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.edits import apply
from audiostudio.model.request import cache_key, request_hash
from audiostudio.model.store import load_project, save_project
from tests.fakes.providers import FakeProvider

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05)


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=6) as executor:
        yield executor


def service_for(provider, pool, tmp_path, **kw):
    return GenerationService({"fake": provider}, pool, AssetCache(tmp_path / "cache"),
                             retry=kw.pop("retry", FAST), **kw)


def req(text="Hello", **kw):
    return Request(kind="voice", provider="fake", text=text, **kw)


def test_cache_hit_makes_no_provider_call(pool, tmp_path):
    fake = FakeProvider()
    service = service_for(fake, pool, tmp_path)
    first = service.submit(req(), seed=5).future.result(5)
    again = service.submit(req(), seed=5).future.result(5)
    assert fake.calls == 1 and again[0].cached and not first[0].cached
    assert again[0].path == first[0].path and again[0].path.is_file()
    service.submit(req(), seed=6).future.result(5)  # another seed is another result
    assert fake.calls == 2
    fake.version = "2"  # a changed engine never serves stale audio
    service.submit(req(), seed=5).future.result(5)
    assert fake.calls == 3


def test_retries_rate_limits_and_transient_errors(pool, tmp_path):
    fake = FakeProvider(failures=[RateLimitedError("slow down"), ServiceError("502")])
    result = service_for(fake, pool, tmp_path).submit(req(), seed=1).future.result(5)
    assert fake.calls == 3 and result[0].path.is_file()


def test_retry_after_is_honoured(pool, tmp_path):
    fake = FakeProvider(failures=[RateLimitedError("later", retry_after=0.3)])
    started = time.monotonic()
    service_for(fake, pool, tmp_path).submit(req(), seed=1).future.result(5)
    assert time.monotonic() - started >= 0.3 and fake.calls == 2


@pytest.mark.parametrize(
    "error",
    [AuthenticationError("bad key"), BadRequestError("x", field="voice"),
     ContentRefusedError("no")],
)
def test_no_retry_on_permanent_errors(pool, tmp_path, error):
    fake = FakeProvider(failures=[error, error, error])
    with pytest.raises(type(error)):
        service_for(fake, pool, tmp_path).submit(req(), seed=1).future.result(5)
    assert fake.calls == 1


def test_gives_up_after_max_attempts(pool, tmp_path):
    fake = FakeProvider(failures=[ServiceError("down")] * 10)
    with pytest.raises(ServiceError):
        service_for(fake, pool, tmp_path).submit(req(), seed=1).future.result(5)
    assert fake.calls == FAST.max_attempts


def test_cancellation_is_prompt(pool, tmp_path):
    fake = FakeProvider(work_s=10.0)
    job = service_for(fake, pool, tmp_path).submit(req(), seed=1)
    time.sleep(0.1)
    started = time.monotonic()
    job.cancel()
    with pytest.raises(Exception) as exc:
        job.future.result(2)
    assert time.monotonic() - started < 0.5
    assert isinstance(exc.value, CancelledError) or "Cancelled" in type(exc.value).__name__


def test_cancel_during_back_off(pool, tmp_path):
    fake = FakeProvider(failures=[RateLimitedError("wait", retry_after=30)])
    job = service_for(fake, pool, tmp_path).submit(req(), seed=1)
    time.sleep(0.1)
    started = time.monotonic()
    job.cancel()
    with pytest.raises(Exception):  # noqa: B017 - either cancellation type is fine here
        job.future.result(2)
    assert time.monotonic() - started < 0.5 and fake.calls == 1


def test_concurrency_limit_per_provider(pool, tmp_path):
    fake = FakeProvider(work_s=0.1)
    service = service_for(fake, pool, tmp_path, limits={"fake": 2})
    jobs = [service.submit(req(f"line {i}"), seed=i) for i in range(6)]
    for job in jobs:
        job.future.result(5)
    assert fake.max_running == 2 and fake.calls == 6


def test_resolve_fills_defaults_and_cast(pool, tmp_path):
    service = service_for(FakeProvider(), pool, tmp_path)
    cast = CastEntry("fake", "fake:narrator", {"warmth": 0.9})
    resolved = service.resolve(req(), cast)
    assert resolved.voice == "fake:narrator" and resolved.params == {"warmth": 0.9}
    assert resolved.model == "fake-1"
    plain = service.resolve(req(params={"fake": {"warmth": 0.1}, "other": {"x": 1}}))
    assert plain.voice == "fake:a" and plain.params == {"warmth": 0.1}
    with pytest.raises(UnknownProviderError, match="nosuch"):
        service.resolve(Request(kind="sfx", provider="nosuch"))


def test_hashes_are_canonical():
    assert request_hash(req(duration=2)) == request_hash(req(duration=2.0))
    assert request_hash(req("caf\u00e9")) == request_hash(req("cafe\u0301"))
    assert request_hash(req("a")) != request_hash(req("b"))
    base = {"kind": "sfx", "duration": 1.0}
    assert cache_key(base, 1, 0, "e1") == cache_key({"duration": 1, "kind": "sfx"}, 1, 0, "e1")
    assert cache_key(base, 1, 0, "e1") != cache_key(base, 1, 0, "e2")
    assert cache_key(base, 1, 0, "e1") != cache_key(base, 2, 0, "e1")


def scene(tmp_path, texts=("One", "Two", "Three")):
    folder = tmp_path / "proj"
    folder.mkdir()
    project = Project(tracks=[Track("t", kind="voice", clips=[
        Clip(f"c{i}", name=f"Line {i}", start=float(i * 2), request=req(text))
        for i, text in enumerate(texts)])])
    save_project(project, folder)
    return project, folder


def test_generate_stale_and_new_take_semantics(pool, tmp_path):
    fake = FakeProvider()
    service = service_for(fake, pool, tmp_path)
    project, folder = scene(tmp_path)
    assert [clip_state(c) for _, c in project.iter_clips()] == [ClipState.EMPTY] * 3
    result = generate_clips(service, project, folder)
    assert sorted(result.succeeded) == ["c0", "c1", "c2"] and fake.calls == 3
    clip = project.find_clip("c0")[1]
    assert clip_state(clip) is ClipState.CURRENT and clip.take == 0
    assert clip.source == clip.takes[0].source and (folder / clip.source).is_file()
    assert clip.duration == pytest.approx(0.5) and clip.source_duration == pytest.approx(0.5)
    assert isinstance(clip.takes[0].seed, int) and clip.takes[0].provider == "fake"
    # nothing to do when everything is current
    assert generate_clips(service, project, folder).succeeded == [] and fake.calls == 3
    # editing the text makes the clip stale; generate gives it a second take
    clip.request.text = "One, again"
    assert clip_state(clip) is ClipState.STALE
    assert clips_to_generate(project) == [clip]
    generate_clips(service, project, folder)
    clip = project.find_clip("c0")[1]
    assert len(clip.takes) == 2 and clip.take == 1 and fake.calls == 4
    # a new take draws a new seed even though nothing changed
    generate_clips(service, project, folder, [clip], new_take=True)
    clip = project.find_clip("c0")[1]
    assert len(clip.takes) == 3 and clip.take == 2
    assert clip.takes[2].seed != clip.takes[1].seed
    save_project(project, folder)
    reloaded = load_project(folder).project.find_clip("c0")[1]
    assert len(reloaded.takes) == 3 and clip_state(reloaded) is ClipState.CURRENT


def test_request_seed_is_used_and_recorded(pool, tmp_path):
    service = service_for(FakeProvider(), pool, tmp_path)
    project, folder = scene(tmp_path, texts=("One",))
    project.tracks[0].clips[0].request.seed = 1234
    generate_clips(service, project, folder)
    assert project.tracks[0].clips[0].takes[0].seed == 1234


def test_one_failed_clip_loses_nothing_else(pool, tmp_path):
    fake = FakeProvider(fail_prompts={"Two": ContentRefusedError("refused")})
    service = service_for(fake, pool, tmp_path)
    project, folder = scene(tmp_path)
    result = generate_clips(service, project, folder)
    assert sorted(result.succeeded) == ["c0", "c2"] and list(result.failed) == ["c1"]
    assert project.find_clip("c1")[1].takes == []
    assert all(project.find_clip(c)[1].source for c in ("c0", "c2"))


def test_a_programming_error_propagates_instead_of_failing_the_clip(pool, tmp_path):
    fake = FakeProvider(fail_prompts={"Two": TypeError("bug in the provider")})
    service = service_for(fake, pool, tmp_path)
    project, folder = scene(tmp_path)
    with pytest.raises(TypeError, match="bug in the provider"):
        generate_clips(service, project, folder)


def test_variants_become_takes(pool, tmp_path):
    service = service_for(FakeProvider(), pool, tmp_path)
    project, folder = scene(tmp_path, texts=("One",))
    project.tracks[0].clips[0].request.variants = 2
    generate_clips(service, project, folder)
    clip = project.tracks[0].clips[0]
    assert [t.variant for t in clip.takes] == [0, 1] and clip.take == 0
    a, b = (sf.read(str(folder / t.source))[0] for t in clip.takes)
    assert not (a == b).all()


def test_result_for_an_edited_clip_only_lands_in_the_cache(pool, tmp_path):
    fake = FakeProvider(work_s=0.2)
    service = service_for(fake, pool, tmp_path)
    project, folder = scene(tmp_path, texts=("One",))
    request = project.tracks[0].clips[0].request
    job = service.submit(request, seed=3)
    time.sleep(0.05)
    project.tracks[0].clips[0].request = req("Changed")
    results = job.future.result(5)
    from audiostudio.generation.takes import prepare_takes, takes_edit, wanted

    assert not wanted(project, "c0", request)
    assert takes_edit(project, "c0", prepare_takes(folder, job, results, fake)) is None
    assert service.cache.get(results[0].cache_key) is not None


def test_estimate_sums_per_unit(pool, tmp_path):
    service = service_for(FakeProvider(), pool, tmp_path)
    project, _ = scene(tmp_path)
    assert estimate(service, project, [c for _, c in project.iter_clips()])["credits"].amount == 30


def test_jobs_waiting_for_a_slot_hold_no_thread(tmp_path):
    """Two threads, a busy provider limited to one job at a time with three queued: another
    provider's job still gets the second thread at once."""
    slow, quick = FakeProvider(work_s=0.4), FakeProvider()
    quick.name = "quick"
    with ThreadPoolExecutor(max_workers=2) as two_threads:
        service = GenerationService({"fake": slow, "quick": quick}, two_threads,
                                    AssetCache(tmp_path / "cache"), limits={"fake": 1},
                                    retry=FAST)
        started = time.monotonic()
        queued = [service.submit(req(f"line {i}"), seed=i) for i in range(3)]
        assert service.queued("fake") == 2
        other = service.submit(Request(kind="voice", provider="quick", text="hi"), seed=1)
        other.future.result(5)
        assert time.monotonic() - started < 0.3  # did not wait behind the slow queue
        queued[2].cancel()  # a queued job cancels without ever running
        assert queued[1].future.result(5) and queued[2].future.cancelled()
        assert slow.calls == 2 and slow.max_running == 1
        assert queued[0].resolved.text == "line 0" and queued[0].seed == 0


@pytest.mark.parametrize("request_", [req("  "), Request(kind="sfx", provider="fake"),
                                      Request(kind="music", provider="fake", prompt="")])
def test_an_empty_line_or_prompt_is_refused_before_any_call(pool, tmp_path, request_):
    fake = FakeProvider()
    with pytest.raises(BadRequestError, match=r"no (text|prompt) yet"):
        service_for(fake, pool, tmp_path).submit(request_, seed=1)
    assert fake.calls == 0


def test_a_full_disk_is_said_once_and_the_next_clip_still_generates(pool, tmp_path):
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "cache" / "x.wav"))
    fake = FakeProvider(failures=[full])
    service = service_for(fake, pool, tmp_path)
    with pytest.raises(GenerationError, match="Could not store the generated audio: No space "
                                              "left on device"):
        service.submit(req("One"), seed=1).future.result(5)
    assert fake.calls == 1  # not retried: it would fail the same way
    assert service.submit(req("Two"), seed=1).future.result(5)[0].path.is_file()


def test_a_cache_that_cannot_be_written_ends_the_job_with_an_error(pool, tmp_path):
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    service = service_for(FakeProvider(), pool, tmp_path)
    with pytest.raises(GenerationError, match="Could not store the generated audio"):
        service.submit(req(), seed=1).future.result(5)  # an error, never a job left hanging


def test_extras_that_cannot_be_kept_never_cost_the_audio(tmp_path):
    """The audio moves in first; the request id beside it is lost on a full disk or with a
    value JSON cannot hold, never the paid-for take."""
    cache = AssetCache(tmp_path / "cache")
    take = tmp_path / "take.wav"
    take.write_bytes(b"RIFF....WAVE")
    entry = cache.put("ab" + "0" * 62, take, {"request_id": object()})  # not JSON
    assert entry.read_bytes() == b"RIFF....WAVE" and cache.get("ab" + "0" * 62) == entry
    assert cache.meta("ab" + "0" * 62) == {}
    assert not list((tmp_path / "cache").rglob("*.part"))


def test_an_older_take_chosen_again_keeps_a_fitted_lines_trim(tmp_path):
    """A fitted line's new take plays from its start (made to the slot); picking or reusing
    an older take keeps the start the user trimmed (a project from before keeps its trims)."""
    folder = tmp_path / "project"
    (folder / "assets").mkdir(parents=True)
    for name in ("one.wav", "two.wav"):
        sf.write(str(folder / "assets" / name), [[0.0]] * 48000, 48000)
    clip = Clip("c", start=0.0, offset=0.3, duration=0.7, source="assets/two.wav", take=1,
                takes=[Take(source="assets/one.wav"), Take(source="assets/two.wav")],
                request=Request(kind="voice", provider="fake", text="Hi", fit=True,
                                duration=0.7))
    project = Project(name="p", tracks=[Track("t", clips=[clip])])
    apply(project, reuse_edit(folder, clip, 0, AssetCache(tmp_path / "cache")))
    assert clip.take == 0 and clip.offset == 0.3 and clip.duration == pytest.approx(0.7)
