"""SunoProvider against a local fake of the sunoapi.org partner API, through real ``requests``."""

from __future__ import annotations

import pytest
import soundfile as sf

from audiostudio.errors import (
    AuthenticationError,
    BadRequestError,
    CancelledError,
    ContentRefusedError,
    ProviderError,
    ProviderTimeoutError,
    QuotaExceededError,
    RateLimitedError,
    ServiceError,
    TaskDeadlineError,
)
from audiostudio.generation.batch import generate_clips
from audiostudio.generation.cache import AssetCache
from audiostudio.generation.service import GenerationService, RetryPolicy
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.assets import resolve_path
from audiostudio.providers.base import Resolved
from audiostudio.providers.config import ProviderConfig
from audiostudio.providers.suno import SunoProvider
from audiostudio.providers.suno_flavours import KIE_AI, SUNOAPI_ORG, flavour_for
from tests.fakes.suno_server import GENERATE, RECORD_INFO, SunoServer, song_bytes

KEY = "suno-test-key-abcdef0123"
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)


@pytest.fixture
def server():
    with SunoServer(KEY) as fake:
        yield fake


def provider_for(server, tmp_path, key=KEY, **kw) -> SunoProvider:
    return SunoProvider(ProviderConfig(
        server.url, key, "env", connect_timeout_s=2, read_timeout_s=5,
        state_dir=tmp_path / "cache" / "tasks", poll_interval_s=0.005,
        task_deadline_s=kw.pop("task_deadline_s", 5.0), **kw))


def resolved(prompt="warm lo-fi beat with vinyl crackle", lyrics=None, model="V4_5",
             variants=1, **params) -> Resolved:
    return Resolved("music", model, None, prompt, lyrics, None, None, variants,
                    {"instrumental": False, **params})


def run(provider, request, tmp_path, cancelled=lambda: False):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return provider.generate(request, 1, work, lambda f, label="": None, cancelled)


def service_for(provider, pool, tmp_path, retry=FAST):
    return GenerationService({"suno": provider}, pool, AssetCache(tmp_path / "cache"),
                             retry=retry)


def suno_request(**kw) -> Request:
    return Request(kind="music", provider="suno", prompt=kw.pop("prompt", "a sea shanty"), **kw)


def pending_files(tmp_path):
    folder = tmp_path / "cache" / "tasks"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_a_description_is_a_non_custom_task_polled_to_two_songs(server, tmp_path):
    results = run(provider_for(server, tmp_path), resolved(instrumental=True), tmp_path)
    [sent] = server.generate_calls()
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json == {"customMode": False, "instrumental": True, "model": "V4_5",
                         "prompt": "warm lo-fi beat with vinyl crackle",
                         "callBackUrl": "https://callback.invalid/audiostudio-polls"}
    polls = server.requests_to(RECORD_INFO)
    task = next(iter(server.tasks))
    assert len(polls) == 4 and all(p.query == {"taskId": task} for p in polls)
    assert all(p.headers["authorization"] == f"Bearer {KEY}" for p in polls)
    assert [r.variant for r in results] == [0, 1] and [r.seed for r in results] == [None, None]
    assert [r.request_id for r in results] == [f"{task}-0", f"{task}-1"]
    for index, result in enumerate(results):
        assert result.audio.suffix == ".mp3"
        assert result.audio.read_bytes() == song_bytes(index)  # stored as sent
        assert abs(sf.info(str(result.audio)).duration - (1.0, 1.5)[index]) < 0.1
    assert sum(r.cost.amount for r in results) == 12.0
    files = server.file_requests()
    assert len(files) == 2 and all("authorization" not in f.headers for f in files)
    assert pending_files(tmp_path) == []  # collected: nothing left to pick up


def test_lyrics_are_a_custom_task_in_the_prompts_style_titled_by_the_first_line(server,
                                                                               tmp_path):
    lyrics = "[Verse]\nWe sail at dawn\n[Chorus]\nHeave ho"
    run(provider_for(server, tmp_path), resolved(prompt="sea shanty, male choir, accordion",
                                                 lyrics=lyrics, model="V5"), tmp_path)
    body = server.generate_calls()[0].json
    assert body["customMode"] is True and body["instrumental"] is False
    assert body["prompt"] == lyrics and body["style"] == "sea shanty, male choir, accordion"
    assert body["title"] == "We sail at dawn" and body["model"] == "V5"


def test_style_and_title_are_params_the_inspector_shows(server, tmp_path):
    specs = {p.name: p for p in provider_for(server, tmp_path).params()}
    assert [(specs[n].kind, specs[n].default) for n in ("style", "title", "negative_tags")] == [
        ("text", "")] * 3
    assert all(spec.kinds == ("music",) for spec in specs.values())


def test_a_style_and_title_of_its_own_are_sent_in_custom_mode(server, pool, tmp_path):
    """Through the service, as a clip's params: with lyrics the style replaces the prompt as
    the style; an instrumental with a style is a custom-mode task without lyrics."""
    service = service_for(provider_for(server, tmp_path), pool, tmp_path)
    sung = suno_request(prompt="a shanty about leaving port", lyrics="[Verse]\nWe sail at dawn",
                        model="V5", params={"suno": {"style": "sea shanty, male choir",
                                                     "title": "Dawn Sailing"}})
    bare = suno_request(prompt="slow ambient pads", params={"suno": {
        "instrumental": True, "style": "ambient, warm synth pads, 60 bpm",
        "negative_tags": "drums"}})
    for request in (sung, bare):
        assert len(service.submit(request, seed=1).future.result(20)) == 2
    first, second = (call.json for call in server.generate_calls())
    assert first == {"customMode": True, "instrumental": False, "model": "V5",
                     "prompt": "[Verse]\nWe sail at dawn", "style": "sea shanty, male choir",
                     "title": "Dawn Sailing",
                     "callBackUrl": "https://callback.invalid/audiostudio-polls"}
    assert second == {"customMode": True, "instrumental": True, "model": "V4_5",
                      "style": "ambient, warm synth pads, 60 bpm", "title": "slow ambient pads",
                      "negativeTags": "drums", "callBackUrl": "https://callback.invalid/audiostudio-polls"}
    assert [t.body["title"] for t in server.tasks.values()] == ["Dawn Sailing",
                                                                "slow ambient pads"]


def test_tags_to_keep_out_of_a_sung_song_without_lyrics_are_refused_saying_why(server,
                                                                              tmp_path):
    with pytest.raises(BadRequestError, match="tags to keep out of your own only with lyrics "
                                              "or for an instrumental"):
        run(provider_for(server, tmp_path), resolved(negative_tags="drums"), tmp_path)
    assert server.received == []


def test_titles_up_to_the_models_limit_are_sent(server, tmp_path):
    provider = provider_for(server, tmp_path)
    run(provider, resolved(lyrics="la la", model="V5", title="t" * 100), tmp_path)
    assert server.generate_calls()[0].json["title"] == "t" * 100  # and the service took it
    with pytest.raises(BadRequestError, match="80") as caught:
        run(provider, resolved(lyrics="la la", model="V4", title="t" * 81), tmp_path)
    assert caught.value.field == "title" and len(server.generate_calls()) == 1


@pytest.mark.parametrize(("request_", "field"), [
    (resolved(style="synthwave"), "style"),  # a sung song without lyrics: Suno writes it all
    (resolved(title="Night Drive"), "title"),
    (resolved(lyrics="la", style="y" * 201, model="V4"), "style"),
    (resolved(prompt="x" * 501), "prompt"),  # non-custom descriptions: 500
    (resolved(lyrics="x" * 3001, model="V4"), "lyrics"),  # V4 lyrics: 3000
    (resolved(lyrics="la", prompt="y" * 201, model="V3_5"), "prompt"),  # V3_5 style: 200
    (resolved(lyrics="la", prompt=None), "prompt"),  # custom mode needs a style
    (resolved(lyrics="la", instrumental=True), "instrumental"),
    (resolved(model="V9"), "model"),
    (resolved(variants=3), "variants"),
    (resolved(prompt=""), "prompt"),
])
def test_what_the_service_refuses_is_refused_before_paying(server, tmp_path, request_, field):
    with pytest.raises(BadRequestError) as caught:
        run(provider_for(server, tmp_path), request_, tmp_path)
    assert caught.value.field == field
    assert server.received == []


def test_two_variants_become_two_takes_the_first_chosen(server, pool, tmp_path):
    service = service_for(provider_for(server, tmp_path), pool, tmp_path)
    clip = Clip("song", name="Song", start=0.0, request=suno_request(variants=2))
    project = Project(tracks=[Track("m", kind="music", clips=[clip])])
    folder = tmp_path / "project"
    folder.mkdir()
    result = generate_clips(service, project, folder)
    assert result.succeeded == ["song"] and not result.failed
    assert len(server.generate_calls()) == 1  # one paid task made both
    assert [t.variant for t in clip.takes] == [0, 1] and clip.take == 0
    assert clip.source == clip.takes[0].source != clip.takes[1].source
    for index, take in enumerate(clip.takes):
        assert resolve_path(folder, take.source).read_bytes() == song_bytes(index)
        assert take.seed is None and take.cost == {"amount": 6.0, "unit": "credits"}
    assert abs(clip.source_duration - 1.0) < 0.1


def test_a_task_cut_off_by_its_deadline_is_polled_again_not_paid_again(server, pool, tmp_path):
    server.hold = True
    first = service_for(provider_for(server, tmp_path, task_deadline_s=0.1), pool, tmp_path)
    with pytest.raises(TaskDeadlineError, match="without paying twice"):
        first.submit(suno_request(variants=2), seed=11).future.result(10)
    assert len(pending_files(tmp_path)) == 1
    assert KEY not in pending_files(tmp_path)[0].read_text()
    # A new process: a fresh provider and service, and a newly drawn seed for the clip.
    server.hold = False
    again = service_for(provider_for(server, tmp_path), pool, tmp_path)
    results = again.submit(suno_request(variants=2), seed=12).future.result(10)
    assert len(server.generate_calls()) == 1
    assert [r.path.read_bytes() for r in results] == [song_bytes(0), song_bytes(1)]
    assert pending_files(tmp_path) == []


def test_a_cancelled_task_is_remembered_too(server, tmp_path):
    server.hold = True
    polls = []
    with pytest.raises(CancelledError):
        run(provider_for(server, tmp_path), resolved(), tmp_path,
            cancelled=lambda: polls.append(1) or len(polls) > 3)
    assert len(pending_files(tmp_path)) == 1
    server.hold = False
    assert len(run(provider_for(server, tmp_path), resolved(), tmp_path)) == 2
    assert len(server.generate_calls()) == 1


def test_identical_requests_at_once_each_get_their_own_task(server, pool, tmp_path):
    service = service_for(provider_for(server, tmp_path), pool, tmp_path)
    jobs = [service.submit(suno_request(variants=2), seed=s) for s in (1, 2)]
    results = [job.future.result(10) for job in jobs]
    assert len(server.generate_calls()) == 2 and len(server.tasks) == 2
    assert results[0][0].path != results[1][0].path


@pytest.mark.parametrize(("cue", "error", "words"), [
    ("401", AuthenticationError, "key was refused"),
    ("429", QuotaExceededError, "too few credits"),
])
def test_account_errors_are_clear_and_not_retried(server, pool, tmp_path, cue, error, words):
    server.cue(cue, cue, at="generate")
    service = service_for(provider_for(server, tmp_path), pool, tmp_path)
    with pytest.raises(error, match=words):
        service.submit(suno_request(), seed=1).future.result(10)
    assert len(server.generate_calls()) == 1 and pending_files(tmp_path) == []


@pytest.mark.parametrize(("cue", "error"), [("430", RateLimitedError), ("455", ServiceError),
                                            ("500", ServiceError)])
def test_busy_and_failing_service_is_retried(server, pool, tmp_path, cue, error):
    server.cue(cue, at="generate")
    with pytest.raises(error):
        run(provider_for(server, tmp_path), resolved(), tmp_path)
    server.cue(cue, at="generate")
    service = service_for(provider_for(server, tmp_path), pool, tmp_path)
    assert len(service.submit(suno_request(), seed=1).future.result(10)) == 2
    assert len(server.generate_calls()) == 3 and len(server.tasks) == 1


def test_polling_too_often_slows_down_instead_of_failing(server, tmp_path):
    server.cue("430", "430", at="poll")
    assert len(run(provider_for(server, tmp_path), resolved(), tmp_path)) == 2
    assert len(server.requests_to(RECORD_INFO)) == 6


def test_a_slow_poll_is_a_timeout_and_the_task_is_kept(server, tmp_path):
    server.cue("slow", at="poll")
    slow = SunoProvider(ProviderConfig(server.url, KEY, "env", read_timeout_s=0.5,
                                       state_dir=tmp_path / "cache" / "tasks",
                                       poll_interval_s=0.005))
    with pytest.raises(ProviderTimeoutError) as caught:
        run(slow, resolved(), tmp_path)
    assert caught.value.retryable and len(pending_files(tmp_path)) == 1
    assert len(run(provider_for(server, tmp_path), resolved(), tmp_path)) == 2
    assert len(server.generate_calls()) == 1


def test_a_failed_placeholder_callback_does_not_fail_the_song(server, tmp_path):
    server.outcome = "CALLBACK_EXCEPTION"
    results = run(provider_for(server, tmp_path), resolved(), tmp_path)
    assert [r.audio.read_bytes() for r in results] == [song_bytes(0), song_bytes(1)]
    assert len(server.requests_to(RECORD_INFO)) == 4  # polled on past the callback's failure


def test_refused_words_are_a_content_error_and_forgotten(server, tmp_path):
    server.outcome = "SENSITIVE_WORD_ERROR"
    with pytest.raises(ContentRefusedError, match="not allowed"):
        run(provider_for(server, tmp_path), resolved(), tmp_path)
    assert pending_files(tmp_path) == []  # the next run submits anew


def test_a_failed_task_is_not_retried_and_forgotten(server, pool, tmp_path):
    server.outcome = "GENERATE_AUDIO_FAILED"
    service = service_for(provider_for(server, tmp_path), pool, tmp_path)
    with pytest.raises(ProviderError, match="GENERATE_AUDIO_FAILED"):
        service.submit(suno_request(), seed=1).future.result(10)
    assert len(server.generate_calls()) == 1 and pending_files(tmp_path) == []


@pytest.mark.parametrize("cue", ["cut", "cut_chunked"])
def test_a_cut_download_leaves_nothing_and_the_rerun_does_not_pay(server, pool, tmp_path, cue):
    server.cue(cue, at="file")
    one_try = service_for(provider_for(server, tmp_path), pool, tmp_path,
                          retry=RetryPolicy(max_attempts=1))
    with pytest.raises(ServiceError, match="nothing was kept"):
        one_try.submit(suno_request(variants=2), seed=5).future.result(10)
    assert [p for p in (tmp_path / "cache").rglob("*")
            if p.is_file() and p.suffix != ".json"] == []
    assert all(one_try.cache.get(k) is None
               for k in one_try.cache_keys(suno_request(variants=2), 5))
    assert len(pending_files(tmp_path)) == 1  # paid for: kept for the next run
    results = one_try.submit(suno_request(variants=2), seed=5).future.result(10)
    assert [r.path.read_bytes() for r in results] == [song_bytes(0), song_bytes(1)]
    assert len(server.generate_calls()) == 1


def test_the_key_stays_out_of_messages_reprs_and_files(server, pool, tmp_path):
    provider = provider_for(server, tmp_path)
    assert KEY not in repr(provider) and KEY not in repr(provider.config)
    for cue in ("401", "429", "500"):
        server.cue(cue, at="generate")
        with pytest.raises(ProviderError) as caught:
            run(provider, resolved(), tmp_path)
        assert KEY not in f"{caught.value} {caught.value!r}"
    service_for(provider, pool, tmp_path).submit(suno_request(), seed=2).future.result(10)
    assert all(KEY.encode() not in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_no_key_is_a_clear_error_and_no_call(server, tmp_path):
    keyless = provider_for(server, tmp_path, key=None)
    assert "SUNO_API_KEY" in keyless.unavailable_reason()  # listed, disabled, how to fix
    assert provider_for(server, tmp_path).unavailable_reason() is None
    with pytest.raises(AuthenticationError, match="SUNO_API_KEY"):
        run(keyless, resolved(), tmp_path)
    assert server.received == []


def test_cost_is_one_task_whatever_the_variants(server, pool, tmp_path):
    service = service_for(provider_for(server, tmp_path), pool, tmp_path)
    assert service.estimate(suno_request()).amount == 12.0
    assert service.estimate(suno_request(variants=2)).amount == 12.0
    assert GENERATE not in [r.path for r in server.received]


def test_the_account_check_shows_the_credits_left(server, tmp_path):
    account = provider_for(server, tmp_path).account()
    assert account.credits_left == 488 and account.concurrency == 4
    [asked] = server.received
    assert (asked.method, asked.path) == ("GET", "/api/v1/generate/credit")
    assert asked.headers["authorization"] == f"Bearer {KEY}"
    with pytest.raises(AuthenticationError, match="key was refused"):
        provider_for(server, tmp_path, key="wrong").account()


def test_another_partner_is_a_flavour_kie_ai_says_credits_and_rates_its_own_way(tmp_path):
    assert flavour_for("https://api.kie.ai") is KIE_AI
    assert flavour_for("https://api.sunoapi.org") is SUNOAPI_ORG
    assert flavour_for("http://127.0.0.1:8080") is SUNOAPI_ORG
    with SunoServer(KEY, credit_path="/api/v1/chat/credit") as kie:
        provider = SunoProvider(ProviderConfig(kie.url, KEY, "env", poll_interval_s=0.005),
                                KIE_AI)
        assert provider.account().credits_left == 488
        kie.cue("402", at="generate")
        with pytest.raises(QuotaExceededError, match=r"kie\.ai"):
            run(provider, resolved(), tmp_path)
        kie.cue("429", "429", at="poll")  # kie.ai's "too many requests": poll less often
        assert len(run(provider, resolved(), tmp_path)) == 2
        assert len(kie.tasks) == 1 and len(kie.requests_to(RECORD_INFO)) == 6


def test_one_variant_asked_still_keeps_both_songs_as_takes(server, pool, tmp_path):
    service = service_for(provider_for(server, tmp_path), pool, tmp_path)
    clip = Clip("song", name="Song", start=0.0, request=suno_request())
    project = Project(tracks=[Track("m", kind="music", clips=[clip])])
    folder = tmp_path / "project"
    folder.mkdir()
    assert generate_clips(service, project, folder).succeeded == ["song"]
    assert [t.variant for t in clip.takes] == [0, 1] and clip.take == 0
    assert len({t.cache_key for t in clip.takes}) == 2  # each song cached under its own key
    assert [resolve_path(folder, t.source).read_bytes() for t in clip.takes] == [
        song_bytes(0), song_bytes(1)]
    assert len(server.generate_calls()) == 1




def test_the_inspector_edits_style_and_title_and_generate_sends_them(server, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from audiostudio.model.store import save_project
    from audiostudio.ui.document import Document
    from audiostudio.ui.generation import GenerationController
    from audiostudio.ui.inspector import Inspector

    folder = tmp_path / "song"
    folder.mkdir()
    save_project(Project(tracks=[Track("m", kind="music", clips=[Clip("c1", request=Request(
        kind="music", provider="suno", prompt="rain on a tin roof", lyrics="[Verse]\nDrip drop",
        model="V5"))])]), folder)
    document = Document()
    document.open(folder)
    gen = GenerationController(document, tmp_path / "cache",
                               {"suno": provider_for(server, tmp_path)}, {"suno": 1})
    inspector = Inspector(document, gen)
    qtbot.addWidget(inspector)
    document.select({"c1"})
    form = inspector.request_form
    style, title = form.param_widgets["style"], form.param_widgets["title"]
    assert style.text() == "" and "style tags" in style.placeholderText()
    title.editingFinished.emit()  # left untouched: no edit, the clip stays as it was
    assert document.project.find_clip("c1")[1].request.params == {}
    qtbot.keyClicks(style, "folk, banjo, rain sounds")
    qtbot.keyClick(style, Qt.Key.Key_Return)
    qtbot.keyClicks(title, "Tin Roof")
    qtbot.keyClick(title, Qt.Key.Key_Return)
    assert document.project.find_clip("c1")[1].request.params == {
        "suno": {"style": "folk, banjo, rain sounds", "title": "Tin Roof"}}
    qtbot.mouseClick(form.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: gen.rows and not gen.rows[-1].active, timeout=20000)
    assert gen.rows[-1].state == "done", gen.rows[-1].message
    [sent] = server.generate_calls()
    assert (sent.json["style"], sent.json["title"]) == ("folk, banjo, rain sounds", "Tin Roof")
    assert len(document.project.find_clip("c1")[1].takes) == 2
    gen.close()
