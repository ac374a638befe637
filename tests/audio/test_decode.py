from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf

from audiostudio.audio import decode as decode_mod
from audiostudio.audio.decode import decode, open_source, read_all
from audiostudio.errors import DecodeError
from audiostudio.settings import cache_dir
from tests.conftest import RATE, sine


def dominant_freq(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x[:, 0] * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


@pytest.mark.parametrize(("ext", "subtype"), [("wav", "PCM_24"), ("flac", None), ("ogg", None),
                                              ("mp3", None)])
def test_formats_decode_to_project_rate(write_wav, ext, subtype):
    path = write_wav(f"tone.{ext}", sine(1000, 2.0, rate=44100), rate=44100, subtype=subtype)
    src = decode(path, RATE, cache_dir())
    assert src.rate == RATE and src.channels == 1
    # Lossy codecs pad a little; the length must still be the 2 s converted to 48 kHz.
    assert abs(src.frames - 2 * RATE) < 0.06 * RATE
    assert dominant_freq(np.asarray(src.samples), RATE) == pytest.approx(1000, abs=2)
    assert isinstance(src.samples, np.memmap) and src.samples.dtype == np.float32


def test_resampler_keeps_level_and_length(write_wav):
    path = write_wav("tone.wav", sine(440, 3.0, amp=0.5, rate=22050), rate=22050, subtype="FLOAT")
    data, rate = read_all(path, RATE)
    assert rate == RATE and len(data) == 3 * RATE
    middle = data[RATE : 2 * RATE, 0]
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_stereo_stays_stereo_and_multichannel_folds(write_wav):
    stereo = np.stack([sine(300, 1)[:, 0], sine(600, 1)[:, 0]], axis=1)
    assert decode(write_wav("st.wav", stereo), RATE, cache_dir()).channels == 2
    quad = np.concatenate([stereo, stereo * 0.5], axis=1)
    src = decode(write_wav("quad.wav", quad), RATE, cache_dir())
    assert src.channels == 2
    np.testing.assert_allclose(src.samples[:, 0], (stereo[:, 0] * 1.5) / 2, atol=1e-4)


def test_m4a_goes_through_ffmpeg(write_wav, tmp_path):
    wav = write_wav("tone.wav", sine(500, 1.5, rate=44100, channels=2), rate=44100)
    m4a = tmp_path / "tone.m4a"
    import subprocess

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(wav), "-c:a", "aac",
                    str(m4a)], check=True)
    src = decode(m4a, RATE, cache_dir())
    assert src.channels == 2
    assert abs(src.frames - 1.5 * RATE) < 0.1 * RATE
    assert dominant_freq(np.asarray(src.samples), RATE) == pytest.approx(500, abs=3)


def test_corrupt_empty_and_missing_files_raise_clear_errors(tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4)
    with pytest.raises(DecodeError, match=r"broken\.wav"):
        decode(bad, RATE, cache_dir())
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(DecodeError, match="empty"):
        decode(empty, RATE, cache_dir())
    text = tmp_path / "notes.txt"
    text.write_text("not audio at all\n" * 50)
    with pytest.raises(DecodeError, match=r"notes\.txt"):
        decode(text, RATE, cache_dir())
    with pytest.raises(DecodeError, match="not found"):
        decode(tmp_path / "nope.wav", RATE, cache_dir())


def test_truncated_wav_is_reported(write_wav):
    path = write_wav("cut.wav", sine(440, 2.0), subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[:44] + b"\xff" * 7)  # header claims more than is there
    # libsndfile either reads what exists or refuses; both must be clear, never a crash.
    try:
        src = decode(path, RATE, cache_dir())
        assert src.frames < 10
    except DecodeError as exc:
        assert "cut.wav" in str(exc)


def test_second_decode_maps_the_cache(write_wav, monkeypatch):
    path = write_wav("cached.wav", sine(440, 1.0))
    first = decode(path, RATE, cache_dir())

    def refuse(*args, **kwargs):
        raise AssertionError("decoded twice")

    monkeypatch.setattr(decode_mod, "decode_blocks", refuse)
    second = decode(path, RATE, cache_dir())
    np.testing.assert_array_equal(np.asarray(first.samples), np.asarray(second.samples))
    cache_files = list(Path(second.samples.filename).parent.glob("*.f32"))
    assert Path(second.samples.filename) in cache_files


def test_decodes_into_the_cache_folder_the_caller_passes(write_wav, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    path = write_wav("x.wav", sine(440, 0.5))
    src = decode(path, RATE, tmp_path / "chosen")
    assert Path(src.samples.filename).parent == tmp_path / "chosen" / "decoded"
    assert not (tmp_path / "user-cache").exists()  # the settings' location is not consulted
    reader = open_source(path, 24000, tmp_path / "chosen")  # needs resampling: decoded
    assert reader.frames == 12000
    assert len(list((tmp_path / "chosen" / "decoded").iterdir())) == 2
    assert sf.info(str(tmp_path / "x.wav")).frames == RATE // 2
