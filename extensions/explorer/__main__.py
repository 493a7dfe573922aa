"""`python -m extensions.explorer`: start the explorer page (see server.py for the flags)."""

import cli
from extensions.explorer import server

cli.run(server.main)
