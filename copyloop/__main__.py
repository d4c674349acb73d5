"""`python -m copyloop` runs the CLI."""

from copyloop.cli import app

app()
