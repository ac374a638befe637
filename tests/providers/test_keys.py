"""API keys: the OS keyring when it has a backend, else a 0600 file; a locked keyring falls
back to the file and says so once; a key is shown masked, never in full."""

from __future__ import annotations

import json
import stat

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from audiostudio.providers.keys import KeyStore, mask

KEY = "sk_secret_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.saved.get((service, username))

    def set_password(self, service, username, password):
        self.saved[(service, username)] = password

    def delete_password(self, service, username):
        self.saved.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service, username):
        raise KeyringLocked("the login keyring is locked")

    def set_password(self, service, username, password):
        raise KeyringLocked("the login keyring is locked")


@pytest.fixture
def backend():
    """Install a keyring backend for one test (the suite runs with none)."""
    before = keyring.get_keyring()

    def install(ring):
        keyring.set_keyring(ring)
        return ring

    yield install
    keyring.set_keyring(before)


def test_with_a_keyring_keys_go_there_and_nowhere_else(tmp_path, backend):
    ring = backend(MemoryKeyring())
    store = KeyStore(tmp_path)
    assert store.set("elevenlabs", KEY) == "keyring"
    assert store.get("elevenlabs") == (KEY, "keyring")
    assert ring.saved == {("audiostudio", "elevenlabs"): KEY}
    assert not store.file.exists() and store.notice is None
    store.delete("elevenlabs")
    assert store.get("elevenlabs") == (None, "none")


def test_without_a_keyring_keys_are_in_a_file_only_its_owner_reads(tmp_path):
    store = KeyStore(tmp_path)  # the suite's keyring has no backend
    assert store.set("suno", KEY) == "file"
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    assert json.loads(store.file.read_text()) == {"suno": KEY}
    assert KeyStore(tmp_path).get("suno") == (KEY, "file")
    assert "no keyring" in store.notice and str(store.file) in store.notice
    store.set("suno", "  ")  # clearing the field removes the key
    assert store.get("suno") == (None, "none") and json.loads(store.file.read_text()) == {}


def test_a_locked_keyring_falls_back_to_the_file_and_says_so_once(tmp_path, backend):
    backend(LockedKeyring())
    store = KeyStore(tmp_path)
    assert store.set("elevenlabs", KEY) == "file"
    notice = store.notice
    assert "KeyringLocked" in notice and KEY not in notice
    assert store.set("stability", KEY) == "file" and store.notice is notice  # said once
    assert store.get("elevenlabs") == (KEY, "file")


def test_moving_a_key_into_the_keyring_leaves_no_copy_in_the_file(tmp_path, backend):
    KeyStore(tmp_path, use_keyring=False).set("elevenlabs", KEY)
    backend(MemoryKeyring())
    assert KeyStore(tmp_path).set("elevenlabs", KEY) == "keyring"
    assert KEY not in KeyStore(tmp_path).file.read_text()


def test_mask_shows_at_most_the_last_four_characters():
    assert mask(KEY) == "…b1a0" and mask("short") == "set" and mask(None) == "not set"
