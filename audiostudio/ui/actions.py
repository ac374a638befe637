"""Every command that has a shortcut, as one QAction: the only place keys are written down.

``KEYS`` names each command's keys and what it does; the window and the timeline create their
QActions through an ``ActionRegistry`` (binding their own slots), then menus, the clip context
menu, toolbar tips and the Keyboard Shortcuts dialog all read the registry, so a key changed
here changes everywhere. Timeline commands are scoped to the timeline
(``WidgetWithChildrenShortcut``): S or Delete typed into the inspector edits text, not clips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

Key = QKeySequence.StandardKey
Keys = Sequence[str | Key]

# name -> (keys, the first one shown in menus and the dialog; what the command does)
KEYS: dict[str, tuple[Keys, str]] = {
    "new": ((Key.New,), "New project"),
    "open": ((Key.Open,), "Open a project folder"),
    "save": ((Key.Save,), "Save"),
    "save_as": ((Key.SaveAs,), "Save into another folder"),
    "import": (("Ctrl+I",), "Import audio files"),
    "export": (("Ctrl+E",), "Export the mix and stems"),
    "quit": ((Key.Quit,), "Quit"),
    "undo": ((Key.Undo,), "Undo"),
    "redo": (("Ctrl+Shift+Z", Key.Redo), "Redo"),
    "preferences": ((Key.Preferences,), "Preferences"),
    "zoom_fit": (("Ctrl+0",), "Fit the whole scene: its length across, its tracks to the "
                             "height"),
    "play": (("Space",), "Play / pause from the playhead"),
    "stop": (("Shift+Space",), "Stop and return to where play started"),
    "loop": (("L",), "Loop the selected clips, or between the markers around the playhead"),
    "follow": (("F",), "The view follows the playhead while playing"),
    "generate": (("Ctrl+G",), "Generate the selected prompt clips (empty or stale ones)"),
    "new_take": (("Ctrl+Shift+G",), "A new take of the selected prompt clips"),
    "generate_stale": (("Ctrl+Alt+G",), "Generate every empty or stale prompt clip"),
    "playhead_start": (("Home",), "Playhead to start"),
    "playhead_end": (("End",), "Playhead to end"),
    "split": (("S",), "Split selected clips at the playhead"),
    "delete": (("Del", "Backspace"), "Delete selected clips"),
    "duplicate": (("Ctrl+D",), "Duplicate selected clips right after themselves"),
    "copy": ((Key.Copy,), "Copy selected clips"),
    "paste": ((Key.Paste,), "Paste clips at the playhead"),
    "nudge_left": (("Left",), "Nudge selected clips one grid step earlier"),
    "nudge_right": (("Right",), "Nudge selected clips one grid step later"),
    # "+" is Shift+= on many layouts, and the keypad's plus carries the keypad modifier.
    "zoom_in": (("+", "=", "Shift++", "Num++"), "Zoom in"),
    "zoom_out": (("-", "Num+-"), "Zoom out"),
    "taller_tracks": (("Ctrl+Up",), "Taller tracks (every lane)"),
    "shorter_tracks": (("Ctrl+Down",), "Shorter tracks (every lane)"),
    "snap": (("N",), "Snapping on / off"),
    "mute_track": (("M",), "Mute the selected clips' tracks"),
}
# Mouse gestures the dialog lists beside the keys (no action of their own).
GESTURES = [
    ("Ctrl+wheel", "Zoom around the mouse"),
    ("Ctrl+wheel over the track headers", "Taller or shorter tracks"),
    ("Drag a track header's bottom edge", "Resize that track"),
    ("Shift+wheel", "Scroll in time"),
    ("Alt while dragging", "Bypass snapping"),
]


def key_sequences(keys: Keys) -> list[QKeySequence]:
    found: list[QKeySequence] = []
    for key in keys:
        found += (QKeySequence.keyBindings(key) if isinstance(key, Key)
                  else [QKeySequence(key)])
    return found


class ActionRegistry:
    """The QActions of one window, by name; their keys and descriptions come from ``KEYS``."""

    def __init__(self) -> None:
        self._actions: dict[str, QAction] = {}

    def create(self, parent: QObject, name: str, text: str, slot: Callable[[], object],
               scope: QWidget | None = None) -> QAction:
        """A new action named ``name``; with ``scope``, its keys work only while the focus is
        in that widget (or its children)."""
        action = QAction(text, parent)
        action.triggered.connect(lambda _checked=False: slot())
        return self.register(name, action, scope)

    def register(self, name: str, action: QAction, scope: QWidget | None = None) -> QAction:
        """Give an action (new, or an undo stack's) its keys and put it in the registry."""
        if name in self._actions:
            raise ValueError(f"two actions named {name!r}")
        action.setShortcuts(key_sequences(KEYS[name][0]))
        if scope is not None:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            scope.addAction(action)
        self._actions[name] = action
        return action

    def __getitem__(self, name: str) -> QAction:
        return self._actions[name]

    def tip(self, name: str) -> str:
        """The command's description and its key, for a tooltip: "Zoom in (+)"."""
        key = self._actions[name].shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        what = KEYS[name][1]
        return f"{what} ({key})" if key else what

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(key, what) for the shortcuts dialog: each registered action's first key, in
        ``KEYS`` order, then the mouse gestures."""
        native = QKeySequence.SequenceFormat.NativeText
        return [(action.shortcut().toString(native), KEYS[name][1])
                for name in KEYS if (action := self._actions.get(name)) is not None
                and not action.shortcut().isEmpty()] + GESTURES
