"""A clip's generation state, as the timeline and `generate` read it."""

from audiostudio.model import Clip, Request
from audiostudio.model.clip_state import ClipState, clip_state


def test_audio_without_a_take_is_stale_not_empty():
    request = Request(kind="voice", text="Hello")
    assert clip_state(Clip("a")) is ClipState.NO_REQUEST
    assert clip_state(Clip("b", request=request)) is ClipState.EMPTY
    # Audio the request never made (placed by hand, an older tool): drawn, heard, replaceable.
    assert clip_state(Clip("c", request=request, source="assets/x.wav")) is ClipState.STALE
