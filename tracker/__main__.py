"""`python -m tracker` runs the command line, as the `tracker` script does."""

from tracker.cli import main

main()
