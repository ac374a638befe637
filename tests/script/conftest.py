from __future__ import annotations

from pathlib import Path

import pytest

from audiostudio.model import Project
from audiostudio.model.edits import apply
from audiostudio.providers.offline import OfflineProvider
from audiostudio.script import ImportOptions, parse_script, plan_import

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "example-script.txt"


@pytest.fixture(scope="session")
def providers():
    return {"offline": OfflineProvider()}


def imported(text: str, providers, name: str = "scene.txt", project: Project | None = None,
             **options) -> Project:
    """``text`` (as a file called ``name``) imported into ``project`` (a new one)."""
    project = project or Project(name="scene")
    plan = plan_import(parse_script(text, name), project, providers, ImportOptions(**options))
    apply(project, plan.edit)
    return project
