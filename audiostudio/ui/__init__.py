"""The PySide6 window: draws the model and edits it only through undo commands."""
