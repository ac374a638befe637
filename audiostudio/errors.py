"""One exception hierarchy for everything a creator may see.

Messages are written for the person using the app: what went wrong, where, and what to do.
The CLI prints ``str(error)`` on one line; the window shows it in a dialog.
"""

from __future__ import annotations


class AudiostudioError(Exception):
    """Base of every error Audiostudio raises on purpose."""


# --- projects -------------------------------------------------------------------------------
class ProjectError(AudiostudioError):
    """A project folder or project file cannot be used."""


class ProjectNotFoundError(ProjectError):
    """No project at the given path."""


class ProjectFormatError(ProjectError):
    """project.json is malformed or holds a bad value; ``field`` names where (tracks[0].pan)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class UnsupportedVersionError(ProjectError):
    """The file was written for a newer Audiostudio than this one."""


class EditError(AudiostudioError):
    """An edit was refused (bad value, unknown id, locked item); the model is unchanged."""


class SettingsError(AudiostudioError):
    """The settings file or an AUDIOSTUDIO_* variable holds a bad value."""


# --- audio ----------------------------------------------------------------------------------
class AudioError(AudiostudioError):
    """Audio could not be read, processed or written."""


class DecodeError(AudioError):
    """A file is corrupt, empty or in a format Audiostudio cannot read."""


class MissingSourceError(AudioError):
    """A clip has no audio yet (not generated) or its file is gone."""


class ExportError(AudioError):
    """Writing the mix, stems or report failed; nothing was left half-written."""


class CancelledError(AudiostudioError):
    """The user cancelled a long operation."""
