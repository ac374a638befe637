from audiostudio.cli import main

if __name__ == "__main__":  # not when the audio engine's process imports the main module
    raise SystemExit(main())
