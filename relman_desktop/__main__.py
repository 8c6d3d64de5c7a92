import sys

from relman_desktop.cli import main

sys.exit(main())
