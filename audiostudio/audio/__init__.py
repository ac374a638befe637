"""The audio engine: numpy in, numpy out, no Qt."""
