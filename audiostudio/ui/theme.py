"""A dark theme in the manner of modern audio tools: Fusion style, a dark palette, and a short
stylesheet for what the palette cannot reach (toolbars, docks, sliders)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#1e1f22"
PANEL = "#2b2d31"
RAISED = "#34363c"
BORDER = "#3d4047"
TEXT = "#e3e5e8"
MUTED_TEXT = "#9aa0a8"
ACCENT = "#4f8cff"
ICONS = (Path(__file__).resolve().parent / "icons").as_posix()


def icon(name: str) -> QIcon:
    """One of the app's own SVG icons (ui/icons/NAME.svg): transport, tools, clip kinds."""
    path = Path(ICONS) / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"no icon {path}")  # a typo must fail a test, not draw nothing
    return QIcon(str(path))

STYLESHEET = f"""
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QToolBar {{ background: {PANEL}; border: none; border-bottom: 1px solid {BORDER}; spacing: 4px;
           padding: 3px; }}
QToolButton {{ color: {TEXT}; padding: 4px 8px; border-radius: 4px; }}
QToolButton:hover {{ background: {RAISED}; }}
QToolButton:checked {{ background: {ACCENT}; color: white; }}
QDockWidget {{ color: {TEXT}; }}
QDockWidget::title {{ background: {PANEL}; padding: 6px; border-bottom: 1px solid {BORDER}; }}
QStatusBar {{ background: {PANEL}; color: {MUTED_TEXT}; border-top: 1px solid {BORDER}; }}
QGroupBox {{ border: 1px solid {BORDER}; border-radius: 6px; margin-top: 14px; padding: 8px 6px 6px;
            color: {MUTED_TEXT}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
QLineEdit, QDoubleSpinBox, QSpinBox, QComboBox, QPlainTextEdit {{
    background: {BACKGROUND}; color: {TEXT}; border: 1px solid {BORDER}; border-radius: 4px;
    padding: 3px 5px; selection-background-color: {ACCENT}; }}
QLineEdit:focus, QDoubleSpinBox:focus, QSpinBox:focus, QPlainTextEdit:focus {{
    border-color: {ACCENT}; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{
    subcontrol-origin: border; width: 16px; background: {RAISED}; border: none; }}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; border-top-right-radius: 4px; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right;
                                 border-bottom-right-radius: 4px; }}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{ background: {BORDER}; }}
QAbstractSpinBox::up-arrow {{ image: url({ICONS}/arrow-up.svg); width: 8px; height: 5px; }}
QAbstractSpinBox::down-arrow {{ image: url({ICONS}/arrow-down.svg); width: 8px; height: 5px; }}
QLabel#timeDisplay {{ font-family: monospace; font-size: 16px; color: {TEXT}; padding: 0 10px;
                      background: {BACKGROUND}; border: 1px solid {BORDER}; border-radius: 4px; }}
QMenu {{ background: {PANEL}; color: {TEXT}; border: 1px solid {BORDER}; }}
QMenu::item:selected {{ background: {ACCENT}; }}
QMenuBar {{ background: {PANEL}; color: {TEXT}; }}
QMenuBar::item:selected {{ background: {RAISED}; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: PANEL,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BACKGROUND,
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: RAISED,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: MUTED_TEXT,
        QPalette.ColorRole.Link: ACCENT,
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText,
                     QColor(MUTED_TEXT))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(MUTED_TEXT))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
