"""Mix + stems + loudness report, streamed block by block from the mixer."""
