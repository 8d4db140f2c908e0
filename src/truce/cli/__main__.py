"""`python -m truce.cli` runs the command line."""

from truce.cli import main

main()
