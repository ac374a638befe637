"""Fixtures the provider tests share."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture
def pool():
    """Threads for a GenerationService under test."""
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor
