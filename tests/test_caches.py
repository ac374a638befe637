"""Cache pruning on real files: least recently used first, generated audio last."""

import os
from pathlib import Path

from audiostudio.caches import mark_used, prune

KB = 1024


def put(root: Path, rel: str, last_used: float, size: int = 10 * KB) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    os.utime(path, (last_used, last_used))
    return path


def left(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_prunes_decoded_and_peaks_first_then_generated_least_recently_used_first(tmp_path):
    root = tmp_path / "cache"
    put(root, "generated/ab/ab1.wav", last_used=100)  # the oldest file of all
    put(root, "generated/cd/cd2.wav", last_used=500)
    put(root, "decoded/k1-48000.1ch.f32", last_used=300)
    put(root, "decoded/k2-48000.2ch.f32", last_used=900)
    put(root, "peaks/k1-48000.npz", last_used=200)
    put(root, "generated/work/tmp1/0.wav", last_used=1)  # a provider writing right now
    put(root, "decoded/x.part", last_used=1)  # a decode in progress

    report = prune(root, limit_bytes=35 * KB)  # 50 KB of finished files, 15 KB over
    assert left(root) == {"generated/ab/ab1.wav", "generated/cd/cd2.wav",
                          "decoded/k2-48000.2ch.f32", "generated/work/tmp1/0.wav",
                          "decoded/x.part"}
    assert (report.removed, report.freed_bytes, report.size_bytes) == (2, 20 * KB, 30 * KB)

    prune(root, limit_bytes=15 * KB)  # the last decoded file goes, then the older generated one
    assert left(root) == {"generated/cd/cd2.wav", "generated/work/tmp1/0.wav", "decoded/x.part"}
    assert not (root / "generated" / "ab").exists()  # its bucket went with its last file
    assert (root / "decoded").is_dir() and (root / "generated" / "work").is_dir()


def test_a_cache_hit_keeps_a_file_longer(tmp_path):
    root = tmp_path / "cache"
    old = put(root, "generated/ab/ab1.wav", last_used=100)
    put(root, "generated/cd/cd2.wav", last_used=500)
    mark_used(old)  # e.g. AssetCache.get served it just now
    prune(root, limit_bytes=10 * KB)
    assert left(root) == {"generated/ab/ab1.wav"}


def test_under_the_limit_nothing_is_removed(tmp_path):
    root = tmp_path / "cache"
    put(root, "peaks/a.npz", last_used=1)
    assert prune(root, limit_bytes=10 * KB).removed == 0 and left(root) == {"peaks/a.npz"}
    assert prune(tmp_path / "no-cache-yet", limit_bytes=0).removed == 0


def test_a_generated_entrys_extras_go_with_it(tmp_path):
    old = put(tmp_path, "generated/ab/ab01.wav", 1000)
    put(tmp_path, "generated/ab/ab01.meta.json", 9000, size=100)  # used later: still goes with it
    put(tmp_path, "generated/cd/cd02.wav", 2000)
    put(tmp_path, "generated/cd/cd02.meta.json", 2000, size=100)
    report = prune(tmp_path, 15 * KB)
    assert not old.exists()
    assert left(tmp_path) == {"generated/cd/cd02.wav", "generated/cd/cd02.meta.json"}
    assert report.removed == 1 and report.freed_bytes == 10 * KB + 100
