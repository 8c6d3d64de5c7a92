"""PyInstaller entry point of the bundled ``relman`` (the command line)."""

import sys

from relman_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
