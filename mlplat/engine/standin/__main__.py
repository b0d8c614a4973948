"""`python -m mlplat.engine.standin <package> [engine flags] [engine address]`: serve one stand-in plugin."""

import sys

from mlplat.engine.standin.install import PACKAGES
from mlplat.engine.standin.server import serve

if len(sys.argv) < 2 or sys.argv[1] not in PACKAGES:
    sys.exit(f"usage: python -m mlplat.engine.standin {{{','.join(PACKAGES)}}} [engine address]")
serve(sys.argv[1], sys.argv[2:])
