"""Project files: load, save and autosave ``project.json`` (format version 1, see
docs/project-format.md), and tell when an autosave is newer than the saved file (recovery).

Saving follows the format's procedure: temp file, fsync, one ``.bak``, ``os.replace``, fsync of
the folder, so a crash or a full disk never leaves a half-written ``project.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiostudio import __version__
from audiostudio.errors import ProjectError, ProjectFormatError, ProjectNotFoundError
from audiostudio.model.assets import ASSETS_DIR
from audiostudio.model.disk import fsync_dir, os_reason
from audiostudio.model.project import Project
from audiostudio.model.schema import project_from_dict, project_to_dict

PROJECT_FILE = "project.json"
BACKUP_FILE = "project.json.bak"
AUTOSAVE_FILE = "project.autosave.json"


@dataclass
class LoadResult:
    project: Project
    folder: Path
    autosave_newer: bool  # project.autosave.json holds a later revision than project.json




def _read_json(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise ProjectNotFoundError(f"No project file at {file}") from error
    except UnicodeDecodeError as error:
        raise ProjectFormatError(f"{file} is not UTF-8 text (not a project file?)") from error
    except OSError as error:
        raise ProjectError(f"Could not read {file}: {os_reason(error)}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ProjectFormatError(
            f"{file} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from error


def _revision_in(file: Path) -> int:
    """The revision a project file claims, 0 if it is missing or unreadable (only used to
    order saves and autosaves, never to load)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return 0
    revision = data.get("revision") if isinstance(data, dict) else None
    return revision if isinstance(revision, int) and not isinstance(revision, bool) else 0


def _project_file(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / PROJECT_FILE
    if not path.is_file():
        where = path.parent if path.name == PROJECT_FILE else path
        raise ProjectNotFoundError(f"No Audiostudio project at {where} (no {PROJECT_FILE} found)")
    return path


def load_project(path: str | os.PathLike[str]) -> LoadResult:
    """Load a project from its folder or its project.json."""
    file = _project_file(path)
    folder = file.parent
    project = project_from_dict(_read_json(file), folder_name=folder.name)
    autosave = folder / AUTOSAVE_FILE
    newer = autosave.is_file() and _revision_in(autosave) > project.revision
    return LoadResult(project=project, folder=folder, autosave_newer=newer)


def load_autosave(folder: str | os.PathLike[str]) -> Project:
    """The project as last autosaved (offered when ``LoadResult.autosave_newer``)."""
    folder = Path(folder)
    return project_from_dict(_read_json(folder / AUTOSAVE_FILE), folder_name=folder.name)


def _write_project_file(
    project: Project, file: Path, revision: int, backup: Path | None = None
) -> None:
    """Validate, then write atomically; on any failure the existing file is left as it was."""
    data = project_to_dict(project)
    data["revision"] = revision
    data["app_version"] = __version__
    project_from_dict(data)  # refuse to write a file we could not load back
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    tmp = file.with_name(file.name + ".tmp")
    try:
        (file.parent / ASSETS_DIR).mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if backup is not None and file.exists():
            shutil.copyfile(file, backup)
        os.replace(tmp, file)
        fsync_dir(file.parent)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise ProjectError(
            f"Could not save {file}: {os_reason(error)}. The previously saved file is unchanged."
        ) from error


def save_project(project: Project, folder: str | os.PathLike[str]) -> Path:
    """Save to ``folder/project.json`` (the format's atomic procedure, one ``.bak``); bumps
    ``project.revision`` above both the saved file and the autosave, sets ``app_version``."""
    folder = Path(folder)
    file = folder / PROJECT_FILE
    # Above the autosave too, so a stale autosave never looks newer than what was just saved.
    revision = max(project.revision, _revision_in(file), _revision_in(folder / AUTOSAVE_FILE)) + 1
    _write_project_file(project, file, revision, backup=folder / BACKUP_FILE)
    project.revision = revision
    project.app_version = __version__
    return file


def save_autosave(project: Project, folder: str | os.PathLike[str]) -> Path:
    """Write ``project.autosave.json`` with a revision above the saved file's; project.json
    is not touched."""
    folder = Path(folder)
    revision = max(project.revision, _revision_in(folder / PROJECT_FILE)) + 1
    file = folder / AUTOSAVE_FILE
    _write_project_file(project, file, revision)
    project.revision = revision
    return file


def new_project(
    folder: str | os.PathLike[str], name: str | None = None, template: Project | None = None
) -> Project:
    """Create ``folder`` (if needed) with an empty, saved project: ``template`` (the user's
    defaults for new projects) or the format's defaults, named ``name`` or after the folder."""
    folder = Path(folder)
    if (folder / PROJECT_FILE).exists():
        raise ProjectError(f"{folder} already holds a project; open it instead")
    project = template or Project()
    project.name = name or project.name or folder.name
    save_project(project, folder)
    return project
