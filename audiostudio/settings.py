"""User settings: one versioned JSON file in the platformdirs config dir.

Every value can be overridden by an ``AUDIOSTUDIO_<NAME>`` environment variable (upper-case field
name), which is how tests and CI steer the app. Window geometry and dock state are not here: they
live in QSettings, which the window owns.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from audiostudio.errors import SettingsError
from audiostudio.model.project import AutoLevel, Mix, Project

# 2: cloud providers' concurrency comes from the account, not a written default of 2
SETTINGS_VERSION = 2
APP_NAME = "audiostudio"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def cache_dir() -> Path:
    """Decoded audio, generated assets and waveform pyramids; relocatable with XDG_CACHE_HOME."""
    override = os.environ.get("AUDIOSTUDIO_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))


@dataclass
class Settings:
    version: int = SETTINGS_VERSION
    recent_projects: list[str] = field(default_factory=list)
    autosave_interval_s: float = 60.0
    cache_size_mb: int = 4096  # the CLI prunes the cache to this after each job (caches.py)
    # Concurrent jobs per provider; a cloud provider without an entry uses what its account
    # allows (ElevenLabs: by plan, 2-15, or the service's maximum-concurrent-requests header).
    concurrency: dict[str, int] = field(default_factory=lambda: {"offline": 2})
    # Per cloud provider: base_url, connect_timeout_s, read_timeout_s, task_deadline_s
    # (audiostudio/provider_setup.py); keys are never here (keyring or keys.json).
    providers: dict[str, dict] = field(default_factory=dict)
    default_sample_rate_hz: int = 48000
    default_target_lufs: float = -16.0
    default_true_peak_dbtp: float = -1.0
    output_device: str = ""  # preview output by description; "" = the system default, "none" = off
    # Keys this version does not know (a newer version's): written back as they were.
    unknown: dict[str, Any] = field(default_factory=dict, repr=False)

    def blank_project(self, name: str | None = None) -> Project:
        """An empty project with the user's defaults for new projects (the ``default_*``)."""
        return Project(name=name, sample_rate_hz=self.default_sample_rate_hz,
                       mix=Mix(target_lufs=self.default_target_lufs,
                               true_peak_ceiling_dbtp=self.default_true_peak_dbtp,
                               auto_level=AutoLevel()))

    def remember_project(self, path: str | Path, keep: int = 10) -> None:
        entry = str(Path(path).resolve())
        self.recent_projects = [entry, *(p for p in self.recent_projects if p != entry)][:keep]


def settings_path() -> Path:
    return config_dir() / "settings.json"


def _coerce(name: str, value: Any, default: Any) -> Any:
    """Parse an env string or JSON value into the type of the field's default."""
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, (list, dict)):
            parsed = json.loads(value) if isinstance(value, str) else value
            if not isinstance(parsed, type(default)):
                raise TypeError
            return parsed
        return value
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"Setting '{name}' has a bad value: {value!r}") from exc


# Version 1 wrote a concurrency of 2 for every cloud provider whether the user chose it or not;
# it capped an ElevenLabs Pro account (10 at once) at 2. Such an entry cannot be told from a
# chosen 2, so it goes: the provider's account then says (a user's other numbers stay).
_V1_WRITTEN_DEFAULTS = {"elevenlabs": 2, "stability": 2, "suno": 2}


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older settings file up to SETTINGS_VERSION; a file without a version is one
    that version 1 wrote (the first with a ``concurrency`` had it)."""
    version = data.get("version", 1)
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        # A newer app wrote this file: use what we understand, keep defaults for the rest.
        return {k: v for k, v in data.items() if k != "version"}
    data = dict(data)
    concurrency = data.get("concurrency")
    if version < 2 and isinstance(concurrency, dict):
        data["concurrency"] = {name: n for name, n in concurrency.items()
                               if _V1_WRITTEN_DEFAULTS.get(name) != n}
    return data


def load_settings(path: Path | None = None) -> Settings:
    path = path or settings_path()
    data: dict[str, Any] = {}
    version = SETTINGS_VERSION
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(f"Cannot read settings file {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise SettingsError(f"Settings file {path} must hold a JSON object")
        written_by = data.get("version")
        if isinstance(written_by, int) and written_by > SETTINGS_VERSION:
            version = written_by  # saved back as the newer app's: it must not migrate again
        data = _migrate(data)
    defaults = Settings()
    known = {f.name for f in fields(Settings)} - {"unknown"}
    values: dict[str, Any] = {"unknown": {k: v for k, v in data.items() if k not in known}}
    for f in fields(Settings):
        if f.name == "unknown":
            continue
        default = getattr(defaults, f.name)
        value = data.get(f.name, default)
        env = os.environ.get(f"AUDIOSTUDIO_{f.name.upper()}")
        if env is not None:
            value = env
        values[f.name] = _coerce(f.name, value, default)
    values["version"] = version
    return Settings(**values)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    try:
        data = asdict(settings)
        tmp.write_text(json.dumps({**data.pop("unknown"), **data}, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SettingsError(f"Cannot save settings to {path}: {exc.strerror or exc}") from exc
