"""`python -m extensions.explorer`: start the explorer page (see server.py for the flags)."""

from extensions.explorer import server
from recognition import cli

cli.run(server.main)
