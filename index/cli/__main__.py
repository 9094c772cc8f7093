"""`python -m index.cli`: the command line, without the window."""

import sys

from index.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
