"""How well an outside recogniser understands each offline voice, and how fast each engine is.

    .venv/bin/python bench/voices_wer.py              # every English voice, all 24 sentences
    .venv/bin/python bench/voices_wer.py --sentences 8 --voice flite:slt --voice espeak:en-us+f2

Word error rate from pocketsphinx 5.1.1 (stock en-us model, default settings) over the
everyday sentences in tests/providers/recogniser.py, pooled per voice; the suite checks the
same bounds on its first two sentences (tests/providers/test_voice_cast.py). Then the time
each engine takes to speak a line of about 10 seconds (the best of three, after a warm-up).
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from audiostudio.providers.offline import voices
from tests.providers.recogniser import SENTENCES, transcribe, word_error_rate

RATE = 48000
TEN_SECONDS = (
    "The bakery on our street opens early, so on Saturdays we buy warm bread and walk down to "
    "the harbour, where the boats come in and the children feed the gulls until lunch."
)


def wer_table(voice_ids: list[str], count: int) -> None:
    print(f"| voice | name | gender | WER ({count} sentences) | audio s | wall s |")
    print("|---|---|---|---|---|---|")
    for voice in voice_ids:
        info = voices.voice_info(voice)
        start, audio_s, pairs = time.perf_counter(), 0.0, []
        for sentence in SENTENCES[:count]:
            audio = voices.speak(sentence, voice, rate=RATE)
            audio_s += len(audio) / RATE
            pairs.append((sentence, transcribe(audio, RATE)))
        wall = time.perf_counter() - start
        print(f"| `{voice}` | {info.name} | {info.gender} | {word_error_rate(pairs):.3f} | "
              f"{audio_s:.1f} | {wall:.1f} |", flush=True)


def speed_table() -> None:
    print("\n| engine | voice | line s | synthesis s (best of 3) | x real time |")
    print("|---|---|---|---|---|")
    for voice in (voices.DEFAULT_VOICE, "flite:slt", "flite:awb+isla", "espeak:en-us+f5",
                  "espeak:de"):
        voices.speak("Warm up.", voice)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            audio = voices.speak(TEN_SECONDS, voice, rate=RATE)
            times.append(time.perf_counter() - start)
        length = len(audio) / RATE
        print(f"| {voices.voice_info(voice).engine} | `{voice}` | {length:.1f} | {min(times):.2f} "
              f"| {length / min(times):.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=len(SENTENCES),
                        help="sentences per voice (0: only the timings)")
    parser.add_argument("--voice", action="append", help="a voice id (default: every English one)")
    parser.add_argument("--no-speed", action="store_true", help="skip the 10-second timings")
    args = parser.parse_args()
    ids = args.voice or [v.id for v in voices.VOICES if v.language.startswith("en")]
    if args.sentences:
        wer_table(ids, args.sentences)
    if not args.no_speed:
        speed_table()


if __name__ == "__main__":
    main()
