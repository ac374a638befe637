"""WAV outputs: RF64 once the file would pass 4 GB, TPDF dither when reducing to 16 bits.

Design note. A RIFF WAV stores its sizes in 32 bits, so past 4 GiB (4.1 hours of 48 kHz stereo
24-bit) the header wraps and readers see a short or corrupt file. RF64 (EBU Tech 3306) keeps the
same layout with 64-bit sizes in a ``ds64`` chunk; libsndfile writes it, and every reader that
knows RF64 reads it. The length of an export is known before it starts, so the container is
chosen then, and ordinary WAV is kept for everything smaller (some players refuse RF64).

16 bits: plain rounding turns the quantisation error into distortion correlated with the signal
(a fade-out ends in buzz, audio under half an LSB, -96 dBFS, becomes silence). Triangular (TPDF)
dither of +-1 LSB, the sum of two uniform values, makes the total error white noise of a fixed
power, 1/4 LSB^2 (-96 dBFS RMS at 16 bits) whatever the signal, so quiet detail survives as a
signal in noise. Each file gets its own seeded generator, so an export is reproducible. 24-bit
and float outputs are written as they are: their error is ~50 dB below any playback chain's.

Broadcast WAV (EBU Tech 3285): a ``bext`` chunk whose time reference (samples since midnight)
places the file on a video editor's timeline. soundfile does not wrap libsndfile's
SFC_SET_BROADCAST_INFO command, so we call it ourselves, before the first write (libsndfile
then writes the chunk ahead of the data, in WAV and RF64 alike, and adds its coding history).
The struct is declared to cffi, so its layout (padding included) is the C compiler's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cffi
import numpy as np
import soundfile as sf

SUBTYPES = {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}
BYTES_PER_SAMPLE = {"PCM_16": 2, "PCM_24": 3, "FLOAT": 4}
RIFF_LIMIT = 2**32 - 1  # the largest size a 32-bit RIFF field holds
HEADER_ROOM = 1 << 16  # fmt, fact, PEAK and padding chunks around the data, generously
FULL_SCALE_16 = 32768.0
SFC_SET_BROADCAST_INFO = 0x10F1  # sndfile.h

_BEXT_FFI = cffi.FFI()
_BEXT_FFI.cdef("""
typedef struct {
    char description[256];
    char originator[32];
    char originator_reference[32];
    char origination_date[10];
    char origination_time[8];
    uint32_t time_reference_low;
    uint32_t time_reference_high;
    short version;
    char umid[64];
    int16_t loudness_value, loudness_range, max_true_peak_level, max_momentary_loudness,
            max_shortterm_loudness;
    char reserved[180];
    uint32_t coding_history_size;
    char coding_history[256];
} SF_BROADCAST_INFO;
""")


@dataclass(frozen=True)
class Bext:
    """What a broadcast WAV's ``bext`` chunk says."""

    time_reference: int  # samples since midnight at the file's first sample
    description: str = ""
    originator: str = "Audiostudio"


def _set_bext(file: sf.SoundFile, bext: Bext) -> None:
    info = _BEXT_FFI.new("SF_BROADCAST_INFO *")
    info.description = bext.description.encode("ascii", "replace")[:255]
    info.originator = bext.originator.encode("ascii", "replace")[:31]
    info.time_reference_low = bext.time_reference & 0xFFFFFFFF
    info.time_reference_high = bext.time_reference >> 32
    info.version = 2  # what libsndfile writes anyway; its loudness fields then say "not set"
    for name in ("loudness_value", "loudness_range", "max_true_peak_level",
                 "max_momentary_loudness", "max_shortterm_loudness"):
        setattr(info, name, 0x7FFF)
    raw = _BEXT_FFI.buffer(info)
    done = sf._snd.sf_command(file._file, SFC_SET_BROADCAST_INFO, sf._ffi.from_buffer(raw),
                              len(raw))
    if done != 1:
        raise OSError(f"Could not write the bext chunk of {file.name}")


def container_for(frames: int, channels: int, subtype: str) -> str:
    """"WAV", or "RF64" when the file would not fit the 32-bit RIFF sizes."""
    data = frames * channels * BYTES_PER_SAMPLE[subtype]
    return "RF64" if data + HEADER_ROOM > RIFF_LIMIT else "WAV"


class TpdfDither:
    """float32 (frames, channels) -> int16 with +-1 LSB triangular dither, streamed."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def to_int16(self, block: np.ndarray) -> np.ndarray:
        noise = self._rng.random(block.shape, np.float32)
        noise -= self._rng.random(block.shape, np.float32)  # triangular on (-1, 1) LSB
        scaled = block * np.float32(FULL_SCALE_16)
        scaled += noise
        np.rint(scaled, out=scaled)
        np.clip(scaled, -FULL_SCALE_16, FULL_SCALE_16 - 1.0, out=scaled)
        return scaled.astype(np.int16)


class WavWriter:
    """One output file written block by block: float32 (frames, 2) in, the chosen PCM out.

    Digital silence is written as zero bytes without libsndfile's float -> 24-bit conversion
    (~10 ns a sample, the largest cost of an export with stems), through its raw write, which
    soundfile does not wrap: most blocks of voice and SFX stems are silent (69 % of the
    1-second blocks of the 8 stems in the benchmark's typical scene).
    """

    def __init__(self, path: Path, rate: int, bit_depth: str, frames: int, seed: int,
                 container: str | None = None, bext: Bext | None = None) -> None:
        subtype = SUBTYPES[bit_depth]
        self.container = container or container_for(frames, 2, subtype)
        self._dither = TpdfDither(seed) if subtype == "PCM_16" else None
        self._raw_silence = subtype == "PCM_24"  # 16 bits dithers silence too; float is cheap
        self._frame_bytes = 2 * BYTES_PER_SAMPLE[subtype]
        self._zeros = b""
        self._file = sf.SoundFile(str(path), "w", rate, 2, subtype=subtype,
                                  format=self.container)
        if bext is not None:
            _set_bext(self._file, bext)

    def write(self, block: np.ndarray) -> None:
        if self._raw_silence and not block.any():
            self._write_zeros(len(block))
        else:
            self._file.write(block if self._dither is None else self._dither.to_int16(block))

    def _write_zeros(self, frames: int) -> None:
        size = frames * self._frame_bytes
        if len(self._zeros) < size:
            self._zeros = bytes(size)
        handle = self._file._file  # soundfile's SNDFILE*: libsndfile tracks the frame count
        written = sf._snd.sf_write_raw(handle, sf._ffi.from_buffer(self._zeros), size)
        if written != size:
            raise OSError(f"Could not write {self._file.name}: "
                          f"{sf._ffi.string(sf._snd.sf_strerror(handle)).decode()}")

    def close(self) -> None:
        self._file.close()
