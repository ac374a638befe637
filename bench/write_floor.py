"""The disk's write floor: the same bytes as an export, written plainly (no conversion).

    python bench/write_floor.py FOLDER SIZE [SIZE ...]

Writes one file per SIZE (bytes) into FOLDER with 4 MiB ``write`` calls of ready-made bytes,
closes them (no fsync, as an export does not sync either) and prints the seconds it took.
``run.py`` runs it with the sizes of the files an export just wrote, in the same run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

CHUNK = 4 << 20


def main() -> None:
    folder, sizes = Path(sys.argv[1]), [int(s) for s in sys.argv[2:]]
    folder.mkdir(parents=True, exist_ok=True)
    data = os.urandom(CHUNK)
    start = time.perf_counter()
    for index, size in enumerate(sizes):
        with open(folder / f"floor-{index:02d}.bin", "wb") as out:
            for offset in range(0, size, CHUNK):
                out.write(data[: min(CHUNK, size - offset)])
    print(f"{sum(sizes)} bytes in {len(sizes)} files: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
