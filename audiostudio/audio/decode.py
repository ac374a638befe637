"""Any audio file -> float32 (frames, channels) at the project rate, decoded once into the cache.

Design note: libsndfile (via soundfile) reads WAV/FLAC/OGG/MP3 block by block, so a long file is
never whole in memory; soxr's streaming resampler converts each block. Formats libsndfile cannot
read (AAC/M4A, a video's audio track) are piped through the ffmpeg binary that the
imageio-ffmpeg wheel ships, as raw float32. The result is written once as a raw float32 file in
the user cache folder the caller passes in (``decode``), memory-mapped for waveform building.

Rendering reads sources through ``open_source`` instead: PCM and FLAC files already at the
project rate are read directly in blocks (seek + read: no float copy of every source written to
disk first, which cost more than the whole mix for long WAV sources), everything else through
its decoded cache file with positioned reads. Neither maps whole files, so a render's memory is
its blocks, whatever the length or number of sources.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf
import soxr

from audiostudio.audio.file_key import file_key
from audiostudio.caches import DECODED, mark_used
from audiostudio.errors import DecodeError
from audiostudio.progress import Progress

BLOCK_FRAMES = 1 << 18


@dataclass(frozen=True)
class DecodedSource:
    """A source decoded to the project rate; ``samples`` is a read-only memory map."""

    path: Path
    rate: int
    samples: np.ndarray  # float32 (frames, channels)

    @property
    def frames(self) -> int:
        return self.samples.shape[0]

    @property
    def channels(self) -> int:
        return self.samples.shape[1]

    @property
    def duration(self) -> float:
        return self.frames / self.rate


def _soundfile_blocks(path: Path) -> tuple[int, int, Iterator[np.ndarray]] | None:
    """(rate, channels, blocks) via libsndfile, or None when libsndfile cannot open the file."""
    try:
        handle = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError):
        return None

    def blocks() -> Iterator[np.ndarray]:
        with handle:
            try:
                while True:
                    block = handle.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
                    if not len(block):
                        return
                    yield block
            except (sf.LibsndfileError, RuntimeError) as exc:
                raise DecodeError(f"'{path.name}' is damaged and cannot be read: {exc}") from exc

    return handle.samplerate, handle.channels, blocks()


_STREAM_RE = re.compile(r"Audio: [^,]+, (\d+) Hz, ([^,]+)")


def _ffmpeg_blocks(path: Path) -> tuple[int, int, Iterator[np.ndarray]]:
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    probe = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    match = _STREAM_RE.search(probe.stderr)
    if not match:
        raise DecodeError(f"'{path.name}' is not an audio file Audiostudio can read")
    rate = int(match.group(1))
    channels = 1 if match.group(2).strip().startswith("mono") else 2

    def blocks() -> Iterator[np.ndarray]:
        cmd = [exe, "-v", "error", "-i", str(path), "-vn", "-f", "f32le", "-ac", str(channels), "-"]
        # stderr goes to a file: a damaged file can log more than a pipe holds, and a full pipe
        # would stall ffmpeg while we wait on stdout.
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors)
            assert proc.stdout is not None
            frame_bytes = 4 * channels
            pending = b""
            while chunk := proc.stdout.read(BLOCK_FRAMES * frame_bytes):
                pending += chunk
                usable = len(pending) - len(pending) % frame_bytes
                yield np.frombuffer(pending[:usable], dtype="<f4").reshape(-1, channels)
                pending = pending[usable:]
            code = proc.wait()
            errors.seek(0)
            err = errors.read().decode(errors="replace").strip()
        if code != 0:
            last = err.splitlines()[-1] if err else f"ffmpeg exit code {code}"
            raise DecodeError(f"'{path.name}' could not be decoded: {last}")

    return rate, channels, blocks()


def _open_blocks(path: Path) -> tuple[int, int, Iterator[np.ndarray]]:
    if not path.is_file():
        raise DecodeError(f"Audio file not found: {path}")
    if path.stat().st_size == 0:
        raise DecodeError(f"'{path.name}' is empty")
    return _soundfile_blocks(path) or _ffmpeg_blocks(path)


def _fit_channels(block: np.ndarray) -> np.ndarray:
    """Mono and stereo pass through; more channels fold down to stereo (L = even, R = odd)."""
    if block.shape[1] <= 2:
        return block
    left = block[:, 0::2].mean(axis=1)
    right = block[:, 1::2].mean(axis=1)
    return np.stack([left, right], axis=1)


def decode_blocks(path: Path, rate: int | None = None) -> tuple[int, int, Iterator[np.ndarray]]:
    """(rate, channels, float32 blocks) at ``rate`` (None = the file's own): streaming decoder."""
    src_rate, src_channels, blocks = _open_blocks(path)
    channels = min(src_channels, 2)
    rate = rate or src_rate
    if src_rate == rate:
        return rate, channels, (_fit_channels(b) for b in blocks)
    resampler = soxr.ResampleStream(src_rate, rate, channels, dtype="float32", quality="HQ")

    def resampled() -> Iterator[np.ndarray]:
        for block in blocks:
            out = resampler.resample_chunk(np.ascontiguousarray(_fit_channels(block)))
            if len(out):
                yield out
        tail = resampler.resample_chunk(np.zeros((0, channels), np.float32), last=True)
        if len(tail):
            yield tail

    return rate, channels, resampled()


def decode(
    path: str | Path, rate: int, cache: Path, progress: Progress | None = None
) -> DecodedSource:
    """Decode ``path`` to ``rate`` once into ``cache`` (the user cache folder, which the caller
    chooses); later calls map the cached file without decoding."""
    path = Path(path)
    if not path.is_file():
        raise DecodeError(f"Audio file not found: {path}")
    folder = cache / DECODED
    folder.mkdir(parents=True, exist_ok=True)
    key = f"{file_key(path)}-{rate}"
    for channels in (1, 2):
        cached = folder / f"{key}.{channels}ch.f32"
        if cached.exists():
            mark_used(cached)
            return _map(path, rate, cached, channels)

    _, channels, blocks = decode_blocks(path, rate)
    expected = _expected_frames(path, rate)
    fd, tmp_name = tempfile.mkstemp(dir=folder, suffix=".part")
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for block in blocks:
                np.ascontiguousarray(block, dtype="<f4").tofile(out)
                written += len(block)
                if progress and expected:
                    progress(min(1.0, written / expected))
        if written == 0:
            raise DecodeError(f"'{path.name}' holds no audio")
        final = folder / f"{key}.{channels}ch.f32"
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return _map(path, rate, final, channels)


def _expected_frames(path: Path, rate: int) -> int | None:
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError):
        return None
    return int(info.frames * rate / info.samplerate) or None


def _map(path: Path, rate: int, cached: Path, channels: int) -> DecodedSource:
    samples = np.memmap(cached, dtype="<f4", mode="r").reshape(-1, channels)
    return DecodedSource(path=path, rate=rate, samples=samples)


def read_all(path: str | Path, rate: int | None = None) -> tuple[np.ndarray, int]:
    """Whole file as float32 (frames, channels), for short files and tests; no cache."""
    path = Path(path)
    rate, _, blocks = decode_blocks(path, rate)
    parts = list(blocks)
    if not parts:
        raise DecodeError(f"'{path.name}' holds no audio")
    return np.concatenate(parts), rate


# --- readers for rendering ------------------------------------------------------------------
DIRECT_FORMATS = frozenset({"WAV", "WAVEX", "W64", "RF64", "AIFF", "CAF", "FLAC"})


class AudioSource(Protocol):
    """Random access to a source at the render rate: ``read`` gives float32 (count, channels)."""

    path: Path
    frames: int
    channels: int

    def read(self, start: int, count: int) -> np.ndarray: ...


class HandlePool:
    """Open libsndfile handles of one consumer's FileSources, least recently used closed first.

    A project can use more files than the process may keep open (ulimit -n is 256 on macOS):
    each render plan (preview, an export) has a pool of its own, so an export never makes the
    preview wait for a read; within a pool every read takes its lock, seeks and reads.
    """

    def __init__(self, capacity: int = 48) -> None:
        self.capacity = capacity
        self.lock = threading.Lock()
        self.handles: OrderedDict[Path, sf.SoundFile] = OrderedDict()

    def __getstate__(self) -> dict[str, int]:
        """A plan sent to another process (the audio engine's) gets a pool of its own there."""
        return {"capacity": self.capacity}

    def __setstate__(self, state: dict[str, int]) -> None:
        self.__init__(state["capacity"])

    def read(self, path: Path, start: int, count: int) -> np.ndarray:
        with self.lock:
            handle = self.handles.pop(path, None)
            if handle is None:
                while len(self.handles) >= self.capacity:
                    self.handles.popitem(last=False)[1].close()
                handle = sf.SoundFile(str(path))
            self.handles[path] = handle
            handle.seek(start)
            return handle.read(count, dtype="float32", always_2d=True)


class FileSource:
    """A PCM/FLAC file at the render rate, read in place with libsndfile (seek + read)."""

    def __init__(self, path: Path, frames: int, channels: int, handles: HandlePool) -> None:
        self.path = path
        self.frames = frames
        self.channels = min(channels, 2)
        self._handles = handles

    def read(self, start: int, count: int) -> np.ndarray:
        try:
            block = self._handles.read(self.path, start, count)
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise DecodeError(f"'{self.path.name}' could not be read: {exc}") from exc
        return _fit_channels(block)


class CachedSource:
    """A source decoded into the cache, read with positioned reads (no handle kept open)."""

    def __init__(self, decoded: DecodedSource) -> None:
        self.path = decoded.path
        self.frames = decoded.frames
        self.channels = decoded.channels
        self._file = decoded.samples.filename

    def read(self, start: int, count: int) -> np.ndarray:
        block = np.empty((count, self.channels), np.float32)
        fd = os.open(self._file, os.O_RDONLY)
        try:
            got = os.preadv(fd, [block], start * 4 * self.channels)
        finally:
            os.close(fd)
        return block[: got // (4 * self.channels)]


def open_source(path: str | Path, rate: int, cache: Path,
                handles: HandlePool | None = None) -> AudioSource:
    """A reader for rendering ``path`` at ``rate``; ``cache`` as for ``decode`` (see the module
    note); files read in place use ``handles`` (the consumer's pool; a new one if None)."""
    path = Path(path)
    if not path.is_file():
        raise DecodeError(f"Audio file not found: {path}")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError):
        info = None  # not for libsndfile: decode through ffmpeg into the cache
    if (info is not None and info.samplerate == rate and info.format in DIRECT_FORMATS
            and info.frames > 0):
        return FileSource(path, info.frames, info.channels, handles or HandlePool())
    return CachedSource(decode(path, rate, cache))
