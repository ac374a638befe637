"""API keys kept out of projects: the OS keyring when it has a backend, else a 0600 file.

The file (``keys.json`` in the config folder the caller gives) is the fallback for a machine
without a keyring (a server, CI) or with a locked one; the store says so once, in ``notice``.
A key is never logged, never part of a message, and ``mask`` is how one is shown.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from audiostudio.errors import SettingsError

KEYRING_SERVICE = "audiostudio"
KEYS_FILE = "keys.json"


def mask(key: str | None) -> str:
    """How a key may be shown: its last four characters at most, for telling keys apart."""
    if not key:
        return "not set"
    return f"…{key[-4:]}" if len(key) >= 16 else "set"


class KeyStore:
    def __init__(self, folder: Path, use_keyring: bool = True) -> None:
        self.file = folder / KEYS_FILE
        self._keyring_ok = use_keyring
        self.notice: str | None = None  # why keys are in the file, said once

    # --- keyring, falling back to the file once it fails ---------------------------------
    def _keyring(self):
        if not self._keyring_ok:
            return None
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            self._fall_back("this system has no keyring")
            return None
        return keyring

    def _fall_back(self, why: str) -> None:
        self._keyring_ok = False
        if self.notice is None:
            self.notice = f"API keys are kept in {self.file} (readable only by you): {why}"

    def _try_keyring(self, action):
        from keyring.errors import KeyringError

        ring = self._keyring()
        if ring is None:
            return False, None
        try:
            return True, action(ring)
        except KeyringError as exc:  # locked, or the backend's service is not running
            self._fall_back(f"the keyring could not be used ({type(exc).__name__})")
            return False, None

    # --- the 0600 file ----------------------------------------------------------------------
    def _read_file(self) -> dict[str, str]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except (OSError, ValueError) as exc:
            raise SettingsError(f"Cannot read the API key file {self.file}: "
                                f"{type(exc).__name__}") from None
        return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) \
            else {}

    def _write_file(self, keys: dict[str, str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        # Created 0600 before a byte is written: the key is never readable by others.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(keys, out)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.file)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise SettingsError(f"Cannot save the API key file {self.file}: "
                                f"{exc.strerror or type(exc).__name__}") from None

    # --- the store ------------------------------------------------------------------------
    def get(self, name: str) -> tuple[str | None, str]:
        """(key, where it is: "keyring" / "file" / "none")."""
        used, key = self._try_keyring(lambda ring: ring.get_password(KEYRING_SERVICE, name))
        if used and key:
            return key, "keyring"
        key = self._read_file().get(name)
        return (key, "file") if key else (None, "none")

    def set(self, name: str, key: str) -> str:
        """Store ``key`` for provider ``name``; returns where it went."""
        key = key.strip()
        if not key:
            self.delete(name)
            return "none"
        used, _ = self._try_keyring(lambda ring: ring.set_password(KEYRING_SERVICE, name, key))
        keys = self._read_file()
        if used:
            if keys.pop(name, None) is not None:  # one place per key: no stale copy left
                self._write_file(keys)
            return "keyring"
        keys[name] = key
        self._write_file(keys)
        return "file"

    def delete(self, name: str) -> None:
        from keyring.errors import PasswordDeleteError

        def remove(ring) -> None:
            with contextlib.suppress(PasswordDeleteError):  # there was none
                ring.delete_password(KEYRING_SERVICE, name)

        self._try_keyring(remove)
        keys = self._read_file()
        if keys.pop(name, None) is not None:
            self._write_file(keys)
