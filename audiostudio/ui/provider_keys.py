"""The Providers part of Preferences: one key field per cloud service, showing which key is in
use and where it comes from (the environment wins over a stored key), never the key itself.

A typed key is stored only when the dialog is accepted (``apply``), in the OS keyring or, with
none, the 0600 file (``providers/keys.py``); the window then rebuilds its providers.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from audiostudio.providers.config import SERVICES, ProviderConfig, Service
from audiostudio.providers.keys import KeyStore, mask


def key_status(service: Service, config: ProviderConfig, keys: KeyStore) -> str:
    """Which key is in use, in people's words (the last four characters at most)."""
    shown = mask(config.api_key)
    return {
        "env": f"In use: {service.key_env} from the environment ({shown}); it wins over a "
               "key stored here",
        "keyring": f"In use: the key in the system keyring ({shown})",
        "file": f"In use: the key in {keys.file.name}, readable only by you ({shown})",
    }.get(config.key_source, f"No key: {service.title} is listed but unavailable. Make one "
                             f"at {service.keys_page}")


class ProviderKeysBox(QGroupBox):
    def __init__(self, keys: KeyStore, configs: Mapping[str, ProviderConfig],
                 parent: QWidget | None = None) -> None:
        super().__init__("Providers", parent)
        self.keys = keys
        self.fields: dict[str, QLineEdit] = {}
        self.status: dict[str, QLabel] = {}
        self.remove_buttons: dict[str, QPushButton] = {}
        self._removed: set[str] = set()
        rows = QFormLayout(self)
        for service in SERVICES:
            config = configs[service.name]
            field = QLineEdit()
            field.setEchoMode(QLineEdit.EchoMode.Password)  # a key is never shown
            field.setPlaceholderText("paste a new key to store it" if config.api_key
                                     else f"{service.title} API key")
            remove = QPushButton("Remove")
            remove.setToolTip("Forget the key stored here (a key in the environment stays)")
            remove.setEnabled(config.key_source in ("keyring", "file"))
            remove.clicked.connect(lambda _c=False, n=service.name: self._remove(n))
            line = QWidget()
            layout = QHBoxLayout(line)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(field, 1)
            layout.addWidget(remove)
            status = QLabel(key_status(service, config, keys))
            status.setWordWrap(True)
            status.setStyleSheet("color: #9a9ea6;")
            rows.addRow(service.title, line)
            rows.addRow("", status)
            self.fields[service.name] = field
            self.status[service.name] = status
            self.remove_buttons[service.name] = remove
        self.notice = QLabel(keys.notice or "")
        self.notice.setWordWrap(True)
        self.notice.setVisible(bool(keys.notice))  # why keys go to the file, said once
        rows.addRow(self.notice)

    def _remove(self, name: str) -> None:
        self._removed.add(name)
        self.fields[name].clear()
        self.remove_buttons[name].setEnabled(False)
        self.status[name].setText("Removed when you press OK")

    def apply(self) -> list[str]:
        """Store typed keys and forget removed ones; the names of the providers changed."""
        changed = []
        for name, field in self.fields.items():
            typed = field.text().strip()
            if typed:
                self.keys.set(name, typed)
            elif name in self._removed:
                self.keys.delete(name)
            else:
                continue
            field.clear()
            changed.append(name)
        return changed
