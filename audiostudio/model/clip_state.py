"""Whether a clip's audio matches its request: what "generate" works on and the timeline shows."""

from __future__ import annotations

from enum import Enum

from audiostudio.model.project import Clip
from audiostudio.model.request import request_hash


class ClipState(Enum):
    NO_REQUEST = "no-request"  # a plain imported clip
    EMPTY = "empty"  # a prompt with no audio yet
    STALE = "stale"  # the request changed since its take was made (or its audio is no take)
    CURRENT = "current"


def clip_state(clip: Clip) -> ClipState:
    if clip.request is None:
        return ClipState.NO_REQUEST
    if clip.take is None or not clip.takes:
        # Audio that no take of this request made (placed by hand, or by an older tool) is
        # heard and drawn; generating replaces it.
        return ClipState.STALE if clip.source else ClipState.EMPTY
    if clip.takes[clip.take].request_hash != request_hash(clip.request):
        return ClipState.STALE
    return ClipState.CURRENT
