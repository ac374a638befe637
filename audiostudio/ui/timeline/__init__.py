"""The multitrack timeline: ``TimelinePanel`` (headers + view) is what the window embeds."""

from audiostudio.ui.timeline.headers import TrackHeaders
from audiostudio.ui.timeline.panel import TimelinePanel
from audiostudio.ui.timeline.view import TimelineView

__all__ = ["TimelinePanel", "TimelineView", "TrackHeaders"]
