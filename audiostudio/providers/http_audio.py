"""HTTP for the REST providers (Stable Audio, Suno): sending a call, and saving audio bodies.

An audio body is kept only when it arrived whole: a chunked stream without its last chunk, or
fewer bytes than ``Content-Length`` said, is an error and leaves no file behind. What arrived is
stored as the service sent it (WAV, MP3, ...: no trimming, padding or re-encoding), under the
suffix its first bytes show, and only if libsndfile can read it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import requests
import soundfile as sf

from audiostudio.errors import CancelledError, ProviderTimeoutError, ServiceError
from audiostudio.progress import Cancelled, Progress

CHUNK = 64 * 1024

# Magic bytes -> suffix; libsndfile decides by content, the suffix is for people and tools.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"RIFF", 0, ".wav"), (b"RF64", 0, ".wav"), (b"fLaC", 0, ".flac"), (b"OggS", 0, ".ogg"),
    (b"ID3", 0, ".mp3"), (b"FORM", 0, ".aiff"),
)


def masked(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` blotted out: service messages may echo what they were sent."""
    return text.replace(secret, "***") if secret else text


def send(method: str, url: str, *, provider: str, timeout: tuple[float, float],
         **kwargs: Any) -> requests.Response:
    """One streamed HTTP call; network failures become retryable provider errors."""
    try:
        return requests.request(method, url, timeout=timeout, stream=True, **kwargs)
    except requests.Timeout as exc:
        raise ProviderTimeoutError(f"no answer within {timeout[1]:g} s", provider) from exc
    except requests.RequestException as exc:
        raise ServiceError(f"cannot reach the service ({type(exc).__name__})", provider) from exc


def json_body(response: requests.Response) -> dict[str, Any]:
    """The body as a JSON object, or {} when it is not one (an HTML error page, say)."""
    try:
        body = json.loads(response.content or b"null")
    except (ValueError, requests.RequestException):
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None  # absent, or an HTTP date: the service's own back-off applies


def _suffix(head: bytes) -> str:
    for magic, at, suffix in _SIGNATURES:
        if head[at:at + len(magic)] == magic:
            return suffix
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return ".mp3"  # an MPEG frame sync without an ID3 tag
    return ".bin"


def save_audio(response: requests.Response, folder: Path, stem: str, *, provider: str,
               cancelled: Cancelled, progress: Progress | None = None) -> Path:
    """Stream ``response``'s body into ``folder/stem.<suffix>``; returns the file.

    Raises ServiceError (retryable) when the body ends early or is not audio, CancelledError
    when ``cancelled`` turns true; either way nothing is left in ``folder``.
    """
    part = folder / f"{stem}.part"
    expected = _expected_length(response)
    received = 0
    head = b""
    try:
        with response, part.open("wb") as out:
            for chunk in response.iter_content(CHUNK):
                if cancelled():
                    raise CancelledError("Generation cancelled")
                out.write(chunk)
                received += len(chunk)
                if len(head) < 16:
                    head += chunk[:16]
                if progress and expected:
                    progress(min(1.0, received / expected))
        if expected is not None and received != expected:
            raise ServiceError(f"the audio ended after {received} of {expected} bytes; "
                               "nothing was kept", provider)
        if received == 0:
            raise ServiceError("the service sent an empty audio body", provider)
        target = part.with_name(stem + _suffix(head))
        part.replace(target)
    except requests.RequestException as exc:
        part.unlink(missing_ok=True)
        raise ServiceError(f"the audio download broke off after {received} bytes; "
                           "nothing was kept", provider) from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    try:
        sf.info(str(target))
    except (sf.LibsndfileError, RuntimeError) as exc:
        target.unlink(missing_ok=True)
        raise ServiceError("the service sent a file that is not readable audio", provider) \
            from exc
    return target


def _expected_length(response: requests.Response) -> int | None:
    """Content-Length, when it counts the bytes we read (no content coding in between)."""
    if response.headers.get("Content-Encoding", "identity") != "identity":
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(response.headers.get("Content-Length"))  # type: ignore[arg-type]
    return None
