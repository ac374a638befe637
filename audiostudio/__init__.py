"""Audiostudio: write a scene, generate its voices, SFX and music, mix and export it."""

__version__ = "0.1.0"
