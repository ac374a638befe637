"""Level, silence and edges of synthesised speech: numpy only, shared by every voice engine."""

from __future__ import annotations

import numpy as np

# scipy (~0.5 s to import) is imported in the functions that use it: the engines import this
# module to list their voices too (the warnings pass of a render with voice lines does).

EDGE_FADE_IN_S = 0.005
EDGE_FADE_OUT_S = 0.03  # eSpeak stops mid-vowel (its last 30 ms only 7-16 dB under the peak)


def db(value_db: float) -> float:
    return float(10.0 ** (value_db / 20.0))


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0


def frame_rms(audio: np.ndarray, frame: int) -> np.ndarray:
    count = len(audio) // frame
    frames = audio[: count * frame].reshape(count, frame).astype(np.float64)
    return np.sqrt(np.mean(np.square(frames), axis=1))


def limit(audio: np.ndarray, rate: int, ceiling: float) -> np.ndarray:
    """Look-ahead peak limiter: the gain dips around each peak over ceiling, and nowhere else.

    Turning the whole line down instead would make a [shouting] segment no louder than the
    rest, since raising speech by 5 dB pushes its peaks over full scale.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    hold = max(1, round(0.005 * rate))
    gain = np.minimum(1.0, ceiling / np.maximum(np.abs(audio), 1e-9))
    # Hold each dip for ±5 ms, then average over 5 ms: smooth (no clicks) yet still under
    # the ceiling at the peak, because every gain averaged there already includes its dip.
    gain = uniform_filter1d(minimum_filter1d(gain, size=2 * hold + 1), size=hold)
    return (audio * gain).astype(np.float32)


def active_rms(audio: np.ndarray, rate: int) -> float:
    """RMS over 20 ms frames within 40 dB of the loudest, so pauses don't lower the level."""
    levels = frame_rms(audio, max(1, rate // 50))
    if not levels.size:
        return rms(audio)
    active = levels[levels >= levels.max() * db(-40.0)]
    return float(np.sqrt(np.mean(np.square(active))))


def trim(audio: np.ndarray, rate: int, margin_s: float) -> np.ndarray:
    """Cut silence (50 dB under the loudest 10 ms) from both ends, keeping ``margin_s``."""
    frame = max(1, rate // 100)
    levels = frame_rms(audio, frame)
    loud = np.nonzero(levels >= levels.max() * db(-50.0))[0] if levels.size else []
    if not len(loud) or levels.max() <= 0:
        return audio
    margin = round(margin_s * rate)
    start = max(0, loud[0] * frame - margin)
    end = min(len(audio), (loud[-1] + 1) * frame + margin)
    return audio[start:end]


def fade_edges(audio: np.ndarray, rate: int) -> np.ndarray:
    """Half-cosine fades at both ends, so no line starts or stops on a click or mid-sound."""
    out = audio.astype(np.float32, copy=True)
    for seconds, sl in ((EDGE_FADE_IN_S, slice(None)), (EDGE_FADE_OUT_S, slice(None, None, -1))):
        count = min(len(out) // 2, round(seconds * rate))
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(count) / max(count, 1))
        edge = out[sl]  # a view: the reversed one fades the end
        edge[:count] *= ramp
    return out


def whisperise(audio: np.ndarray, rate: int) -> np.ndarray:
    """Breath noise through the voice's own spectral envelope, with a little voice left in.

    Smoothing the magnitude spectrum over ~350 Hz removes the harmonics (the voicing) but
    keeps the formants (the words); random phase makes it noise. The seed is fixed so the
    same line whispers the same way every time.
    """
    from scipy.ndimage import uniform_filter1d
    from scipy.signal import butter, istft, sosfilt, stft

    nperseg = 512
    _, _, spectrum = stft(audio, rate, nperseg=nperseg)
    bins = max(3, round(350.0 / (rate / nperseg)))
    envelope = uniform_filter1d(np.abs(spectrum), size=bins, axis=0)
    phase = np.exp(2j * np.pi * np.random.default_rng(0x5EED).random(envelope.shape))
    # Voiced speech falls ~12 dB/octave from the glottal pulse; breath noise through the same
    # vocal tract does not, so tilt the envelope up (+6 dB/octave from 500 Hz) and drop the low end.
    freqs = np.fft.rfftfreq(nperseg, 1.0 / rate)[:, None]
    tilt = np.sqrt(1.0 + (freqs / 500.0) ** 2)
    _, breath = istft(envelope * tilt * phase, rate, nperseg=nperseg)
    breath = np.resize(breath, audio.shape)
    breath = sosfilt(butter(2, 300.0, "highpass", fs=rate, output="sos"), breath)
    breath *= rms(audio) / max(rms(breath), 1e-9)
    return (0.2 * audio + breath).astype(np.float32)
