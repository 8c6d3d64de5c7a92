"""PyInstaller entry point of the bundled ``relman-desktop`` (the GUI)."""

import sys

from relman_desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
