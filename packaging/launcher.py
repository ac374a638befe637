"""The frozen app's entry point (PyInstaller runs this file as __main__).

freeze_support() first: the live preview's audio engine runs in a spawned process, which a
frozen app starts by running its own executable again; this call turns that run into the
engine's process instead of a second command line.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from audiostudio.cli import main

    raise SystemExit(main())
