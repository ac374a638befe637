from __future__ import annotations

from pathlib import Path

import pytest

from audiostudio.providers.offline import OfflineProvider

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "example-script.txt"


@pytest.fixture(scope="session")
def providers():
    return {"offline": OfflineProvider()}
