"""How fast the offline provider makes sound effects and music (no voices: voices_wer.py).

    .venv/bin/python bench/offline_audio_bench.py

1. SFX: 10 s of every family's test prompt, seed 9, one run each: the slowest family and the
   median (targets: slowest < 1.0 s, median < 0.5 s);
2. music: a 30 s bed ("upbeat energetic action with piano") and a 3 s sting ("happy logo
   sting"), seed 3, best of three (targets: < 1.0 s and < 0.3 s).
Exit status 1 if a target is missed. Times are wall seconds in this process, after a warm-up.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audiostudio.providers.offline import music, sfx
from tests.providers.test_offline_sfx import PROMPTS


def timed(make) -> float:
    start = time.perf_counter()
    make()
    return time.perf_counter() - start


def main() -> int:
    music.compose("warm up", 1.0, 1)
    sfx.synthesize(PROMPTS["knock"], 1.0, seed=1)
    families = {family.name: timed(lambda f=family: sfx.synthesize(PROMPTS[f.name], 10.0, seed=9))
                for family in (*sfx.FAMILIES, sfx.FALLBACK_FAMILY)}
    slowest = max(families, key=families.get)
    median = statistics.median(families.values())
    print(f"SFX, 10 s of each of {len(families)} families: slowest {slowest} "
          f"{families[slowest]:.2f} s (target < 1.0 s), median {median:.2f} s (target < 0.5 s)")
    bed = min(timed(lambda: music.compose("upbeat energetic action with piano", 30.0, 3))
              for _ in range(3))
    sting = min(timed(lambda: music.compose("happy logo sting", 3.0, 3)) for _ in range(3))
    print(f"music: 30 s bed {bed:.2f} s (target < 1.0 s), 3 s sting {sting:.2f} s "
          f"(target < 0.3 s); best of 3")
    print(f"load: {os.getloadavg()[0]:.2f}")
    met = families[slowest] < 1.0 and median < 0.5 and bed < 1.0 and sting < 0.3
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
