"""``python -m cmhash`` runs the command line."""

from cmhash.cli.main import entry_point

entry_point()
