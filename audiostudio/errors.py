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


class ScriptError(AudiostudioError):
    """A script cannot be imported: ``file:line: what was expected``; nothing was imported."""

    def __init__(self, message: str, file: str = "", line: int | None = None) -> None:
        where = f"{file}:{line}" if file and line else file or (f"line {line}" if line else "")
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.line = file, line


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


# --- generation -----------------------------------------------------------------------------
class GenerationError(AudiostudioError):
    """A clip's audio could not be generated."""


class UnknownProviderError(GenerationError):
    """The request names a provider this Audiostudio does not have."""


class ProviderError(GenerationError):
    """A provider refused or failed a request; ``retryable`` says whether trying again may help."""

    retryable = False

    def __init__(self, message: str, provider: str = "") -> None:
        super().__init__(f"{provider}: {message}" if provider else message)
        self.provider = provider


class AuthenticationError(ProviderError):
    """The API key is missing, wrong or revoked."""


class QuotaExceededError(ProviderError):
    """The account has no credits or quota left."""


class ContentRefusedError(ProviderError):
    """The service refused the prompt or text (content policy)."""


class BadRequestError(ProviderError):
    """The request has a value the service does not accept; ``field`` names it."""

    def __init__(self, message: str, provider: str = "", field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message, provider)
        self.field = field


class RateLimitedError(ProviderError):
    """Too many requests; ``retry_after`` is the service's hint in seconds, if it gave one."""

    retryable = True

    def __init__(self, message: str, provider: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, provider)
        self.retry_after = retry_after


class SlotsBusyError(RateLimitedError):
    """Every concurrent request the account allows is in use (ElevenLabs 429
    too_many_concurrent_requests): wait for one of our own requests to end, not a back-off."""


class ProviderTimeoutError(ProviderError):
    """The service did not answer in time."""

    retryable = True


class TaskDeadlineError(ProviderTimeoutError):
    """A paid long-running task (a Suno song) did not finish by its deadline. It is remembered,
    so generating again later picks it up instead of paying twice; retrying now would only
    wait again."""

    retryable = False


class ServiceError(ProviderError):
    """The service failed on its side (5xx) or answered with something unusable."""

    retryable = True
