"""An outside listener for the offline voices: pocketsphinx's stock en-us model at its defaults.

Word error rate = (substitutions + deletions + insertions) / reference words, over whole sets
of sentences (pooled, so a short sentence does not weigh as much as a long one). Used by the
suite's intelligibility bound (tests/providers/test_voice_cast.py) and by bench/voices_wer.py.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache
from typing import Any

import numpy as np
import soxr

RATE = 16000  # what the stock model was trained on

# Everyday sentences written for this check (not from any corpus the model was trained on).
# The suite uses the first two (17 words: short, so decoding stays quick); bench/voices_wer.py
# uses them all.
SENTENCES = (
    "The coffee shop on the corner opens at seven",
    "The store was closed because of the holiday",
    "Please turn off the lights before you go to bed",
    "Could you bring the blue chair back into the kitchen",
    "We missed the last train so we walked home together",
    "She left her phone on the table next to the window",
    "My brother is painting the fence in the garden this weekend",
    "I think it is going to rain later this afternoon",
    "The children played football in the park until dark",
    "Can you tell me where the nearest bus stop is",
    "He forgot to buy milk on the way back from work",
    "Our neighbours have a small white dog that barks at night",
    "Let us meet at the station at half past five",
    "The doctor said I should drink more water every day",
    "They moved to a bigger house near the river last year",
    "Put the keys in the drawer so nobody loses them again",
    "The movie was long but the ending was worth the wait",
    "I need to call my mother before she goes to sleep",
    "There is fresh bread in the bag on the kitchen counter",
    "The teacher asked everyone to read the first chapter",
    "We should leave early to avoid the traffic on the bridge",
    "Your jacket is hanging on the back of the door",
    "He waited outside the office for almost an hour",
    "Turn left at the church and the hotel is on your right",
)

_WORD = re.compile(r"[a-z']+")
_LOCK = threading.Lock()  # one decoder, one utterance at a time


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein distance (one row at a time)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != hyp))
    return row[-1]


def word_error_rate(pairs: Iterable[tuple[str, str]]) -> float:
    """Pooled WER of (reference, hypothesis) pairs."""
    errors = total = 0
    for reference, hypothesis in pairs:
        ref = words(reference)
        errors += edit_distance(ref, words(hypothesis))
        total += len(ref)
    return errors / total


@cache
def _decoder() -> Any:  # pocketsphinx's Decoder (the package has no type hints)
    from pocketsphinx import Decoder

    return Decoder()  # the stock en-us acoustic model, language model and dictionary


def transcribe(audio: np.ndarray, rate: int) -> str:
    """What the recogniser hears in mono float audio at ``rate``."""
    mono = np.asarray(audio, np.float64).reshape(-1)
    pcm = np.clip(soxr.resample(mono, rate, RATE) * 32767, -32768, 32767).astype(np.int16)
    with _LOCK:
        decoder = _decoder()
        decoder.start_utt()
        decoder.process_raw(pcm.tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""
