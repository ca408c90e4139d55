"""``python -m bench``: the same command as ``elt bench``."""

import sys

from extract.cli import main

sys.exit(main(["bench", *sys.argv[1:]]))
