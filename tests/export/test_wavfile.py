"""WAV outputs: RF64 past 4 GB, TPDF dither at 16 bits (measured on decoded exports)."""

from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from audiostudio.export import wavfile
from audiostudio.export.render import ExportOptions, export_project
from audiostudio.export.wavfile import TpdfDither, WavWriter, container_for
from audiostudio.model import Clip, Project, Track
from audiostudio.settings import cache_dir
from tests.conftest import RATE, sine

LSB16 = 1.0 / 32768
HOUR = 3600 * RATE


# --- container by size -------------------------------------------------------------------------
@pytest.mark.parametrize(("frames", "bit_depth", "expected"), [
    (6 * HOUR, "24", "RF64"),  # 6.2 GB: a RIFF header cannot hold its size
    (7 * HOUR, "16", "RF64"),  # 4.8 GB
    (4 * HOUR, "32f", "RF64"),  # 5.5 GB
    (6 * HOUR, "16", "WAV"),  # 4.15e9 bytes: still under 2^32 - 1
    (4 * HOUR, "24", "WAV"),
    (RATE, "16", "WAV"),
])
def test_container_follows_the_size(frames: int, bit_depth: str, expected: str) -> None:
    assert container_for(frames, 2, wavfile.SUBTYPES[bit_depth]) == expected


def test_container_switches_where_the_riff_sizes_run_out() -> None:
    room = wavfile.RIFF_LIMIT - wavfile.HEADER_ROOM  # bytes of audio a RIFF WAV may hold
    last_wav = room // 6  # stereo 24-bit: 6 bytes per frame
    assert container_for(last_wav, 2, "PCM_24") == "WAV"
    assert container_for(last_wav + 1, 2, "PCM_24") == "RF64"


def test_forced_rf64_reads_back(tmp_path: Path) -> None:
    audio = sine(440, 0.5, amp=0.5, channels=2)
    writer = WavWriter(tmp_path / "x.wav", RATE, "24", len(audio), seed=0, container="RF64")
    writer.write(audio[:10_000])
    writer.write(audio[10_000:])
    writer.close()
    info = sf.info(str(tmp_path / "x.wav"))
    assert (info.format, info.subtype, info.frames) == ("RF64", "PCM_24", len(audio))
    assert (tmp_path / "x.wav").read_bytes()[:4] == b"RF64"
    back, _ = sf.read(str(tmp_path / "x.wav"), dtype="float32")
    np.testing.assert_allclose(back, audio, atol=2.0**-23)


def test_export_past_the_limit_is_rf64(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A 6-hour export cannot run in a test; a lower limit exercises the same decision.
    monkeypatch.setattr(wavfile, "RIFF_LIMIT", wavfile.HEADER_ROOM + 100_000)
    project, folder = _scene(tmp_path, sine(300, 1.0, amp=0.1, channels=2))
    export_project(project, folder, tmp_path / "o", ExportOptions(stems=True), cache=cache_dir())
    assert sf.info(str(tmp_path / "o" / "mix.wav")).format == "RF64"
    stem = tmp_path / "o" / "stems" / "01-a.wav"
    assert sf.info(str(stem)).format == "RF64"
    assert sf.info(str(stem)).frames == RATE


# --- dither ------------------------------------------------------------------------------------
def _scene(tmp_path: Path, audio: np.ndarray) -> tuple[Project, Path]:
    folder = tmp_path / "p"
    (folder / "assets").mkdir(parents=True)
    sf.write(str(folder / "assets" / "a.wav"), audio, RATE, subtype="FLOAT")
    return Project(tracks=[Track("t", name="A", clips=[Clip("c", source="assets/a.wav")])]), folder


def _export(tmp_path: Path, audio: np.ndarray, bit_depth: str) -> np.ndarray:
    project, folder = _scene(tmp_path, audio)
    out = tmp_path / f"o{bit_depth}"
    export_project(project, folder, out, ExportOptions(bit_depth=bit_depth, normalize=False),
                   cache=cache_dir())
    decoded, rate = sf.read(str(out / "mix.wav"), dtype="float64", always_2d=True)
    assert rate == RATE and decoded.shape == audio.shape
    return decoded


def _amplitude_at(x: np.ndarray, freq: float) -> float:
    """Amplitude of the ``freq`` component (least squares on sin and cos)."""
    t = np.arange(len(x)) / RATE
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    coefficients, *_ = np.linalg.lstsq(basis, x, rcond=None)
    return float(np.hypot(*coefficients))


def test_16_bit_keeps_a_sine_below_half_an_lsb(tmp_path: Path) -> None:
    quiet = sine(997, 4.0, amp=1e-5, channels=2)  # -100 dBFS: 0.33 LSB, rounds to silence
    decoded = _export(tmp_path, quiet, "16")
    assert decoded.any()
    for channel in range(2):
        level = 20 * np.log10(_amplitude_at(decoded[:, channel], 997) / 1e-5)
        assert abs(level) < 0.5  # the tone is still there, at its level, under the noise


def test_16_bit_error_is_white_at_the_tpdf_level(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    music = (sine(220, 4.0, amp=0.3, channels=2) + sine(3100, 4.0, amp=0.05, channels=2)
             + rng.normal(0, 0.01, (4 * RATE, 2)).astype(np.float32))
    error = _export(tmp_path, music, "16") - music
    # TPDF +-1 LSB: noise of 1/6 LSB^2 plus 1/12 of rounding = 1/4 LSB^2, -96.3 dBFS RMS.
    rms_db = 10 * np.log10(np.mean(error**2, axis=0))
    np.testing.assert_allclose(rms_db, 20 * np.log10(0.5 * LSB16), atol=0.2)
    freqs, density = scipy.signal.welch(error, fs=RATE, nperseg=4096, axis=0)
    bands = [density[(freqs >= lo) & (freqs < lo + 2000)].mean(axis=0)
             for lo in range(0, 22000, 2000)]
    spread_db = 10 * np.log10(np.max(bands, axis=0) / np.min(bands, axis=0))
    assert np.all(spread_db < 0.5)  # flat: no tones or harmonics of the music in the error
    assert abs(np.corrcoef(error[:, 0], music[:, 0])[0, 1]) < 0.01


@pytest.mark.parametrize("bit_depth", ["24", "32f"])
def test_24_bit_and_float_are_not_dithered(tmp_path: Path, bit_depth: str) -> None:
    quiet = sine(997, 1.0, amp=1e-5, channels=2)
    decoded = _export(tmp_path, quiet, bit_depth)
    if bit_depth == "32f":
        assert np.array_equal(decoded, quiet)
        return
    plain = tmp_path / "plain.wav"  # libsndfile's own conversion of the same samples
    sf.write(str(plain), quiet, RATE, subtype="PCM_24")
    assert np.array_equal(decoded, sf.read(str(plain), dtype="float64")[0])
    assert np.abs(decoded - quiet).max() <= 2.0**-23  # within one 24-bit step, no noise


def test_dither_is_reproducible_and_differs_per_seed() -> None:
    block = sine(500, 0.1, amp=0.2, channels=2)
    first, again, other = TpdfDither(1), TpdfDither(1), TpdfDither(2)
    assert np.array_equal(first.to_int16(block), again.to_int16(block))
    assert not np.array_equal(TpdfDither(1).to_int16(block), other.to_int16(block))
    assert first.to_int16(np.full((4, 2), 2.0, np.float32)).max() == 32767  # clipped, no wrap


@pytest.mark.parametrize("bit_depth", ["24", "16", "32f"])
def test_silent_blocks_write_the_same_file(tmp_path: Path, bit_depth: str) -> None:
    tone = sine(440, 0.25, amp=0.4, channels=2)
    blocks = [tone, np.zeros((7_000, 2), np.float32), tone[:1000], np.zeros((5, 2), np.float32)]
    writer = WavWriter(tmp_path / "w.wav", RATE, bit_depth, 30_000, seed=3)
    for block in blocks:
        writer.write(block)
    writer.close()
    subtype = wavfile.SUBTYPES[bit_depth]
    back, _ = sf.read(str(tmp_path / "w.wav"), dtype="float64")
    info = sf.info(str(tmp_path / "w.wav"))
    assert (info.frames, info.subtype) == (sum(map(len, blocks)), subtype)
    whole = np.concatenate(blocks)
    if bit_depth == "16":  # dithered, silence included: within an LSB of the input
        assert np.abs(back - whole).max() <= 1.5 * LSB16
        assert back[len(tone):len(tone) + 7000].any()
    else:
        sf.write(str(tmp_path / "plain.wav"), whole, RATE, subtype=subtype)
        assert np.array_equal(back, sf.read(str(tmp_path / "plain.wav"), dtype="float64")[0])
        assert not back[len(tone):len(tone) + 7000].any()
