"""digest: publish a research-paper digest from saved Daily Papers snapshots."""

__version__ = "0.1.0"


def run() -> None:
    """The ``digest`` command (see ``digest.cli.run``).  Ctrl-C while digest is still loading
    its modules ends it as Ctrl-C later does, in one line: this module imports nothing first."""
    try:
        from digest.cli import run as run_command
    except KeyboardInterrupt:
        import os
        import sys

        sys.stderr.write("digest: interrupted\n")
        sys.stderr.flush()
        os._exit(130)
    run_command()
