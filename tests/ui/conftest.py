"""Every window under test starts as on a first start: no window geometry or dock sizes kept
from the windows of earlier tests (screenshots and layout tests see the defaults)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

WINDOW_KEYS = ("geometry", "windowState")


@pytest.fixture(autouse=True)
def _first_start_window_layout():
    stored = QSettings("Audiostudio", "Audiostudio")
    for key in WINDOW_KEYS:
        stored.remove(key)
    yield
    for key in WINDOW_KEYS:
        stored.remove(key)
