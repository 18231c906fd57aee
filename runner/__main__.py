"""`python -m runner serve|check`: the kernel host without the site's apps (runner/host_main.py says why)."""

import sys

from .host_main import main

if __name__ == "__main__":
    sys.exit(main())
