"""The frozen program's entry point: the same `storylens` command as `pip install` gives."""

import multiprocessing
import sys

if __name__ == "__main__":
    # A build starts this program again as a worker process (index/store/search_files.py);
    # in that process this runs the work and exits, before anything else is imported.
    multiprocessing.freeze_support()
    from app.launcher import main

    sys.exit(main())
