"""The main window: menus, transport, the timeline panel, the inspector, files and autosave."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from audiostudio.errors import AudiostudioError
from audiostudio.model import Track, new_id, timecode
from audiostudio.model.edits import AddTrack
from audiostudio.model.reflow import reflow_edit
from audiostudio.model.selection_edits import Clipboard
from audiostudio.provider_setup import configured_providers, key_store, provider_configs
from audiostudio.settings import Settings, cache_dir, load_settings, save_settings
from audiostudio.ui import theme, workers
from audiostudio.ui.actions import ActionRegistry
from audiostudio.ui.document import Document
from audiostudio.ui.export_dialog import ExportDialog
from audiostudio.ui.generation import GenerationController
from audiostudio.ui.inspector import Inspector
from audiostudio.ui.jobs_dock import JobsDock
from audiostudio.ui.loudness_panel import LoudnessPanel
from audiostudio.ui.mixer import MixerDock
from audiostudio.ui.preview import Preview
from audiostudio.ui.problems_dock import ProblemsDock
from audiostudio.ui.provider_keys import ProviderKeysBox
from audiostudio.ui.script_dialog import ScriptDialog
from audiostudio.ui.theme import apply_dark_theme
from audiostudio.ui.timeline import TimelinePanel
from audiostudio.ui.video_dock import VideoDock

AUDIO_FILTER = (
    "Audio files (*.wav *.flac *.ogg *.mp3 *.m4a *.aac *.aiff *.aif *.opus);;All files (*)"
)

def format_time(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes):02d}:{secs:06.3f}"


class MainWindow(QMainWindow):
    def __init__(self, document: Document | None = None, settings: Settings | None = None,
                 clipboard: Clipboard | None = None) -> None:
        """``clipboard``: share one between windows so clips paste across projects."""
        super().__init__()
        apply_dark_theme(QApplication.instance())  # idempotent; the window always looks the same
        self.settings = settings or load_settings()
        # a window opened on nothing starts with a new project: the defaults for new projects
        self.document = document or Document(self.settings.blank_project("Untitled"))
        self.setAcceptDrops(True)
        self.commands = ActionRegistry()  # every shortcut of the window (``actions.py``)
        self.panel = TimelinePanel(self.document, clipboard, self.commands)
        self.setCentralWidget(self.panel)
        self.panel.view.fit_lanes()  # the lanes fill the timeline's height as it is resized
        self.generation = GenerationController(
            self.document, cache_dir(), configured_providers(self.settings),
            self.settings.concurrency)
        self.inspector = Inspector(self.document, self.generation,
                                   play=lambda path: self.preview.audition(path))
        self._add_dock("Inspector", self.inspector, "inspectorDock")
        self.panel.view.clip_activated.connect(self.inspector.focus_text)
        self.panel.view.generate_requested.connect(lambda ids: self.generation.generate(ids))
        history = QUndoView(self.document.undo_stack)
        history.setEmptyLabel("Opened")
        self._add_dock("History", history, "historyDock")
        self.video_dock = VideoDock(self.document)
        self._add_dock("Video", self.video_dock, "videoDock")
        self.document.reset.connect(self._restore_video)
        self.preview = Preview(self.document, cache_dir(), device=self.settings.output_device)
        self.inspector.overview.follow_loudness(self.preview)
        self.jobs = JobsDock(self.generation)
        self._add_dock("Jobs", self.jobs, "jobsDock")
        self.mixer = MixerDock(self.document, self.preview)
        # In a scroll area, so on a small screen the dock may be shorter than its strips.
        mixer_scroll = QScrollArea()
        mixer_scroll.setWidget(self.mixer)
        mixer_scroll.setWidgetResizable(True)
        mixer_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        mixer_dock = self._add_dock("Mixer", mixer_scroll, "mixerDock",
                                    Qt.DockWidgetArea.BottomDockWidgetArea)
        self.inspector.overview.mixer_requested.connect(
            lambda: (mixer_dock.show(), mixer_dock.raise_()))
        self.inspector.overview.clips_chosen.connect(self._show_clips)
        self.loudness = LoudnessPanel(self.document, self.preview)
        self._add_dock("Loudness", self.loudness, "loudnessDock",
                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.problems = ProblemsDock(self.document, self.generation.service.providers)
        problems_dock = self._add_dock("Problems", self.problems, "problemsDock",
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.problems.show_requested.connect(lambda: (problems_dock.show(), problems_dock.raise_()))
        self.problems.clip_chosen.connect(lambda clip_id: self.panel.view.ensure_time_visible(
            self.document.project.find_clip(clip_id)[1].start))
        self.findChild(QDockWidget, "mixerDock").raise_()
        self._build_actions()
        self._build_menus()
        self._build_transport()
        self.statusBar().showMessage("Ready")
        self.statusBar().addPermanentWidget(self.problems.status_button)
        self.panel.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.preview.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.preview.playing_changed.connect(self._playing_changed)
        self.preview.plan_changed.connect(
            lambda: self.panel.view.set_duck_line(self.preview.duck_line()))
        self.generation.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.generation.clip_changed.connect(self._clip_generation_changed)
        self.document.dirty_changed.connect(lambda _d: self._update_title())
        self.document.reset.connect(self._update_title)
        self.document.saved.connect(lambda _f: self._update_title())
        self.document.playhead_moved.connect(self._show_time)
        # the grid and start timecode are the project's: undo or a new video changes them
        self.document.changed.connect(lambda _ids: self._show_time(self.document.playhead))
        self.document.reset.connect(lambda: self._show_time(self.document.playhead))
        self.document.playhead_moved.connect(self._follow_playhead)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start(max(5, int(self.settings.autosave_interval_s)) * 1000)
        self.workers = workers.Workers()
        self._size_mixer_on_show = False  # a first start sizes the mixer dock when shown
        self._restore_geometry()
        self._update_title()

    # --- construction ---------------------------------------------------------------------
    def _add_dock(self, title: str, widget: QWidget, name: str,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Docks of one area share it as tabs: the first one added stays in front."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setMinimumWidth(300)
        first = next((d for d in self.findChildren(QDockWidget)
                      if d is not dock and self.dockWidgetArea(d) == area), None)
        self.addDockWidget(area, dock)
        if first is not None:
            self.tabifyDockWidget(first, dock)
            first.raise_()
        return dock

    def _build_actions(self) -> None:
        commands = self.commands
        create = commands.create
        self.new_action = create(self, "new", "&New", self.new_project)
        self.open_action = create(self, "open", "&Open…", self.open_dialog)
        self.script_action = QAction("New from &Script…", self)
        self.script_action.setToolTip("A project laid out from a script: its lines, sound "
                                      "effects, music cues and scenes")
        self.script_action.triggered.connect(self.new_from_script)
        self.reflow_action = QAction("&Re-flow Script Timing", self)
        self.reflow_action.setToolTip("Move the script's clips to follow their lines' real "
                                      "lengths (pinned @ cues and lines you moved stay)")
        self.reflow_action.triggered.connect(lambda: self.reflow())
        self.reflow_script_action = QAction("Re-flow, &Forgetting Hand Moves", self)
        self.reflow_script_action.setToolTip("As Re-flow Script Timing, but the lines you moved "
                                             "by hand go back where the script places them")
        self.reflow_script_action.triggered.connect(lambda: self.reflow(forget_moves=True))
        self.save_action = create(self, "save", "&Save", self.save)
        self.save_as_action = create(self, "save_as", "Save &As…", self.save_as)
        self.import_action = create(self, "import", "&Import Audio…", self.import_dialog)
        self.import_video_action = QAction("Import &Video…", self)
        self.import_video_action.setToolTip("A reference video: its frame rate, start timecode "
                                            "and length become the project's")
        self.import_video_action.triggered.connect(self.import_video_dialog)
        self.timecode_action = QAction("&Timecode", self)
        self.timecode_action.setCheckable(True)
        self.timecode_action.setToolTip("Show the ruler and the time display as HH:MM:SS:FF")
        self.timecode_action.toggled.connect(self.set_show_timecode)
        self.export_action = create(self, "export", "&Export Mix and Stems…", self.export_dialog)
        self.quit_action = create(self, "quit", "&Quit", self.close)
        self.undo_action = commands.register(
            "undo", self.document.undo_stack.createUndoAction(self, "&Undo"))
        self.redo_action = commands.register(
            "redo", self.document.undo_stack.createRedoAction(self, "&Redo"))
        self.prefs_action = create(self, "preferences", "&Preferences…", self.preferences)
        self.fit_action = create(self, "zoom_fit", "Zoom to &Fit", self.panel.view.fit_scene)
        self.track_actions = []
        for kind, label in (("voice", "&Voice"), ("sfx", "&SFX"), ("music", "&Music"),
                            ("audio", "&Audio")):
            action = QAction(theme.icon(kind), f"Add {label} Track", self)
            action.triggered.connect(lambda _c=False, k=kind: self.add_track(k))
            self.track_actions.append(action)
        self.shortcuts_action = QAction("&Keyboard Shortcuts", self)
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        icon = theme.icon
        self.play_action = create(self, "play", "&Play", self.preview.toggle)
        self.play_action.setIcon(icon("play"))
        self.play_action.setToolTip(commands.tip("play"))
        self.stop_action = create(self, "stop", "&Stop", self.preview.stop)
        self.stop_action.setIcon(icon("stop"))
        self.stop_action.setToolTip(commands.tip("stop"))
        self.loop_action = create(self, "loop", "&Loop", self.toggle_loop)
        self.loop_action.setCheckable(True)
        self.loop_action.setIcon(icon("loop"))
        self.loop_action.setToolTip(commands.tip("loop"))
        self.follow_action = create(self, "follow", "&Follow Playhead", lambda: None)
        self.follow_action.setCheckable(True)
        self.follow_action.setChecked(True)
        self.follow_action.setIcon(icon("follow"))
        self.generate_action = create(self, "generate", "&Generate Selected",
                                      lambda: self.generate_selected(new_take=False))
        self.generate_action.setToolTip(commands.tip("generate"))
        self.generate_action.setIcon(icon("generate"))
        self.new_take_action = create(self, "new_take", "New &Take of Selected",
                                      lambda: self.generate_selected(new_take=True))
        self.stale_action = create(self, "generate_stale", "Generate All &Stale",
                                   lambda: self.generation.generate())
        self.stale_action.setToolTip(commands.tip("generate_stale"))
        self.stale_action.setIcon(icon("generate"))
        # The timeline's own commands (they also keep the playhead in view).
        self.home_action = commands["playhead_start"]
        self.home_action.setIcon(icon("to-start"))
        self.home_action.setToolTip(commands.tip("playhead_start"))
        self.end_action = commands["playhead_end"]
        self.end_action.setIcon(icon("to-end"))
        self.end_action.setToolTip(commands.tip("playhead_end"))
        self.import_action.setIcon(icon("import"))
        self.export_action.setIcon(icon("export"))
        self.undo_action.setIcon(icon("undo"))
        self.redo_action.setIcon(icon("redo"))
        self.new_take_action.setIcon(icon("new-take"))
        self.fit_action.setIcon(icon("zoom-fit"))

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.script_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addActions([self.import_action, self.import_video_action, self.export_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.commands[name] for name in (
            "split", "duplicate", "copy", "paste", "delete", "nudge_left", "nudge_right",
            "mute_track")])
        edit_menu.addAction(self.reflow_action)
        edit_menu.addAction(self.reflow_script_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.prefs_action)
        track_menu = bar.addMenu("&Track")
        track_menu.addActions(self.track_actions)
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.commands[name] for name in ("zoom_in", "zoom_out")])
        view_menu.addAction(self.fit_action)
        view_menu.addActions([self.commands[name] for name in ("taller_tracks",
                                                               "shorter_tracks")])
        view_menu.addAction(self.commands["snap"])
        view_menu.addAction(self.timecode_action)
        view_menu.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())
        play_menu = bar.addMenu("&Play")
        play_menu.addActions([self.play_action, self.stop_action, self.loop_action,
                              self.follow_action])
        generate_menu = bar.addMenu("&Generate")
        generate_menu.addActions([self.generate_action, self.new_take_action,
                                  self.stale_action])
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)

    def _build_transport(self) -> None:
        transport = self.addToolBar("Transport")
        transport.setObjectName("transportBar")
        transport.setMovable(False)
        transport.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.time_label = QLabel(format_time(0.0))
        self.time_label.setObjectName("timeDisplay")
        # Icons only where the text would change (undo/redo name their step in the tooltip).
        for action in (self.home_action, self.play_action, self.stop_action, self.end_action,
                       self.time_label, None, self.undo_action, self.redo_action):
            if action is None:
                transport.addSeparator()
            elif isinstance(action, QLabel):
                transport.addWidget(action)
            else:
                transport.addAction(action)
                transport.widgetForAction(action).setToolButtonStyle(
                    Qt.ToolButtonStyle.ToolButtonIconOnly)
        transport.addSeparator()
        transport.addActions([self.loop_action, self.stale_action])
        transport.addSeparator()
        transport.addActions([self.import_action, self.export_action, self.fit_action])

    # --- title, geometry ------------------------------------------------------------------
    def _update_title(self) -> None:
        project = self.document.project
        name = project.name or (self.document.folder.name if self.document.folder else "Untitled")
        self.setWindowModified(self.document.is_dirty)
        self.setWindowTitle(f"{name}[*] — Audiostudio")

    def _restore_geometry(self) -> None:
        stored = QSettings("Audiostudio", "Audiostudio")
        geometry = stored.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:  # the first start: most of the screen, the mixer a strip under the timeline
            screen = QApplication.primaryScreen().availableGeometry()
            self.resize(min(1600, round(screen.width() * 0.9)),
                        min(1000, round(screen.height() * 0.9)))
            self._size_mixer()  # now, and again at the size the window is shown at
            self._size_mixer_on_show = True
            for name in ("inspectorDock", "mixerDock"):  # in front of their tabs
                self.findChild(QDockWidget, name).raise_()
        state = stored.value("windowState")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._size_mixer_on_show:  # once the docks are laid out (resizeDocks is lost before)
            self._size_mixer_on_show = False
            QTimer.singleShot(0, self._size_mixer)

    def _size_mixer(self) -> None:
        """The mixer as tall as its strips need; in a small window (once shown) at most a
        third of it."""
        mixer = self.findChild(QDockWidget, "mixerDock")
        title = mixer.minimumSizeHint().height() - mixer.widget().minimumSizeHint().height()
        # the size asked for is the dock area's: the tab bar of its tabbed docks included
        tabs = next((bar.sizeHint().height() for bar in self.findChildren(QTabBar)
                     if mixer.windowTitle() in (bar.tabText(i) for i in range(bar.count()))), 0)
        need = self.mixer.minimumSizeHint().height() + title + tabs
        if self.isVisible():
            need = min(need, self.height() // 3)
        self.resizeDocks([mixer], [need], Qt.Orientation.Vertical)

    def _save_geometry(self) -> None:
        stored = QSettings("Audiostudio", "Audiostudio")
        stored.setValue("geometry", self.saveGeometry())
        stored.setValue("windowState", self.saveState())

    # --- files ----------------------------------------------------------------------------
    def _confirm_discard(self) -> bool:
        """True when there are no unsaved changes or the user chose what to do with them."""
        if not self.document.is_dirty:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", "Save the changes to this project first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self._confirm_discard():
            self.document.replace(self.settings.blank_project("Untitled"), None)

    def new_from_script(self) -> ScriptDialog | None:
        """The dialog (returned for tests, which drive it and call ``finish_script``)."""
        if not self._confirm_discard():
            return None
        dialog = ScriptDialog(self.generation.service, self.settings, self)
        dialog.finished.connect(lambda _r: self.finish_script(dialog))
        dialog.open()
        return dialog

    def finish_script(self, dialog: ScriptDialog) -> None:
        if dialog.folder is None:
            return
        if self.open_path(dialog.folder, ask_recovery=False) and dialog.generate:
            self.generation.generate()

    def reflow(self, forget_moves: bool = False) -> None:
        edit = reflow_edit(self.document.project, forget_moves=forget_moves)
        if edit is None:
            self.statusBar().showMessage("Nothing to re-flow: the script's clips already "
                                         "follow their lines", 6000)
            return
        error = self.document.try_apply(edit, "Re-flow script timing")
        if error:
            self.show_error("Cannot re-flow", AudiostudioError(error))

    def open_dialog(self) -> None:
        if not self._confirm_discard():
            return
        folder = QFileDialog.getExistingDirectory(self, "Open project folder")
        if folder:
            self.open_path(Path(folder))

    def open_path(self, path: Path, ask_recovery: bool = True, interactive: bool = True) -> bool:
        """Open a project; with ``interactive=False`` (screenshots) errors raise, no dialogs."""
        def ask() -> bool:
            answer = QMessageBox.question(
                self, "Recover unsaved work?",
                "This project has an autosave newer than its last save (the app may have "
                "closed unexpectedly). Open the autosaved version?",
            )
            return answer == QMessageBox.StandardButton.Yes

        try:
            use_autosave = self.document.open(
                path, recover=ask if ask_recovery and interactive else None)
        except AudiostudioError as exc:
            if not interactive:
                raise
            self.show_error("Cannot open project", exc)
            return False
        self._remember(self.document.folder)
        self.panel.view.fit_scene()
        self.statusBar().showMessage(
            f"Opened {self.document.folder}" + (" (recovered autosave)" if use_autosave else ""))
        return True

    def save(self) -> bool:
        if self.document.folder is None:
            return self.save_as()
        return self._save_to(None)

    def save_as(self) -> bool:
        folder = QFileDialog.getExistingDirectory(self, "Save project into folder")
        return bool(folder) and self._save_to(Path(folder))

    def _save_to(self, folder: Path | None) -> bool:
        try:
            target = self.document.save(folder)
        except (AudiostudioError, OSError) as exc:
            self.show_error("Could not save", exc)
            return False
        self._remember(target)
        self.statusBar().showMessage(f"Saved {target}", 4000)
        return True

    def autosave(self) -> None:
        try:
            if self.document.autosave():
                self.statusBar().showMessage("Autosaved", 2000)
        except AudiostudioError as exc:
            self.statusBar().showMessage(f"Autosave failed: {exc}", 8000)

    def _remember(self, folder: Path | None) -> None:
        if folder is None:
            return
        self.settings.remember_project(folder)
        try:
            save_settings(self.settings)
        except AudiostudioError as exc:
            self.statusBar().showMessage(str(exc), 6000)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for entry in self.settings.recent_projects:
            action = self.recent_menu.addAction(entry)
            action.triggered.connect(
                lambda _checked=False, p=entry: self._confirm_discard() and self.open_path(Path(p)))
        if not self.settings.recent_projects:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def add_track(self, kind: str) -> None:
        names = {"voice": "Voice", "sfx": "SFX", "music": "Music", "audio": "Audio"}
        taken = {t.name for t in self.document.project.tracks}
        name = names[kind]
        number = 2
        while name in taken:
            name, number = f"{names[kind]} {number}", number + 1
        self.document.apply(AddTrack(Track(new_id("t"), name=name, kind=kind)),
                            f"Add track {name}")

    # --- import and export ----------------------------------------------------------------
    def _needs_folder(self) -> bool:
        if self.document.folder is not None:
            return True
        QMessageBox.information(self, "Save first",
                                "Save the project into a folder first: imported audio is "
                                "copied into the project's assets folder.")
        return self.save_as()

    def import_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import audio", "", AUDIO_FILTER)
        if files:
            self.import_files([Path(f) for f in files])

    def import_video_dialog(self) -> None:
        from audiostudio.video import VIDEO_SUFFIXES

        file, _ = QFileDialog.getOpenFileName(
            self, "Import reference video", "",
            f"Videos ({' '.join('*' + s for s in VIDEO_SUFFIXES)});;All files (*)")
        if file:
            self.import_video(Path(file))

    def import_video(self, file: Path) -> workers.Worker | None:
        """Probe and extract the audio on a worker; the project takes the video's grid, start
        timecode and length, its audio a locked reference track (one undo step)."""
        if not self._needs_folder():
            return None
        from audiostudio.video import reference_edit, stage_video

        folder, rate = self.document.folder, self.document.project.sample_rate_hz

        def done(staged):
            edit, _ = reference_edit(self.document.project, staged)
            error = self.document.try_apply(edit, f"Import reference video {file.name}")
            if error:
                self.show_error("Cannot use the video", AudiostudioError(error))
                return
            QSettings("Audiostudio", "Audiostudio").setValue(
                f"referenceVideo/{self.document.folder}", str(file))
            self.video_dock.set_video(file)
            self.findChild(QDockWidget, "videoDock").raise_()
            self.statusBar().showMessage(f"Reference video: {staged.info.describe()}", 8000)

        self.statusBar().showMessage(f"Reading {file.name}…")
        return self.workers.start(
            lambda _progress, _cancelled: stage_video(folder, file, rate, cache_dir()), done,
            lambda exc: self.show_error("Cannot import the video", exc))

    def _restore_video(self) -> None:
        """The preview shows the video last imported into this project folder, if still there."""
        folder = self.document.folder
        stored = QSettings("Audiostudio", "Audiostudio").value(f"referenceVideo/{folder}")
        self.video_dock.set_video(Path(stored) if folder is not None and stored else None)

    def set_show_timecode(self, on: bool) -> None:
        self.panel.view.ruler.set_show_timecode(on)
        self._show_time(self.document.playhead)

    def _show_time(self, seconds: float) -> None:
        self.time_label.setText(timecode.project_label(self.document.project, seconds)
                                if self.timecode_action.isChecked() else format_time(seconds))

    def import_files(self, files: list[Path], track_id: str | None = None) -> None:
        """Copy and decode on a worker; place all files on the GUI thread as one undo step."""
        if not files or not self._needs_folder():
            return
        from audiostudio.importing import placement_edit, stage_import

        folder, rate = self.document.folder, self.document.project.sample_rate_hz

        def job(progress, cancelled):
            staged = []
            for index, file in enumerate(files):
                if cancelled():
                    break
                staged.append(stage_import(folder, file, rate, cache_dir()))
                progress((index + 1) / len(files))
            return staged

        def done(staged):
            if track_id is None:
                selected = [self.document.project.find_clip(c) for c in self.document.selection]
                target = next((found[0].id for found in selected if found), None)
            else:
                target = track_id
            edit, clip_ids = placement_edit(self.document.project, staged,
                                            at=self.document.playhead, track_id=target)
            error = self.document.try_apply(edit, f"Import {len(staged)} file(s)")
            if error:
                self.show_error("Cannot place the imported audio", AudiostudioError(error))
                return
            self.document.select(set(clip_ids))
            self.statusBar().showMessage(f"Imported {len(staged)} file(s)", 4000)

        self.statusBar().showMessage(f"Importing {len(files)} file(s)…")
        self.workers.start(
            job, done, lambda exc: self.show_error("Cannot import audio", exc),
            lambda f: self.statusBar().showMessage(f"Importing… {f * 100:.0f}%"))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Audio files become clips where they land; a video becomes the reference picture
        (as File > Import Video), its sound the locked reference track."""
        from audiostudio.video import is_video_file

        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        videos = [f for f in files if is_video_file(f)]
        if videos:
            self.import_video(videos[0])  # one picture: the first video dropped
        position = self.panel.view.mapFrom(self, event.position().toPoint())
        track_id = self.panel.view.track_id_at(position)
        self.import_files([f for f in files if not is_video_file(f)], track_id)
        event.acceptProposedAction()

    def export_dialog(self) -> ExportDialog | None:
        """The export dialog; the loop and the selection (or markers) are offered as ranges."""
        if not self._needs_folder():
            return None
        ranges = []
        if self.preview.loop is not None:
            ranges.append(("Loop range", self.preview.loop))
        span = self._loop_span()
        if span is not None and span != self.preview.loop:
            ranges.append(("Selected clips" if self.document.selection else "Between markers",
                           span))
        dialog = ExportDialog(self.document, self.workers, ranges, parent=self,
                              video=self.video_dock.video)
        dialog.show()
        return dialog

    def export_to(self, out_dir: Path) -> workers.Worker:
        """Mix and stems into ``out_dir`` at once, shown in the export dialog."""
        from audiostudio.export.render import ExportOptions

        dialog = self.export_dialog()
        assert dialog is not None, "export_to needs a saved project"
        return dialog.run(out_dir, ExportOptions(stems=True))

    # --- playback and generation ---------------------------------------------------------
    def _playing_changed(self, playing: bool) -> None:
        self.play_action.setIcon(theme.icon("pause" if playing else "play"))
        self.play_action.setText("&Pause" if playing else "&Play")

    def _follow_playhead(self, seconds: float) -> None:
        if self.preview.playing and self.follow_action.isChecked():
            self.panel.view.ensure_time_visible(seconds)

    def toggle_loop(self) -> None:
        """Loop the selected clips' span, else the markers around the playhead; again: off."""
        if self.preview.loop is not None:
            self.preview.clear_loop()
            self.loop_action.setChecked(False)
            self.statusBar().showMessage("Loop off", 3000)
            return
        span = self._loop_span()
        if span is None:
            self.loop_action.setChecked(False)
            self.statusBar().showMessage(
                "Select clips, or put the playhead between two markers, to loop", 6000)
            return
        self.preview.set_loop(*span)
        self.loop_action.setChecked(True)
        self.statusBar().showMessage(
            f"Looping {format_time(span[0])} – {format_time(span[1])}", 4000)

    def _loop_span(self) -> tuple[float, float] | None:
        project = self.document.project
        clips = [found[1] for c in self.document.selection
                 if (found := project.find_clip(c)) is not None]
        if clips:
            return min(c.start for c in clips), max(c.end for c in clips)
        times = sorted(m.time for m in project.markers)
        here = self.document.playhead
        before = [t for t in times if t <= here]
        after = [t for t in times if t > here]
        return (before[-1], after[0]) if before and after else None

    def _show_clips(self, clip_ids: set[str]) -> None:
        """Scroll to the first of the clips an overview count selected."""
        starts = [found[1].start for clip_id in clip_ids
                  if (found := self.document.project.find_clip(clip_id)) is not None]
        if starts:
            self.panel.view.ensure_time_visible(min(starts))

    def generate_selected(self, new_take: bool) -> None:
        prompts = [c for c in self.document.selection
                   if (found := self.document.project.find_clip(c)) and found[1].request]
        if not prompts:
            self.statusBar().showMessage("Select prompt clips to generate", 4000)
            return
        self.generation.generate(prompts, new_take=new_take)

    def _clip_generation_changed(self, clip_id: str) -> None:
        row = self.generation.state_of(clip_id)
        view = self.panel.view
        if row is None or row.state in ("done", "cancelled"):
            view.set_clip_progress(clip_id, None)
            view.set_clip_failed(clip_id, None)
        elif row.state == "failed":
            view.set_clip_progress(clip_id, None)
            view.set_clip_failed(clip_id, row.message)
        else:
            view.set_clip_failed(clip_id, None)
            view.set_clip_progress(clip_id, row.progress)

    # --- dialogs --------------------------------------------------------------------------
    def show_error(self, title: str, error: BaseException) -> None:
        self.statusBar().showMessage(f"{title}: {error}", 10000)
        QMessageBox.warning(self, title, str(error))

    def show_shortcuts(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard Shortcuts")
        rows = self.commands.shortcut_rows()
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        for row, (keys, what) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(what))
        table.resizeColumnsToContents()
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        dialog.resize(520, 480)
        dialog.open()

    def preferences(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Preferences")
        form = QFormLayout(dialog)
        interval = QDoubleSpinBox()
        interval.setRange(5, 3600)
        interval.setSuffix(" s")
        interval.setValue(self.settings.autosave_interval_s)
        form.addRow("Autosave every", interval)
        from audiostudio.playback.qt_sink import output_devices

        output = QComboBox()
        output.addItem("System default", "")
        for device in output_devices():
            output.addItem(device.description(), device.description())
        output.addItem("None (silent preview)", "none")
        found = output.findData(self.settings.output_device)
        if found < 0:  # remembered but not connected now: keep it listed
            output.addItem(f"{self.settings.output_device} (not connected)",
                           self.settings.output_device)
            found = output.count() - 1
        output.setCurrentIndex(found)
        form.addRow("Play through", output)
        keys = key_store()
        key_box = ProviderKeysBox(keys, provider_configs(self.settings, keys))
        form.addRow(key_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.settings.autosave_interval_s = interval.value()
            self.autosave_timer.start(int(interval.value() * 1000))
            self.settings.output_device = output.currentData()
            self.preview.set_device(self.settings.output_device)
            try:
                if key_box.apply():  # a new key takes effect at once
                    self.generation.service.update_providers(
                        configured_providers(self.settings, keys))
                    self.inspector.refresh()
            except AudiostudioError as exc:
                self.show_error("Could not store the API key", exc)
            try:
                save_settings(self.settings)
            except (AudiostudioError, OSError) as exc:
                # The change still applies in this session; the next successful save keeps it.
                self.show_error("Could not save the settings", AudiostudioError(
                    f"The settings apply until you quit but could not be saved: {exc}"))

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._confirm_discard():
            event.ignore()
            return
        self.workers.cancel_all()
        self.preview.close()
        self.generation.close()
        QThreadPool.globalInstance().waitForDone(5000)  # cancelled work stops within a block
        self._save_geometry()
        event.accept()
