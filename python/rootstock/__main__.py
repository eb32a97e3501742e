"""Run the CLI as `python -m rootstock`, as the `rootstock` command (python/bin/rootstock) does."""

from __future__ import annotations

import sys


# Not annotated NoReturn: importing typing alone takes long enough for a Ctrl-C to land in it, outside the try.
def run() -> None:
    """Import the CLI, run it and exit: a Ctrl-C or SIGTERM while it imports is one line and its exit code too."""
    try:
        from rootstock import interrupts

        with interrupts.as_exceptions():
            from rootstock.cli import main

            code = main()
    except KeyboardInterrupt as interrupt:
        # main() reports an interrupt that comes while it runs; this one came before it began.
        print("rootstock: interrupted", file=sys.stderr)
        from rootstock.interrupts import exit_code

        code = exit_code(interrupt)
    sys.exit(code)


if __name__ == "__main__":
    run()
