"""`python -m extensions.explorer`: start the explorer page (flags in flags.py, the server in server.py)."""

from recognition import cli


def main() -> None:
    from extensions.explorer import flags

    args = flags.parse_args()  # a bad flag is said before torch and the networks load
    from extensions.explorer import server

    server.serve(args)


cli.run(main)
