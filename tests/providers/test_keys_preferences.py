"""Preferences > Providers: a key field per service showing which key is in use and from where;
a key typed there is stored (never in settings) and the providers pick it up at once."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QDialog, QLineEdit

from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.store import save_project
from audiostudio.provider_setup import provider_configs
from audiostudio.providers.keys import KeyStore
from audiostudio.providers.registry import available_providers
from audiostudio.settings import Settings
from audiostudio.ui.document import Document
from audiostudio.ui.generation import GenerationController
from audiostudio.ui.main_window import MainWindow
from audiostudio.ui.prompt_form import PromptForm
from audiostudio.ui.provider_keys import ProviderKeysBox

KEY = "sk_typed_in_preferences_5555555555555555"
ENV_KEY = "sk_environment_key_66666666666666666666"


def box_for(keys: KeyStore, environ: dict) -> ProviderKeysBox:
    return ProviderKeysBox(keys, provider_configs(Settings(), keys, environ))


def test_each_service_says_which_key_is_in_use(qtbot, tmp_path):
    keys = KeyStore(tmp_path)  # the suite's keyring has no backend: the file, said once
    keys.set("stability", KEY)
    box = box_for(keys, {"ELEVENLABS_API_KEY": ENV_KEY})
    qtbot.addWidget(box)
    assert "ELEVENLABS_API_KEY from the environment (…6666)" in box.status["elevenlabs"].text()
    assert "keys.json, readable only by you (…5555)" in box.status["stability"].text()
    assert box.status["suno"].text().startswith("No key")
    assert all(f.echoMode() == QLineEdit.EchoMode.Password for f in box.fields.values())
    assert all(f.text() == "" for f in box.fields.values())  # a stored key is never shown
    assert box.remove_buttons["stability"].isEnabled()
    assert not box.remove_buttons["elevenlabs"].isEnabled()  # the environment's is not ours
    assert "no keyring" in box.notice.text() and not box.notice.isHidden()


def test_typed_keys_are_stored_and_removed_ones_forgotten(qtbot, tmp_path):
    keys = KeyStore(tmp_path, use_keyring=False)
    keys.set("stability", KEY)
    box = box_for(keys, {})
    qtbot.addWidget(box)
    box.fields["suno"].setText(f"  {KEY}  ")
    box.remove_buttons["stability"].click()
    assert keys.get("stability") == (KEY, "file")  # nothing changes before OK
    assert sorted(box.apply()) == ["stability", "suno"]
    assert keys.get("suno") == (KEY, "file") and keys.get("stability") == (None, "none")
    assert box.fields["suno"].text() == ""


def test_a_key_added_in_preferences_enables_the_provider_at_once(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("SUNO_API_KEY", raising=False)
    folder = tmp_path / "scene"
    save_project(Project(tracks=[Track("m", kind="music", clips=[Clip(
        "c-song", name="Song", request=Request(kind="music", provider="offline",
                                               prompt="warm folk song"))])]), folder)
    window = MainWindow(settings=Settings())
    qtbot.addWidget(window)
    assert window.open_path(folder)
    assert window.generation.service.providers["suno"].unavailable_reason()

    def type_a_key(dialog):
        dialog.findChild(ProviderKeysBox).fields["suno"].setText(KEY)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QDialog, "exec", type_a_key)
    window.preferences()
    suno = window.generation.service.providers["suno"]
    assert suno.config.api_key == KEY and suno.config.key_source == "file"
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "audiostudio"
    holding = [p.name for p in config.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert holding == ["keys.json"]  # not settings.json, not the project
    assert not any(KEY.encode() in p.read_bytes() for p in folder.rglob("*") if p.is_file())
    KeyStore(config, use_keyring=False).delete("suno")  # the config dir is the session's


def test_the_chooser_lists_keyless_and_wrong_kind_providers_disabled(qtbot, tmp_path):
    folder = tmp_path / "scene"
    clip = Clip("c-line", name="Line", request=Request(kind="voice", text="Hello."))
    save_project(Project(tracks=[Track("v", kind="voice", clips=[clip])]), folder)
    document = Document()
    document.open(folder)
    generation = GenerationController(document, tmp_path / "cache", available_providers(),
                                      {"offline": 1})
    form = PromptForm(document, generation)
    qtbot.addWidget(form)
    form.show_clip(document.project.find_clip("c-line")[1])
    chooser = form.provider
    items = {chooser.itemData(i): chooser.model().item(i) for i in range(chooser.count())}
    assert items["offline"].isEnabled() and items["offline"].text() == "Offline"
    assert not items["elevenlabs"].isEnabled()
    assert items["elevenlabs"].text() == "ElevenLabs — unavailable"
    assert "Preferences > Providers" in items["elevenlabs"].toolTip()
    assert "ELEVENLABS_API_KEY" in form.provider_note.text()
    assert items["suno"].text() == "Suno — no voice line" and not items["suno"].isEnabled()
    generation.close()
