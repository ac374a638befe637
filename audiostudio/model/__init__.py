"""The scene as data: pure Python, no Qt, no audio arrays."""

from audiostudio.model.project import (
    AutoLevel,
    CastEntry,
    Clip,
    Duck,
    FrameRate,
    Marker,
    Mix,
    Project,
    Request,
    Take,
    Track,
    new_id,
)

__all__ = [
    "AutoLevel",
    "CastEntry",
    "Clip",
    "Duck",
    "FrameRate",
    "Marker",
    "Mix",
    "Project",
    "Request",
    "Take",
    "Track",
    "new_id",
]
